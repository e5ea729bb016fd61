/** What the language-model unlearning methods share: retained anchors, the fine-tuning of a copy, stopping. */
import type { Rng } from '../../../engine/random';
import { tf } from '../../../engine/tf';
import type { LmSample, QaSample } from '../../data/types';
import type { GptModel } from '../../model/gpt';
import type { LmItem } from '../../training/batch';
import { batchTensors, buildBatch } from '../../training/batch';
import { sequenceLogProbs } from '../../training/loss';
import { type TokenCodec, encodeSample } from '../../training/sequences';
import { type LmTrainOptions, LmTrainer } from '../../training/trainer';
import { leakRate } from '../leakRate';
import type { LmTask, MethodContext } from '../types';

/** A seeded random subset of `count` retained samples (all of them when count >= their number). */
export function retainAnchors(task: LmTask, count: number, rng: Rng): LmSample[] {
  const r = task.retain;
  if (count >= r.length) return [...r];
  return Array.from(rng.permutation(r.length).subarray(0, Math.max(0, Math.round(count))), (i) => r[i]);
}

/** Training items of samples with one weight and group. */
export function itemsFor(task: LmTask, samples: readonly LmSample[], weight = 1, group = 0): LmItem[] {
  const maxLength = task.recipe.nPositions + 1;
  return samples.map((s) => ({ seq: encodeSample(task.codec, s, maxLength), weight, group }));
}

/** Each item's summed answer log-probability under `model` (NPO's reference), as item.ref. */
export function withReferenceLogProbs(
  model: GptModel,
  codec: TokenCodec,
  items: LmItem[],
  batchSize = 32,
): LmItem[] {
  const out: LmItem[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const part = items.slice(start, start + batchSize);
    const lp = tf.tidy(() => sequenceLogProbs(model, batchTensors(buildBatch(part, codec.eotId))));
    const values = lp.dataSync();
    lp.dispose();
    part.forEach((it, i) => out.push({ ...it, ref: values[i] }));
  }
  return out;
}

export interface StopRule {
  /** Original forget answers to watch. */
  samples: readonly QaSample[];
  words: ReadonlySet<string>;
  /** Stop once the leak rate (../leakRate.ts) is at or below this. */
  stopAt: number;
  /** Epochs still trained after the rule is first met (default 0). */
  extraEpochs?: number;
}

export interface FineTune {
  items: LmItem[];
  /** Default: a constant learning rate (no warm-up, floor 1). */
  train: Omit<LmTrainOptions, 'padId'>;
  /** At most this many epochs. */
  epochs: number;
  stop?: StopRule;
}

/**
 * Clones the original and fine-tunes the copy (the shared body of every fine-tuning method): after each
 * epoch the stop rule is checked, and training ends `extraEpochs` after it is met. The copy is disposed
 * on failure or cancellation.
 */
export async function fineTuneCopy(
  original: GptModel,
  task: LmTask,
  spec: FineTune,
  ctx: MethodContext,
  stage: string,
  rng: Rng,
): Promise<GptModel> {
  const model = original.clone();
  const trainer = new LmTrainer(model, { warmup: 0, floor: 1, ...spec.train, padId: task.codec.eotId });
  try {
    const stop = spec.stop;
    const leak = () => (stop ? leakRate(model, task.codec, stop.samples, stop.words) : 1);
    if (stop && leak() <= stop.stopAt) return model;
    let metAt = -1;
    await trainer.fit(spec.items, rng, {
      epochs: spec.epochs,
      signal: ctx.signal,
      onStep: (p) =>
        ctx.onProgress?.({
          stage,
          fraction: (p.epoch + p.step / p.stepsPerEpoch) / spec.epochs,
          loss: p.loss,
        }),
      afterEpoch: (epoch) => {
        if (!stop) return false;
        if (metAt < 0 && leak() <= stop.stopAt) metAt = epoch;
        return metAt >= 0 && epoch - metAt >= (stop.extraEpochs ?? 0);
      },
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    trainer.dispose();
  }
  return model;
}
