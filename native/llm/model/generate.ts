/**
 * Autoregressive generation with a KV cache: the prompt runs once (its keys and values kept per
 * layer), then each new token runs alone against the cached keys and values, appended step by step.
 * Greedy (argmax, lowest id on ties) or sampling with temperature and top-k from a seeded generator.
 */
import { Rng } from '../../engine/random';
import { tf } from '../../engine/tf';
import { UserError } from '../../errors';
import type { LayerKv } from './forward';
import type { GptModel } from './gpt';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 or absent: greedy. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Seed of the sampler (default 0); unused when greedy. */
  seed?: number;
  /** Stop after producing one of these ids (it is included in the result, the last token). */
  stopIds?: number[];
}

/**
 * The tokens generated after `promptIds` (the new ones only): up to maxNewTokens, fewer when a stop id
 * comes. The prompt plus the new tokens must fit the model's context (nPositions).
 */
export function generate(model: GptModel, promptIds: number[], opts: GenerateOptions): number[] {
  const { vocabSize, nPositions } = model.config;
  checkOptions(opts);
  if (promptIds.length === 0) throw new UserError('the prompt is empty: give at least one token');
  for (const id of promptIds) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new UserError(`prompt token ${id} is not an id of this vocabulary (0..${vocabSize - 1})`);
    }
  }
  if (promptIds.length + opts.maxNewTokens > nPositions) {
    throw new UserError(
      `a prompt of ${promptIds.length} tokens plus ${opts.maxNewTokens} new tokens exceeds the model's context of ${nPositions}`,
    );
  }
  const out: number[] = [];
  if (opts.maxNewTokens === 0) return out;
  const stop = new Set(opts.stopIds ?? []);
  const temperature = opts.temperature ?? 0;
  const rng = new Rng(opts.seed ?? 0);
  let cache: LayerKv[] | undefined;
  let last: tf.Tensor1D | undefined;
  try {
    let input = promptIds;
    for (;;) {
      const past: LayerKv[] | undefined = cache;
      const step = tf.tidy(() => {
        const ids = tf.tensor2d(input, [1, input.length], 'int32');
        const { logits, present } = model.forward(model.embedTokens(ids), past);
        const row = tf.reshape(tf.slice(logits, [0, input.length - 1, 0], [1, 1, vocabSize]), [vocabSize]);
        return { row: row as tf.Tensor1D, present };
      });
      if (past) disposeCache(past);
      cache = step.present;
      last = step.row;
      const logits = last.dataSync() as Float32Array;
      const next = temperature > 0 ? sample(logits, temperature, opts.topK, rng) : argmax(logits);
      last.dispose();
      last = undefined;
      out.push(next);
      if (stop.has(next) || out.length === opts.maxNewTokens) return out;
      input = [next];
    }
  } finally {
    last?.dispose();
    if (cache) disposeCache(cache);
  }
}

function checkOptions(opts: GenerateOptions): void {
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) {
    throw new UserError(`maxNewTokens must be a non-negative integer, got ${opts.maxNewTokens}`);
  }
  const t = opts.temperature;
  if (t !== undefined && !(Number.isFinite(t) && t >= 0)) {
    throw new UserError(`temperature must be a finite number >= 0, got ${t}`);
  }
  if (opts.topK !== undefined && !(Number.isInteger(opts.topK) && opts.topK >= 1)) {
    throw new UserError(`topK must be a positive integer, got ${opts.topK}`);
  }
}

function disposeCache(cache: LayerKv[]): void {
  for (const { k, v } of cache) tf.dispose([k, v]);
}

/** The index of the largest value (the lowest index among equal ones). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Draws an index from softmax(logits / temperature), restricted to the topK largest logits (ties
 * broken by lower index) when topK is given.
 */
export function sample(
  logits: ArrayLike<number>,
  temperature: number,
  topK: number | undefined,
  rng: Rng,
): number {
  let candidates = Array.from({ length: logits.length }, (_, i) => i);
  if (topK !== undefined && topK < candidates.length) {
    candidates.sort((a, b) => logits[b] - logits[a] || a - b);
    candidates = candidates.slice(0, topK);
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const i of candidates) max = Math.max(max, logits[i]);
  const weights = candidates.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let j = 0; j < candidates.length; j++) {
    u -= weights[j];
    if (u < 0) return candidates[j];
  }
  return candidates[candidates.length - 1];
}
