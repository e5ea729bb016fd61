/**
 * The project file's schema and its migrations. `PRAGMA user_version` is the schema version; migration N
 * takes a file from version N-1 to N inside one transaction (the version is bumped in the same
 * transaction, so a failed migration leaves the file at N-1). Migrations are append-only: a released
 * migration is never edited, a later one changes what it made. See docs/project-file.md.
 */
import { UserError } from '../errors';
import { type Db, now, write } from './db';
import { appendEvent } from './events';

/** The `meta` row that marks a SQLite file as an Unlearn Studio project. */
export const APP_ID = 'unlearn-studio-project';
/** `PRAGMA application_id` of project files: 'ULST' as a big-endian 32-bit integer. */
export const SQLITE_APPLICATION_ID = 0x554c5354;

export interface Migration {
  version: number;
  description: string;
  /**
   * The migration rebuilds a table that other tables reference (SQLite's 12-step procedure): foreign keys
   * are switched off around its transaction (PRAGMA foreign_keys is a no-op inside one) and
   * `PRAGMA foreign_key_check` must find nothing before it commits.
   */
  rebuildsReferencedTable?: boolean;
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

/**
 * Version 2: concept banks. `blobs.kind` gains 'concept_bank' (a CHECK cannot be altered: the table is
 * rebuilt with the same ids, so the REFERENCES of blob_chunks, dataset_splits and checkpoints still hold),
 * and `concept_banks` records each bank built on a checkpoint: its source, the embedding layer, the bank
 * JSON (CAVs, held-out accuracies, dropped concepts) as a blob, and the analysis made with it (PCBM,
 * class-to-concept importance, confusion) as JSON; `content_hash` covers the bank bytes and the analysis.
 */
const SCHEMA_V2 = `
CREATE TABLE blobs_v2 (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('pixels', 'labels', 'weights', 'concept_bank')),
  size INTEGER NOT NULL CHECK (size >= 0),
  chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),
  sha256 TEXT NOT NULL
) STRICT;
INSERT INTO blobs_v2 (id, kind, size, chunk_size, sha256) SELECT id, kind, size, chunk_size, sha256 FROM blobs;
DROP TABLE blobs;
ALTER TABLE blobs_v2 RENAME TO blobs;

CREATE TABLE concept_banks (
  id INTEGER PRIMARY KEY,
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  source TEXT NOT NULL CHECK (source IN ('folders', 'nmf-discovery', 'ground-truth')),
  embedding_layer TEXT NOT NULL,
  parameters TEXT NOT NULL,
  bank_blob_id INTEGER NOT NULL REFERENCES blobs(id),
  num_concepts INTEGER NOT NULL CHECK (num_concepts >= 0),
  num_dropped INTEGER NOT NULL CHECK (num_dropped >= 0),
  analysis TEXT,
  content_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX concept_banks_by_checkpoint ON concept_banks(checkpoint_id);
`;

/**
 * Version 3: text datasets and language models. `blobs.kind` gains 'text_samples', 'safetensors', 'vocab'
 * and 'merges' (the table is rebuilt with the same ids, as in version 2). `datasets` gains `kind` ('image'
 * or 'text') and its shape columns become NULL for text datasets (rebuilt the same way; every old row is an
 * image dataset). `text_dataset_splits` holds a text dataset's samples as JSON blobs: the training samples,
 * the held-out paraphrases, the held-out generic text. `checkpoints` gains `model_kind` ('image' or 'lm'),
 * and `lm_checkpoint_tokenizers` holds a language model's tokenizer (vocab.json and merges.txt as blobs).
 */
const SCHEMA_V3 = `
CREATE TABLE blobs_v3 (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('pixels', 'labels', 'weights', 'concept_bank', 'text_samples',
    'safetensors', 'vocab', 'merges')),
  size INTEGER NOT NULL CHECK (size >= 0),
  chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),
  sha256 TEXT NOT NULL
) STRICT;
INSERT INTO blobs_v3 (id, kind, size, chunk_size, sha256) SELECT id, kind, size, chunk_size, sha256 FROM blobs;
DROP TABLE blobs;
ALTER TABLE blobs_v3 RENAME TO blobs;

CREATE TABLE datasets_v3 (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('image', 'text')),
  name TEXT NOT NULL,
  class_names TEXT NOT NULL,
  height INTEGER CHECK (height > 0),
  width INTEGER CHECK (width > 0),
  channels INTEGER CHECK (channels IN (1, 3)),
  source TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CHECK ((kind = 'image') = (height IS NOT NULL AND width IS NOT NULL AND channels IS NOT NULL))
) STRICT;
INSERT INTO datasets_v3 (id, kind, name, class_names, height, width, channels, source, content_hash, created_at)
  SELECT id, 'image', name, class_names, height, width, channels, source, content_hash, created_at FROM datasets;
DROP TABLE datasets;
ALTER TABLE datasets_v3 RENAME TO datasets;

CREATE TABLE text_dataset_splits (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  split TEXT NOT NULL CHECK (split IN ('train', 'paraphrase', 'heldout')),
  size INTEGER NOT NULL CHECK (size >= 0),
  samples_blob_id INTEGER NOT NULL REFERENCES blobs(id),
  PRIMARY KEY (dataset_id, split)
) STRICT;

ALTER TABLE checkpoints ADD COLUMN model_kind TEXT NOT NULL DEFAULT 'image' CHECK (model_kind IN ('image', 'lm'));

CREATE TABLE lm_checkpoint_tokenizers (
  checkpoint_id INTEGER PRIMARY KEY REFERENCES checkpoints(id),
  vocab_blob_id INTEGER NOT NULL REFERENCES blobs(id),
  merges_blob_id INTEGER NOT NULL REFERENCES blobs(id)
) STRICT;
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
  {
    version: 2,
    description: "concept banks: the concept_banks table and the 'concept_bank' blob kind",
    rebuildsReferencedTable: true,
    up(db) {
      db.exec(SCHEMA_V2);
    },
  },
  {
    version: 3,
    description:
      "text datasets and language models: datasets.kind, text_dataset_splits, checkpoints.model_kind, lm_checkpoint_tokenizers, and the blob kinds 'text_samples', 'safetensors', 'vocab', 'merges'",
    rebuildsReferencedTable: true,
    up(db) {
      db.exec(SCHEMA_V3);
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
 * transaction, so two processes opening an old file at once migrate it once. Upgrading an existing file
 * (version 1 or later) appends a `project.migrated` event in each migration's transaction; creating a file
 * (version 0) does not. Returns the versions applied.
 */
export function migrate(db: Db): number[] {
  const applied: number[] = [];
  const startVersion = userVersion(db);
  for (const m of MIGRATIONS) {
    if (userVersion(db) >= m.version) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction (createProject migrates inside its own: the
    // tables are empty then, so dropping a referenced table violates nothing).
    const fkOff =
      m.rebuildsReferencedTable === true &&
      !db.inTransaction &&
      Number(db.pragma('foreign_keys', { simple: true })) === 1;
    if (fkOff) db.pragma('foreign_keys = OFF');
    try {
      write(db, () => {
        const from = userVersion(db);
        if (from >= m.version) return;
        m.up(db);
        if (m.rebuildsReferencedTable) {
          const violations = db.pragma('foreign_key_check') as { table: string; parent: string }[];
          if (violations.length > 0) {
            const v = violations[0];
            throw new UserError(
              `the project file is damaged: upgrading it to schema ${m.version} would break ${violations.length} foreign key(s) (first: ${v.table} → ${v.parent}); it is left at schema ${from}`,
            );
          }
        }
        db.pragma(`user_version = ${m.version}`);
        db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_migrated_at', ?)").run(now());
        if (startVersion >= 1) {
          appendEvent(db, {
            kind: 'project.migrated',
            details: { from, to: m.version, description: m.description },
          });
        }
        applied.push(m.version);
      });
    } finally {
      if (fkOff) db.pragma('foreign_keys = ON');
    }
  }
  return applied;
}
