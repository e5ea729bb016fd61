/**
 * A GPT-2 checkpoint folder as Hugging Face lays it out: config.json, model.safetensors, vocab.json,
 * merges.txt. Saving writes a temporary sibling folder and renames it into place, so the folder is
 * always either the old checkpoint or the complete new one.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { GptConfig } from '../model/config';
import type { GptModel } from '../model/gpt';
import { Gpt2Tokenizer } from '../tokenizer/gpt2Tokenizer';
import { gptFromSafetensors, gptToSafetensors } from './gptSafetensors';
import { formatHfGpt2Config, parseHfGpt2Config } from './hfConfig';

export const CHECKPOINT_FILES = {
  config: 'config.json',
  weights: 'model.safetensors',
  vocab: 'vocab.json',
  merges: 'merges.txt',
} as const;

export interface Gpt2Checkpoint {
  model: GptModel;
  tokenizer: Gpt2Tokenizer;
  config: GptConfig;
}

async function readFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await fs.readFile(path.join(dir, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`the checkpoint folder ${dir} has no ${name}`);
    throw new UserError(`cannot read ${path.join(dir, name)} (${(err as Error).message})`);
  }
}

/** Loads a GPT-2 checkpoint folder (UserError naming the file and the problem when it is invalid). */
export async function loadGpt2Checkpoint(dir: string): Promise<Gpt2Checkpoint> {
  const names = [
    CHECKPOINT_FILES.config,
    CHECKPOINT_FILES.weights,
    CHECKPOINT_FILES.vocab,
    CHECKPOINT_FILES.merges,
  ];
  // Settled together, the first failure reported in file order (not whichever read fails first).
  const reads = await Promise.allSettled(names.map((name) => readFile(dir, name)));
  const contents = reads.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  const [configText, weights, vocabJson, mergesTxt] = contents;
  const config = parseHfGpt2Config(configText.toString('utf8'));
  const tokenizer = Gpt2Tokenizer.fromFiles(vocabJson.toString('utf8'), mergesTxt.toString('utf8'));
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new UserError(
      `vocab.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size (the embedding's rows) is ${config.vocabSize}`,
    );
  }
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const model = gptFromSafetensors(bytes, config);
  return { model, tokenizer, config: { ...config } };
}

/** Saves model and tokenizer as a GPT-2 checkpoint folder, replacing `dir` whole if it exists. */
export async function saveGpt2Checkpoint(
  dir: string,
  model: GptModel,
  tokenizer: Gpt2Tokenizer,
): Promise<void> {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new UserError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model's embedding has ${model.config.vocabSize} rows`,
    );
  }
  const target = path.resolve(dir);
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = `${target}.tmp-${suffix}`;
  const files: [string, string | Uint8Array][] = [
    [CHECKPOINT_FILES.config, formatHfGpt2Config(model.config, tokenizer.eotId)],
    [CHECKPOINT_FILES.weights, gptToSafetensors(model)],
    [CHECKPOINT_FILES.vocab, tokenizer.toVocabJson()],
    [CHECKPOINT_FILES.merges, tokenizer.toMergesTxt()],
  ];
  await fs.mkdir(temp, { recursive: true });
  try {
    for (const [name, content] of files) await fs.writeFile(path.join(temp, name), content);
    await replaceFolder(temp, target, `${target}.old-${suffix}`);
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Puts `temp` at `target`: a missing target is a rename; an existing one is moved aside first. */
async function replaceFolder(temp: string, target: string, aside: string): Promise<void> {
  const existing = await fs.stat(target).catch(() => undefined);
  if (existing === undefined) {
    await fs.rename(temp, target);
    return;
  }
  if (!existing.isDirectory()) throw new UserError(`${target} exists and is not a folder`);
  await fs.rename(target, aside);
  try {
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rename(aside, target);
    throw err;
  }
  await fs.rm(aside, { recursive: true, force: true });
}
