/**
 * The original language model of the demo: a BPE tokenizer and a GPT trained from scratch on the whole
 * corpus, once per (corpus, recipe, tokenizer size, seed), cached in OUT/cache as a GPT-2 checkpoint
 * folder (config.json, model.safetensors, vocab.json, merges.txt) with the training time in demo.json.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadGpt2Checkpoint, saveGpt2Checkpoint } from '../checkpoint/gpt2Directory';
import type { LmCorpus } from '../data/types';
import type { GptModel } from '../model/gpt';
import type { Gpt2Tokenizer } from '../tokenizer/gpt2Tokenizer';
import { trainLmFromScratch } from '../training/fromScratch';
import type { LmRecipe } from '../training/recipe';
import { demoTokenizer } from './corpus';

export interface LlmOriginal {
  model: GptModel;
  tokenizer: Gpt2Tokenizer;
  /** Seconds the training took (when it was trained, possibly in an earlier run). */
  seconds: number;
  cached: boolean;
  dir: string;
}

/** A content hash of what determines the original: training samples, recipe, tokenizer size and seed. */
export function llmOriginalKey(corpus: LmCorpus, recipe: LmRecipe, vocabSize: number, seed: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ train: corpus.train, recipe, vocabSize, seed, v: 1 }));
  return h.digest('hex').slice(0, 16);
}

export async function obtainLlmOriginal(
  corpus: LmCorpus,
  recipe: LmRecipe,
  vocabSize: number,
  seed: number,
  cacheDir: string,
  onProgress: (fraction: number, loss: number, epoch: number) => void,
): Promise<LlmOriginal> {
  const dir = path.join(cacheDir, `llm-original-${llmOriginalKey(corpus, recipe, vocabSize, seed)}`);
  const meta = path.join(dir, 'demo.json');
  if (fs.existsSync(meta)) {
    const { model, tokenizer } = await loadGpt2Checkpoint(dir);
    const { trainSeconds } = JSON.parse(fs.readFileSync(meta, 'utf8')) as { trainSeconds?: number };
    return { model, tokenizer, seconds: Number(trainSeconds ?? 0), cached: true, dir };
  }
  const t0 = performance.now();
  const tokenizer = demoTokenizer(corpus, vocabSize);
  const model = await trainLmFromScratch(recipe, tokenizer, corpus.train, { seed, onProgress });
  const seconds = (performance.now() - t0) / 1000;
  await saveGpt2Checkpoint(dir, model, tokenizer);
  fs.writeFileSync(meta, `${JSON.stringify({ trainSeconds: seconds, recipe, vocabSize, seed }, null, 2)}\n`);
  return { model, tokenizer, seconds, cached: false, dir };
}
