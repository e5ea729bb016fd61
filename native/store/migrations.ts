/**
 * The project file's schema and its migrations. `PRAGMA user_version` is the schema version; migration N
 * takes a file from version N-1 to N inside one transaction (the version is bumped in the same
 * transaction, so a failed migration leaves the file at N-1). Migrations are append-only: a released
 * migration is never edited, a later one changes what it made. See docs/project-file.md.
 */
import { type Db, now, write } from './db';

/** The `meta` row that marks a SQLite file as an Unlearn Studio project. */
export const APP_ID = 'unlearn-studio-project';
/** `PRAGMA application_id` of project files: 'ULST' as a big-endian 32-bit integer. */
export const SQLITE_APPLICATION_ID = 0x554c5354;

export interface Migration {
  version: number;
  description: string;
  up(db: Db): void;
}

const SCHEMA_V1 = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Large byte strings (pixels, labels, weights), cut into chunks of at most a few MiB.
CREATE TABLE blobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('pixels', 'labels', 'weights')),
  size INTEGER NOT NULL CHECK (size >= 0),
  chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),
  sha256 TEXT NOT NULL
) STRICT;

CREATE TABLE blob_chunks (
  id INTEGER PRIMARY KEY,
  blob_id INTEGER NOT NULL REFERENCES blobs(id),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  data BLOB NOT NULL,
  UNIQUE (blob_id, seq)
) STRICT;

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  class_names TEXT NOT NULL,
  height INTEGER NOT NULL CHECK (height > 0),
  width INTEGER NOT NULL CHECK (width > 0),
  channels INTEGER NOT NULL CHECK (channels IN (1, 3)),
  source TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE dataset_splits (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  split TEXT NOT NULL CHECK (split IN ('train', 'test', 'heldout')),
  size INTEGER NOT NULL CHECK (size >= 0),
  pixels_blob_id INTEGER NOT NULL REFERENCES blobs(id),
  labels_blob_id INTEGER NOT NULL REFERENCES blobs(id),
  PRIMARY KEY (dataset_id, split)
) STRICT;

CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  parent_id INTEGER REFERENCES checkpoints(id),
  kind TEXT NOT NULL CHECK (kind IN ('trained', 'imported', 'unlearned')),
  run_id INTEGER REFERENCES runs(id),
  label TEXT NOT NULL,
  topology TEXT NOT NULL,
  weight_specs TEXT NOT NULL,
  weights_blob_id INTEGER NOT NULL REFERENCES blobs(id),
  content_hash TEXT NOT NULL,
  embedding_layer TEXT NOT NULL,
  recipe TEXT,
  seed INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
) STRICT;

-- The one row naming the checkpoint the project currently serves.
CREATE TABLE current_checkpoint (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  checkpoint_id INTEGER REFERENCES checkpoints(id),
  changed_at TEXT NOT NULL
) STRICT;

CREATE TABLE deletion_requests (
  id INTEGER PRIMARY KEY,
  requester TEXT NOT NULL,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  class_index INTEGER NOT NULL CHECK (class_index >= 0),
  class_name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'honoured')),
  honoured_by_run_id INTEGER REFERENCES runs(id),
  honoured_at TEXT,
  created_at TEXT NOT NULL,
  CHECK ((status = 'honoured') = (honoured_by_run_id IS NOT NULL))
) STRICT;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES deletion_requests(id),
  method TEXT NOT NULL,
  parameters TEXT NOT NULL,
  seed INTEGER NOT NULL,
  forget_class INTEGER NOT NULL CHECK (forget_class >= 0),
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  input_checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
  output_checkpoint_id INTEGER REFERENCES checkpoints(id),
  metrics TEXT,
  baseline_metrics TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  worker_pid INTEGER,
  worker_host TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  CHECK ((status = 'succeeded') = (output_checkpoint_id IS NOT NULL))
) STRICT;
CREATE INDEX runs_by_request ON runs(request_id);
CREATE INDEX runs_by_status ON runs(status);

-- The audit trail: append-only (the triggers below), and hash-chained (each row's hash covers the
-- previous row's hash and its own content) so that an edit made with another tool shows.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  dataset_id INTEGER REFERENCES datasets(id),
  checkpoint_id INTEGER REFERENCES checkpoints(id),
  request_id INTEGER REFERENCES deletion_requests(id),
  run_id INTEGER REFERENCES runs(id),
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_run ON events(run_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial schema: blobs, datasets, checkpoints, requests, runs, events',
    up(db) {
      db.exec(SCHEMA_V1);
      const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      insert.run('app_id', APP_ID);
      insert.run('created_at', now());
      db.prepare(
        'INSERT INTO current_checkpoint (singleton, checkpoint_id, changed_at) VALUES (1, NULL, ?)',
      ).run(now());
    },
  },
];

/** The schema version this build writes (and the newest it can read). */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function userVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Brings the file to SCHEMA_VERSION, one migration per transaction. The version is re-read inside each
 * transaction, so two processes opening an old file at once migrate it once. Returns the versions applied.
 */
export function migrate(db: Db): number[] {
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    write(db, () => {
      if (userVersion(db) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_migrated_at', ?)").run(now());
      applied.push(m.version);
    });
  }
  return applied;
}
