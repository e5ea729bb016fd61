/**
 * Integrated Gradients on tokens: the attribution of each input token of a sample to the summed
 * log-probability of the sample's trained targets (the answer of a question, every token of a text) under
 * teacher forcing, F(e) = sum_t mask_t log p(y_t | e_0..e_t), taken with respect to the token embeddings e
 * (positions are added inside the model and stay fixed). The baseline replaces every token's embedding
 * by zero or by the end-of-text embedding; the path integral uses ../../concepts/integratedGradients.ts
 * (Gauss-Legendre by default). A token's attribution is the sum over the embedding dimension; by
 * completeness the attributions of a sample sum to F(e) - F(baseline) up to the quadrature error (its
 * completeness gap).
 */
import { type IgRule, integratedGradients } from '../../concepts/integratedGradients';
import { type Tensor, tf } from '../../engine/tf';
import { throwIfAborted } from '../../errors';
import type { LmSample } from '../data/types';
import type { GptModel } from '../model/gpt';
import { type LmBatch, buildBatch } from '../training/batch';
import { targetLogProbs } from '../training/loss';
import { type TokenCodec, encodeSample } from '../training/sequences';
import { type TokenWords, tokenWords } from './tokenWords';

export type TokenBaseline = 'zero' | 'eot';
export const TOKEN_BASELINES: readonly TokenBaseline[] = ['zero', 'eot'];

export interface TokenIgOptions {
  /** Quadrature nodes (default 16). */
  steps?: number;
  /** Default 'gauss-legendre'. */
  rule?: IgRule;
  /** Default 'eot'. */
  baseline?: TokenBaseline;
  /** Most path points (samples x nodes) per gradient evaluation (default 64). */
  batchPoints?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface TokenAttribution {
  /** The sample's ids and the word of each (tokenWords.ts), cut to the model's context. */
  tokens: TokenWords;
  /** Per input position (ids[0..n-2]): the attribution summed over the embedding. */
  attributions: Float32Array;
  /** F at the sample and at the baseline; gap = sum(attributions) - (fx - fBaseline). */
  fx: number;
  fBaseline: number;
  gap: number;
  relativeGap: number;
}

/**
 * A scorer of embeddings: for embeddings [rows, T, E] whose row r is a path point of sample r mod n, the
 * value of F per row. The default is the teacher-forced log-probability above; tests pass closed forms.
 */
export type EmbeddingScorer = (embeddings: tf.Tensor3D, batch: LmBatch) => tf.Tensor1D;

/** F of the module comment, for the GPT `model`. */
export function answerLogProbScorer(model: GptModel): EmbeddingScorer {
  return (emb, batch) =>
    tf.tidy(() => {
      const reps = emb.shape[0] / batch.batch;
      const target = tf.tile(tf.tensor2d(batch.target, [batch.batch, batch.time], 'int32'), [reps, 1]);
      const mask = tf.tile(tf.tensor2d(batch.mask, [batch.batch, batch.time]), [reps, 1]);
      const lp = targetLogProbs(model.logitsFromEmbeddings(emb), target as tf.Tensor2D);
      return tf.sum(tf.mul(lp, mask), 1) as tf.Tensor1D;
    });
}

/**
 * Token attributions of every sample, in order. `scorer` defaults to answerLogProbScorer(model); the
 * embeddings always come from the model's token embedding.
 */
export function tokenAttributions(
  model: GptModel,
  codec: TokenCodec,
  samples: readonly LmSample[],
  opts: TokenIgOptions = {},
  scorer: EmbeddingScorer = answerLogProbScorer(model),
): TokenAttribution[] {
  const steps = opts.steps ?? 16;
  const points = Math.max(steps, opts.batchPoints ?? 64);
  const chunk = Math.max(1, Math.floor(points / steps));
  const maxLength = model.config.nPositions + 1;
  const out: TokenAttribution[] = [];
  for (let start = 0; start < samples.length; start += chunk) {
    throwIfAborted(opts.signal);
    const part = samples.slice(start, start + chunk);
    const words = part.map((s) => tokenWords(codec, s));
    const seqs = part.map((s) => encodeSample(codec, s, maxLength));
    const batch = buildBatch(
      seqs.map((seq) => ({ seq })),
      codec.eotId,
    );
    const x = tf.tidy(() => model.embedTokens(tf.tensor2d(batch.input, [batch.batch, batch.time], 'int32')));
    const baseline: Tensor | 'zero' =
      (opts.baseline ?? 'eot') === 'zero'
        ? 'zero'
        : tf.tidy(() => model.embedTokens(tf.fill([1, batch.time], codec.eotId, 'int32') as tf.Tensor2D));
    try {
      const r = integratedGradients((z) => scorer(z as tf.Tensor3D, batch), x, {
        baseline,
        steps,
        rule: opts.rule ?? 'gauss-legendre',
        batchSize: points,
      });
      const e = x.shape[2];
      part.forEach((_, i) => {
        const n = seqs[i].ids.length - 1;
        const attributions = new Float32Array(n);
        for (let t = 0; t < n; t++) {
          let s = 0;
          const off = (i * batch.time + t) * e;
          for (let d = 0; d < e; d++) s += r.attributions[off + d];
          attributions[t] = s;
        }
        const tw = words[i];
        const cut = seqs[i].ids.length;
        out.push({
          tokens: { ids: tw.ids.slice(0, cut), wordOf: tw.wordOf.slice(0, cut), words: tw.words },
          attributions,
          fx: r.fx[i],
          fBaseline: r.fBaseline[i],
          gap: r.gap[i],
          relativeGap: r.relativeGap[i],
        });
      });
    } finally {
      x.dispose();
      if (baseline !== 'zero') baseline.dispose();
    }
    opts.onProgress?.(Math.min(1, (start + part.length) / samples.length));
  }
  return out;
}
