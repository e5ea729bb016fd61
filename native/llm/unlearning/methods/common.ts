/** What the language-model unlearning methods share: retained anchors, the fine-tuning of a copy, stopping. */
import type { Rng } from '../../../engine/random';
import { tf } from '../../../engine/tf';
import type { Options } from '../../../unlearning/options';
import type { LmSample, QaSample } from '../../data/types';
import type { GptModel } from '../../model/gpt';
import type { LmItem } from '../../training/batch';
import { batchTensors, buildBatch } from '../../training/batch';
import { sequenceLogProbs } from '../../training/loss';
import { type TokenCodec, encodeSample } from '../../training/sequences';
import { type LmTrainOptions, LmTrainer } from '../../training/trainer';
import { leakRate } from '../leakRate';
import type { LmTask, MethodContext } from '../types';

/** `count` items drawn at random from `pool` without repetition (all of them when count >= its size). */
export function drawAnchors<T>(pool: readonly T[], count: number, rng: Rng): T[] {
  if (count >= pool.length) return [...pool];
  return Array.from(rng.permutation(pool.length).subarray(0, Math.max(0, Math.round(count))), (i) => pool[i]);
}

/**
 * The retained anchors of a method: every retained sample as an item, `ratio` per forget question drawn
 * afresh every epoch (so the fine-tuning does not overfit one subset).
 */
export function retainAnchors(task: LmTask, ratio: number): { pool: LmItem[]; count: number } {
  return { pool: itemsFor(task, task.retain), count: Math.round(task.forgetQa.length * ratio) };
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
  /** What is watched after every epoch (lower is more forgotten), e.g. leakWatch. */
  measure: (model: GptModel) => number;
  /** Stop once the measure is at or below this. */
  stopAt: number;
  /** Steps still trained after the rule is first met, rounded up to whole epochs (default 0). */
  extraSteps?: number;
}

/**
 * The leak rate (../leakRate.ts) on the original forget answers `samples` of `words`: one list for every
 * answer, or one list per answer.
 */
export function leakWatch(
  task: LmTask,
  samples: readonly QaSample[],
  words: readonly string[] | readonly (readonly string[])[],
): (m: GptModel) => number {
  const perAnswer = words.length > 0 && Array.isArray(words[0]);
  const sets = perAnswer
    ? (words as readonly (readonly string[])[]).map((w) => new Set(w))
    : new Set(words as readonly string[]);
  return (m) => leakRate(m, task.codec, samples, sets);
}

export interface FineTune {
  /** Trained every epoch. */
  items: LmItem[];
  /** Retained anchors drawn afresh every epoch (seeded), `count` of `pool`, added to `items`. */
  anchors?: { pool: LmItem[]; count: number };
  /** Default: a constant learning rate (no warm-up, floor 1). */
  train: Omit<LmTrainOptions, 'padId'>;
  /** At most this many epochs. */
  epochs: number;
  stop?: StopRule;
}

/**
 * What every fine-tuning method reads from its options: `lr`, `batch_size`, `clip_norm`, `epochs`, and the
 * stop rule (`stop_at`, `extra_steps`) on `measure`.
 */
export function loopSettings(
  o: Options,
  measure: StopRule['measure'],
): Pick<FineTune, 'train' | 'epochs'> & { stop: StopRule } {
  return {
    train: { lr: o.num('lr'), batchSize: o.num('batch_size'), clipNorm: o.num('clip_norm') },
    epochs: o.num('epochs'),
    stop: { measure, stopAt: o.num('stop_at'), extraSteps: o.num('extra_steps') },
  };
}

/**
 * Clones the original and fine-tunes the copy (the shared body of every fine-tuning method): after each
 * epoch the stop rule is checked, and training ends `extraSteps` steps (whole epochs) after it is met. The copy is disposed
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
    const leak = () => (stop ? stop.measure(model) : 1);
    if (stop && leak() <= stop.stopAt) return model;
    let metAt = -1;
    const perEpochItems =
      spec.items.length + (spec.anchors ? Math.min(spec.anchors.count, spec.anchors.pool.length) : 0);
    const stepsPerEpoch = Math.ceil(perEpochItems / spec.train.batchSize);
    const anchors = spec.anchors;
    const perEpoch = anchors
      ? (_epoch: number) => [...spec.items, ...drawAnchors(anchors.pool, anchors.count, rng)]
      : spec.items;
    await trainer.fit(perEpoch, rng, {
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
        return metAt >= 0 && (epoch - metAt) * stepsPerEpoch >= (stop.extraSteps ?? 0);
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
