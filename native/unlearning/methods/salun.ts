import { Rng } from '../../engine/random';
/**
 * `salun` (Fan et al., ICLR 2024): only the weights most salient to the forget loss are updated.
 * The saliency map is |gradient of the forget-set cross-entropy|, thresholded at a global quantile
 * (default: the top half of all weights); then random-label fine-tuning runs with that mask.
 */
import { type Tensor, tf } from '../../engine/tf';
import { throwIfAborted } from '../../errors';
import type { Classifier } from '../../models/classifier';
import { buildBatch, planEpoch } from '../../training/samples';
import { Options } from '../options';
import type { UnlearningMethod, UnlearningTask } from '../types';
import { RANDOM_LABEL_DEFAULTS, randomLabelFinetune } from './randomLabel';

/** Masks (1 = may change) of the `fraction` of weights with the largest forget-loss gradient. */
export function saliencyMasks(
  c: Classifier,
  task: UnlearningTask,
  fraction: number,
  signal?: AbortSignal,
): Tensor[] {
  const vars = c.variables();
  const k = c.info.numClasses;
  const plan = planEpoch([task.forget], new Rng(0));
  let sums: Tensor[] = vars.map((v) => tf.zerosLike(v));
  for (let start = 0; start < plan.size; start += 128) {
    throwIfAborted(signal);
    const batch = buildBatch([task.forget], plan, start, Math.min(plan.size, start + 128), c.info.inputShape);
    const next = tf.tidy(() => {
      const y = tf.oneHot(tf.tensor1d(batch.targets, 'int32'), k);
      const { grads } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            y,
            c.logits(batch.x, false),
            undefined,
            0,
            tf.Reduction.SUM,
          ) as tf.Scalar,
        vars,
      );
      return vars.map((v, i) => tf.add(sums[i], grads[v.name]));
    });
    batch.x.dispose();
    sums.forEach((t) => t.dispose());
    sums = next;
  }
  const mags = sums.map((s) => tf.abs(s));
  sums.forEach((t) => t.dispose());
  const all = new Float32Array(mags.reduce((n, m) => n + m.size, 0));
  let off = 0;
  for (const m of mags) {
    const d = m.dataSync() as Float32Array;
    all.set(d, off);
    off += d.length;
  }
  const sorted = all.slice().sort();
  const cut = Math.min(sorted.length - 1, Math.max(0, Math.floor(sorted.length * (1 - fraction))));
  const threshold = sorted[cut];
  const masks = mags.map((m) => tf.tidy(() => tf.cast(tf.greaterEqual(m, threshold), 'float32')));
  mags.forEach((m) => m.dispose());
  return masks;
}

export const salun: UnlearningMethod = {
  name: 'salun',
  summary: 'Random-label fine-tuning restricted to the weights most salient to the forgotten class (SalUn).',
  defaults: { ...RANDOM_LABEL_DEFAULTS, saliency_fraction: 0.5 },
  async run(original, task, options, ctx) {
    const o = new Options('salun', this.defaults, options);
    ctx.onProgress?.({ stage: 'saliency', fraction: 0 });
    const masks = saliencyMasks(original, task, o.num('saliency_fraction'), ctx.signal);
    try {
      return await randomLabelFinetune(original, task, o, ctx, 'salun', masks);
    } finally {
      masks.forEach((m) => m.dispose());
    }
  },
};
