/**
 * Teacher-forced scores of samples: per sample, the summed negative log-likelihood of its trained tokens
 * (the answer of a question, every token of a text) and their number. Batched, no gradients.
 */
import { tf } from '../../engine/tf';
import type { LmSample } from '../data/types';
import type { GptModel } from '../model/gpt';
import { batchTensors, buildBatch } from '../training/batch';
import { sequenceLogProbs } from '../training/loss';
import { type TokenCodec, encodeSample } from '../training/sequences';

export interface SampleScore {
  /** Sum of -log p over the sample's trained tokens. */
  nll: number;
  tokens: number;
}

export function scoreSamples(
  model: GptModel,
  codec: TokenCodec,
  samples: readonly LmSample[],
  batchSize = 32,
): SampleScore[] {
  const out: SampleScore[] = [];
  const maxLength = model.config.nPositions + 1;
  for (let start = 0; start < samples.length; start += batchSize) {
    const items = samples
      .slice(start, start + batchSize)
      .map((s) => ({ seq: encodeSample(codec, s, maxLength) }));
    const batch = buildBatch(items, codec.eotId);
    const lp = tf.tidy(() => sequenceLogProbs(model, batchTensors(batch)));
    const values = lp.dataSync();
    lp.dispose();
    items.forEach((it, i) => {
      out.push({ nll: -values[i], tokens: it.seq.mask.reduce((a, b) => a + b, 0) });
    });
  }
  return out;
}

/** Mean NLL per token of each sample (0 for a sample without trained tokens). */
export function meanTokenLosses(scores: readonly SampleScore[]): number[] {
  return scores.map((s) => (s.tokens > 0 ? s.nll / s.tokens : 0));
}
