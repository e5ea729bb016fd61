/**
 * Language-model checkpoints: a `checkpoints` row of model_kind 'lm' whose `topology` is the GPT config
 * (JSON), `weight_specs` the weight names and shapes, `recipe` the LmRecipe (or NULL), and whose weights
 * blob (kind 'safetensors') is the model.safetensors file; `lm_checkpoint_tokenizers` holds the tokenizer's
 * vocab.json and merges.txt as blobs. The content hash covers all five. Works without TensorFlow.js.
 */
import { UserError } from '../errors';
import { type GptConfig, validateGptConfig } from '../llm/model/config';
import { gptWeightLayout } from '../llm/model/weightLayout';
import type { LmRecipe } from '../llm/training/recipe';
import { readBlob, writeBlob } from './blobs';
import {
  type CheckpointKind,
  type CheckpointRow,
  type WeightSpec,
  getCheckpoint,
  setCurrentCheckpoint,
} from './checkpoints';
import { type Db, now, parseJson, sha256, write } from './db';
import { appendEvent } from './events';

/** A language model as bytes: its config, safetensors weights and tokenizer files. */
export interface LmArtifacts {
  config: GptConfig;
  /** model.safetensors (F32, GPT-2 names). */
  safetensors: Uint8Array;
  vocabJson: string;
  mergesTxt: string;
}

export interface NewLmCheckpoint {
  datasetId: number;
  parentId?: number | null;
  kind: CheckpointKind;
  runId?: number | null;
  label: string;
  recipe?: LmRecipe | null;
  seed?: number | null;
  metadata?: Record<string, unknown>;
  makeCurrent: boolean;
}

/** The weight manifest of a config: GPT-2 names and shapes, float32. */
export function lmWeightSpecs(config: GptConfig): WeightSpec[] {
  return gptWeightLayout(config).map((s) => ({ name: s.name, shape: [...s.shape], dtype: 'float32' }));
}

/** sha256 of config JSON, weight specs JSON, safetensors, vocab.json and merges.txt, `\n` between. */
export function lmCheckpointHash(
  configJson: string,
  specsJson: string,
  safetensors: Uint8Array,
  vocabJson: string,
  mergesTxt: string,
): string {
  return sha256(configJson, '\n', specsJson, '\n', safetensors, '\n', vocabJson, '\n', mergesTxt);
}

/** Stores a language model (one transaction, with its event and, if asked, the current pointer). */
export function saveLmCheckpoint(db: Db, a: LmArtifacts, c: NewLmCheckpoint): CheckpointRow {
  const configJson = JSON.stringify(a.config);
  const specsJson = JSON.stringify(lmWeightSpecs(a.config));
  const hash = lmCheckpointHash(configJson, specsJson, a.safetensors, a.vocabJson, a.mergesTxt);
  const id = write(db, () => {
    const weights = writeBlob(db, 'safetensors', a.safetensors);
    const vocab = writeBlob(db, 'vocab', Buffer.from(a.vocabJson, 'utf8'));
    const merges = writeBlob(db, 'merges', Buffer.from(a.mergesTxt, 'utf8'));
    const info = db
      .prepare(
        `INSERT INTO checkpoints (dataset_id, parent_id, kind, model_kind, run_id, label, topology, weight_specs,
           weights_blob_id, content_hash, embedding_layer, recipe, seed, metadata, created_at)
         VALUES (?, ?, ?, 'lm', ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
      )
      .run(
        c.datasetId,
        c.parentId ?? null,
        c.kind,
        c.runId ?? null,
        c.label,
        configJson,
        specsJson,
        weights.id,
        hash,
        c.recipe ? JSON.stringify(c.recipe) : null,
        c.seed ?? null,
        JSON.stringify(c.metadata ?? {}),
        now(),
      );
    const checkpointId = Number(info.lastInsertRowid);
    db.prepare(
      'INSERT INTO lm_checkpoint_tokenizers (checkpoint_id, vocab_blob_id, merges_blob_id) VALUES (?, ?, ?)',
    ).run(checkpointId, vocab.id, merges.id);
    appendEvent(db, {
      kind: 'checkpoint.created',
      checkpointId,
      datasetId: c.datasetId,
      runId: c.runId ?? null,
      details: {
        kind: c.kind,
        modelKind: 'lm',
        label: c.label,
        parentId: c.parentId ?? null,
        contentHash: hash,
        weightsSha256: weights.sha256,
        vocabSha256: vocab.sha256,
        mergesSha256: merges.sha256,
      },
    });
    if (c.makeCurrent) setCurrentCheckpoint(db, checkpointId, 'checkpoint.current', { reason: c.kind });
    return checkpointId;
  });
  return getCheckpoint(db, id);
}

/** A language model's bytes, with every blob's hash and the content hash checked. */
export function loadLmArtifacts(db: Db, id: number): LmArtifacts {
  const r = db
    .prepare(
      `SELECT c.topology, c.weight_specs, c.weights_blob_id, c.content_hash, c.model_kind,
              t.vocab_blob_id, t.merges_blob_id
       FROM checkpoints c LEFT JOIN lm_checkpoint_tokenizers t ON t.checkpoint_id = c.id WHERE c.id = ?`,
    )
    .get(id) as
    | {
        topology: string;
        weight_specs: string;
        weights_blob_id: number;
        content_hash: string;
        model_kind: string;
        vocab_blob_id: number | null;
        merges_blob_id: number | null;
      }
    | undefined;
  if (!r) throw new UserError(`no checkpoint ${id} in this project`);
  if (r.model_kind !== 'lm')
    throw new UserError(`checkpoint ${id} is an image classifier, not a language model`);
  if (r.vocab_blob_id === null || r.merges_blob_id === null) {
    throw new UserError(`the project file is damaged: language model ${id} has no tokenizer`);
  }
  const safetensors = readBlob(db, r.weights_blob_id, `the weights of checkpoint ${id}`);
  const vocabJson = readBlob(db, r.vocab_blob_id, `the vocab.json of checkpoint ${id}`).toString('utf8');
  const mergesTxt = readBlob(db, r.merges_blob_id, `the merges.txt of checkpoint ${id}`).toString('utf8');
  if (lmCheckpointHash(r.topology, r.weight_specs, safetensors, vocabJson, mergesTxt) !== r.content_hash) {
    throw new UserError(`the project file is damaged: checkpoint ${id} does not match its content hash`);
  }
  const config = validateGptConfig(parseJson<unknown>(r.topology, `checkpoint ${id}`));
  return {
    config,
    safetensors: new Uint8Array(safetensors.buffer, safetensors.byteOffset, safetensors.length),
    vocabJson,
    mergesTxt,
  };
}
