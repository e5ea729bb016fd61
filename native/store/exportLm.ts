/**
 * Writing a stored language model out as a GPT-2 checkpoint folder (config.json, model.safetensors,
 * vocab.json, merges.txt), byte for byte the stored weights and tokenizer, each file written through a
 * temporary file and a rename.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { CHECKPOINT_FILES } from '../llm/checkpoint/gpt2Directory';
import { formatHfGpt2Config } from '../llm/checkpoint/hfConfig';
import { Gpt2Tokenizer } from '../llm/tokenizer/gpt2Tokenizer';
import type { CheckpointRow } from './checkpoints';
import type { Db } from './db';
import { writeAtomically } from './exportModel';
import { loadLmArtifacts } from './lmCheckpoints';

const OURS = new Set<string>(Object.values(CHECKPOINT_FILES));

/** Exports language model `checkpoint` into `dir` (created; an existing folder may hold only those files). */
export function exportLmCheckpoint(db: Db, checkpoint: CheckpointRow, dir: string): string[] {
  const a = loadLmArtifacts(db, checkpoint.id);
  const eotId = Gpt2Tokenizer.fromFiles(a.vocabJson, a.mergesTxt).eotId;
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new UserError(`${dir} exists and is not a folder`);
    const other = fs.readdirSync(dir).find((f) => !OURS.has(f));
    if (other !== undefined) {
      throw new UserError(
        `${dir} holds other files (${other}): export a language model to a new or empty folder`,
      );
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  const files: [string, string | Uint8Array][] = [
    [CHECKPOINT_FILES.config, formatHfGpt2Config(a.config, eotId)],
    [CHECKPOINT_FILES.weights, a.safetensors],
    [CHECKPOINT_FILES.vocab, a.vocabJson],
    [CHECKPOINT_FILES.merges, a.mergesTxt],
  ];
  return files.map(([name, data]) => {
    const file = path.join(dir, name);
    writeAtomically(file, data);
    return file;
  });
}
