/**
 * Creating and opening project files. Opening first reads the file's SQLite header (is it SQLite, is it
 * an Unlearn Studio project, is its schema one this build reads), then checks the meta table on the new
 * connection before anything is written: a file that fails is reported as a one-line UserError and left
 * byte-for-byte untouched. A read-write open then sets WAL mode,
 * foreign keys and a busy timeout, migrates an older schema, and marks runs whose worker died as
 * interrupted (recovery on open).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../errors';
import { type Db, write } from './db';
import { appendEvent } from './events';
import { APP_ID, SCHEMA_VERSION, SQLITE_APPLICATION_ID, migrate, userVersion } from './migrations';
import { recoverInterruptedRuns } from './runs';

/** How long a connection waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 10000;

export interface Project {
  readonly file: string;
  readonly db: Db;
  readonly readonly: boolean;
  /** Run ids that recovery on open marked interrupted. */
  readonly recovered: number[];
  close(): void;
}

export interface OpenOptions {
  /** Open without writing anything (no migration, no recovery). */
  readonly?: boolean;
}

const SQLITE_HEADER = 'SQLite format 3\0';

function notAProject(file: string, why: string): UserError {
  return new UserError(`${file} is not an Unlearn Studio project (${why})`);
}

function sqliteMessage(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/**
 * Checks that `file` is a project this build can open, from its 100-byte SQLite header alone (magic
 * string, application_id at offset 68, user_version at offset 60), without opening it with SQLite: a
 * file that fails is left exactly as it was, with no -wal or -shm file created next to it. Returns the
 * schema version the header records (a migration committed to the WAL but not yet checkpointed may make
 * the real one newer: openProject checks again on the connection).
 */
export function inspectProjectFile(file: string): { schemaVersion: number } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UserError(`project file not found: ${file}`);
  }
  if (!stat.isFile()) throw new UserError(`${file} is not a file`);
  const header = Buffer.alloc(100);
  const fd = fs.openSync(file, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, header, 0, header.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (n < header.length || header.toString('latin1', 0, SQLITE_HEADER.length) !== SQLITE_HEADER) {
    throw notAProject(file, stat.size === 0 ? 'the file is empty' : 'not a SQLite database');
  }
  if (header.readUInt32BE(68) !== SQLITE_APPLICATION_ID) {
    throw notAProject(file, 'a SQLite database of another application');
  }
  const version = header.readUInt32BE(60);
  checkVersion(file, version);
  return { schemaVersion: version };
}

function checkVersion(file: string, version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new UserError(
      `${file} was written by a newer version of Unlearn Studio (project schema ${version}, this version reads up to ${SCHEMA_VERSION}): update the application to open it`,
    );
  }
}

/** The checks that need SQLite, made on a fresh connection before anything is written. */
function checkConnection(file: string, db: Db): number {
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    const marker = hasMeta
      ? (db.prepare("SELECT value FROM meta WHERE key = 'app_id'").get() as { value: string } | undefined)
      : undefined;
    if (marker?.value !== APP_ID) throw notAProject(file, 'no Unlearn Studio marker in its meta table');
    const version = userVersion(db);
    checkVersion(file, version);
    return version;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw notAProject(file, sqliteMessage(e));
  }
}

function configure(db: Db): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
  if (mode !== 'wal') throw new UserError(`cannot switch the project file to WAL mode (got ${mode})`);
}

function wrap(file: string, db: Db, readonly: boolean, recovered: number[]): Project {
  return {
    file,
    db,
    readonly,
    recovered,
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** Creates a new, empty project file; refuses to overwrite anything. */
export function createProject(file: string): Project {
  if (fs.existsSync(file)) throw new UserError(`${file} already exists: choose a new project file name`);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new UserError(`folder ${dir} does not exist`);
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw new UserError(`cannot create ${file}: ${sqliteMessage(e)}`);
  }
  try {
    // Written before the switch to WAL, so that it is in the main file's header from the start.
    db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
    configure(db);
    write(db, () => {
      migrate(db);
      appendEvent(db, { kind: 'project.created', details: { schema: SCHEMA_VERSION } });
    });
  } catch (e) {
    db.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    throw e;
  }
  return wrap(file, db, false, []);
}

/** Opens an existing project (see the module comment). */
export function openProject(file: string, opts: OpenOptions = {}): Project {
  inspectProjectFile(file);
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly === true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (e) {
    throw new UserError(`cannot open ${file}${opts.readonly ? '' : ' for writing'}: ${sqliteMessage(e)}`);
  }
  try {
    const schemaVersion = checkConnection(file, db);
    if (opts.readonly) {
      if (schemaVersion < SCHEMA_VERSION) {
        throw new UserError(
          `${file} uses an older project schema (${schemaVersion}): open it once with write access to upgrade it`,
        );
      }
      return wrap(file, db, true, []);
    }
    try {
      configure(db);
    } catch (e) {
      throw e instanceof UserError
        ? e
        : new UserError(`cannot open ${file} for writing: ${sqliteMessage(e)}`);
    }
    if (schemaVersion < SCHEMA_VERSION) migrate(db);
    const recovered = recoverInterruptedRuns(db);
    return wrap(file, db, false, recovered);
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Opens a project, runs `fn`, and closes it whatever happens. */
export async function withProject<T>(
  file: string,
  fn: (p: Project) => T | Promise<T>,
  opts: OpenOptions = {},
): Promise<T> {
  const project = openProject(file, opts);
  try {
    return await fn(project);
  } finally {
    project.close();
  }
}
