import { UserError } from '../errors';
/**
 * Model checkpoints: a Layers model's topology (JSON), its weight manifest (JSON) and its weights (a
 * blob), with lineage (parent checkpoint, the run that made it), the embedding layer, the training
 * recipe and a content hash. The `current_checkpoint` row names the checkpoint the project serves.
 * This module stores the model's bytes only; ./modelCodec.ts turns them into a Classifier.
 */
import type { LmRecipe } from '../llm/training/recipe';
import type { ArchSpec } from '../models/spec';
import { readBlob, writeBlob } from './blobs';
import { type Db, now, parseJson, sha256, write } from './db';
import { appendEvent } from './events';

/** One entry of a Layers model's weight manifest (the fields Unlearn Studio reads). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  [key: string]: unknown;
}

/** A model as bytes: what TensorFlow.js saves and loads. */
export interface ModelArtifacts {
  topology: unknown;
  weightSpecs: WeightSpec[];
  weights: Uint8Array;
}

export type CheckpointKind = 'trained' | 'imported' | 'unlearned';

/** What the checkpoint holds: an image classifier (Layers model) or a language model (GPT-2). */
export type ModelKind = 'image' | 'lm';

export interface CheckpointRow {
  id: number;
  datasetId: number;
  parentId: number | null;
  kind: CheckpointKind;
  modelKind: ModelKind;
  runId: number | null;
  label: string;
  contentHash: string;
  weightsSha256: string;
  weightsBytes: number;
  /** The embedding layer of an image model; '' for a language model. */
  embeddingLayer: string;
  /** An image model's training recipe. */
  recipe: ArchSpec | null;
  /** A language model's training recipe. */
  lmRecipe: LmRecipe | null;
  seed: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  isCurrent: boolean;
}

export interface NewCheckpoint {
  datasetId: number;
  parentId?: number | null;
  kind: CheckpointKind;
  runId?: number | null;
  label: string;
  embeddingLayer: string;
  recipe?: ArchSpec | null;
  seed?: number | null;
  metadata?: Record<string, unknown>;
  /** Make it the current checkpoint (in the same transaction). */
  makeCurrent: boolean;
}

interface RawCheckpoint {
  id: number;
  dataset_id: number;
  parent_id: number | null;
  kind: CheckpointKind;
  model_kind: ModelKind;
  run_id: number | null;
  label: string;
  topology: string;
  weight_specs: string;
  weights_blob_id: number;
  content_hash: string;
  embedding_layer: string;
  recipe: string | null;
  seed: number | null;
  metadata: string;
  created_at: string;
  blob_sha256: string;
  blob_size: number;
  is_current: number;
}

/** The checkpoint's content hash: sha256 of topology JSON, weight-manifest JSON and weight bytes. */
export function checkpointHash(topologyJson: string, specsJson: string, weights: Uint8Array): string {
  return sha256(topologyJson, '\n', specsJson, '\n', weights);
}

const SELECT = `
  SELECT c.*, b.sha256 AS blob_sha256, b.size AS blob_size,
         (c.id IS (SELECT checkpoint_id FROM current_checkpoint WHERE singleton = 1)) AS is_current
  FROM checkpoints c JOIN blobs b ON b.id = c.weights_blob_id`;

function toRow(r: RawCheckpoint): CheckpointRow {
  const where = `checkpoint ${r.id}`;
  return {
    id: r.id,
    datasetId: r.dataset_id,
    parentId: r.parent_id,
    kind: r.kind,
    modelKind: r.model_kind,
    runId: r.run_id,
    label: r.label,
    contentHash: r.content_hash,
    weightsSha256: r.blob_sha256,
    weightsBytes: r.blob_size,
    embeddingLayer: r.embedding_layer,
    recipe: r.model_kind === 'image' ? parseJson<ArchSpec>(r.recipe, where) : null,
    lmRecipe: r.model_kind === 'lm' ? parseJson<LmRecipe>(r.recipe, where) : null,
    seed: r.seed,
    metadata: parseJson<Record<string, unknown>>(r.metadata, where) ?? {},
    createdAt: r.created_at,
    isCurrent: r.is_current === 1,
  };
}

/** Stores a checkpoint (one transaction, with its event and, if asked, the current pointer). */
export function saveCheckpoint(db: Db, a: ModelArtifacts, c: NewCheckpoint): CheckpointRow {
  const topologyJson = JSON.stringify(a.topology);
  const specsJson = JSON.stringify(a.weightSpecs);
  const hash = checkpointHash(topologyJson, specsJson, a.weights);
  const id = write(db, () => {
    const blob = writeBlob(db, 'weights', a.weights);
    const info = db
      .prepare(
        `INSERT INTO checkpoints (dataset_id, parent_id, kind, run_id, label, topology, weight_specs,
           weights_blob_id, content_hash, embedding_layer, recipe, seed, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.datasetId,
        c.parentId ?? null,
        c.kind,
        c.runId ?? null,
        c.label,
        topologyJson,
        specsJson,
        blob.id,
        hash,
        c.embeddingLayer,
        c.recipe ? JSON.stringify(c.recipe) : null,
        c.seed ?? null,
        JSON.stringify(c.metadata ?? {}),
        now(),
      );
    const checkpointId = Number(info.lastInsertRowid);
    appendEvent(db, {
      kind: 'checkpoint.created',
      checkpointId,
      datasetId: c.datasetId,
      runId: c.runId ?? null,
      details: {
        kind: c.kind,
        label: c.label,
        parentId: c.parentId ?? null,
        contentHash: hash,
        weightsSha256: blob.sha256,
      },
    });
    if (c.makeCurrent) setCurrentCheckpoint(db, checkpointId, 'checkpoint.current', { reason: c.kind });
    return checkpointId;
  });
  return getCheckpoint(db, id);
}

export function findCheckpoint(db: Db, id: number): CheckpointRow | undefined {
  const r = db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as RawCheckpoint | undefined;
  return r ? toRow(r) : undefined;
}

export function getCheckpoint(db: Db, id: number): CheckpointRow {
  const row = findCheckpoint(db, id);
  if (!row) throw new UserError(`no checkpoint ${id} in this project`);
  return row;
}

export function listCheckpoints(db: Db): CheckpointRow[] {
  return (db.prepare(`${SELECT} ORDER BY c.id`).all() as RawCheckpoint[]).map(toRow);
}

export function currentCheckpointId(db: Db): number | null {
  const r = db.prepare('SELECT checkpoint_id FROM current_checkpoint WHERE singleton = 1').get() as
    | { checkpoint_id: number | null }
    | undefined;
  return r?.checkpoint_id ?? null;
}

/** The current checkpoint, or a UserError telling the user to train or import a model. */
export function requireCurrentCheckpoint(db: Db): CheckpointRow {
  const id = currentCheckpointId(db);
  if (id === null) throw new UserError('this project has no model yet: run `train` or `import-model` first');
  return getCheckpoint(db, id);
}

/** `c` if it holds an image classifier; else a UserError saying that `what` works on those only. */
export function requireImageModel(c: CheckpointRow, what: string): CheckpointRow {
  if (c.modelKind !== 'image') {
    throw new UserError(`${what} works on image classifiers only: checkpoint ${c.id} is a language model`);
  }
  return c;
}

/** Points `current_checkpoint` at `id` and logs it (one transaction). Deletes nothing. */
export function setCurrentCheckpoint(
  db: Db,
  id: number,
  kind: 'checkpoint.current' | 'checkpoint.rollback',
  details: Record<string, unknown> = {},
): void {
  write(db, () => {
    const row = getCheckpoint(db, id);
    const from = currentCheckpointId(db);
    db.prepare('UPDATE current_checkpoint SET checkpoint_id = ?, changed_at = ? WHERE singleton = 1').run(
      id,
      now(),
    );
    appendEvent(db, {
      kind,
      checkpointId: id,
      datasetId: row.datasetId,
      runId: typeof details.runId === 'number' ? details.runId : null,
      details: { from, to: id, ...details },
    });
  });
}

/** The chain of checkpoints from `id` back to its root (id first). */
export function lineage(db: Db, id: number): CheckpointRow[] {
  const out: CheckpointRow[] = [];
  let next: number | null = id;
  while (next !== null && out.length < 100000) {
    const row = getCheckpoint(db, next);
    out.push(row);
    next = row.parentId;
  }
  return out;
}

/** A checkpoint's model bytes, with the weights blob's hash and the content hash both checked. */
export function loadArtifacts(db: Db, id: number): ModelArtifacts {
  const r = db
    .prepare(
      'SELECT topology, weight_specs, weights_blob_id, content_hash, model_kind FROM checkpoints WHERE id = ?',
    )
    .get(id) as
    | Pick<RawCheckpoint, 'topology' | 'weight_specs' | 'weights_blob_id' | 'content_hash' | 'model_kind'>
    | undefined;
  if (!r) throw new UserError(`no checkpoint ${id} in this project`);
  if (r.model_kind !== 'image') {
    throw new UserError(`checkpoint ${id} is a language model, not an image classifier`);
  }
  const weights = readBlob(db, r.weights_blob_id, `the weights of checkpoint ${id}`);
  if (checkpointHash(r.topology, r.weight_specs, weights) !== r.content_hash) {
    throw new UserError(`the project file is damaged: checkpoint ${id} does not match its content hash`);
  }
  const where = `checkpoint ${id}`;
  return {
    topology: parseJson<unknown>(r.topology, where),
    weightSpecs: parseJson<WeightSpec[]>(r.weight_specs, where) ?? [],
    weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.length),
  };
}
