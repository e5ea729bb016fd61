/**
 * The language-model half of `unlearn import-model` (a GPT-2 checkpoint folder: config.json,
 * model.safetensors, vocab.json, merges.txt) and of `unlearn export-model` (the same folder back).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import { CHECKPOINT_FILES, loadGpt2Checkpoint } from '../../llm/checkpoint/gpt2Directory';
import { type CheckpointRow, type DatasetRow, type Db, saveLmCheckpoint } from '../../store';
import { exportLmCheckpoint } from '../../store/exportLm';
import { lmToArtifacts } from '../../store/lmCodec';
import { out, say } from './args';

/** Whether `dir` looks like a GPT-2 checkpoint folder (it has a config.json). */
export function isGpt2Folder(dir: string): boolean {
  return fs.existsSync(path.join(dir, CHECKPOINT_FILES.config));
}

/** Stores the GPT-2 checkpoint folder `dir` as the current checkpoint of text dataset `row`. */
export async function importLmModel(db: Db, row: DatasetRow, dir: string): Promise<void> {
  if (row.kind !== 'text') {
    throw new UserError(
      `${dir} is a GPT-2 checkpoint folder but dataset ${row.id} is an image dataset: import a text dataset first (or pass --dataset ID)`,
    );
  }
  const backend = await initBackend();
  say(describeBackend(backend));
  const { model, tokenizer, config } = await loadGpt2Checkpoint(dir);
  try {
    const checkpoint = saveLmCheckpoint(db, lmToArtifacts(model, tokenizer), {
      datasetId: row.id,
      kind: 'imported',
      label: `GPT-2 checkpoint imported from ${path.resolve(dir)}`,
      metadata: { source: path.resolve(dir) },
      makeCurrent: true,
    });
    say(
      `checkpoint ${checkpoint.id} (current): imported GPT-2 model ${dir} (${config.nLayer} layers, ${config.nEmbd} wide, ${config.vocabSize} tokens); no training recipe: retrain will use the default one`,
    );
    out(String(checkpoint.id));
  } finally {
    model.dispose();
  }
}

/** Writes language model `checkpoint` as a GPT-2 checkpoint folder. */
export function exportLmModel(db: Db, checkpoint: CheckpointRow, dir: string): void {
  exportLmCheckpoint(db, checkpoint, dir);
  say(
    `exported language model ${checkpoint.id} (sha256 ${checkpoint.contentHash.slice(0, 16)}…) to ${dir} as a GPT-2 checkpoint folder`,
  );
}
