import type { Rng } from '../engine/random';
import { type Tensor, tf } from '../engine/tf';
/**
 * The training loop every method shares: weighted cross-entropy (negative weights ascend), Adam or SGD,
 * optional gradient masks (SalUn) and global-norm clipping, progress without per-step host reads,
 * and cancellation through an AbortSignal.
 */
import { throwIfAborted } from '../errors';
import type { Classifier } from '../models/classifier';
import { type Batch, type SampleSet, buildBatch, planEpoch } from './samples';

export interface TrainOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  optimizer?: 'adam' | 'sgd';
  /** SGD momentum (default 0.9). */
  momentum?: number;
  batchSize?: number;
  /** Clip the global gradient norm to this value. */
  clipNorm?: number;
  /** Multiplies each variable's gradient (same order as classifier.variables()): 0 freezes a weight. */
  gradMasks?: Tensor[];
  /**
   * Added to the logits in the training loss only (logit adjustment, Menon et al. 2021): log(π_train / π)
   * per class makes the model learn the posterior under the prior π rather than the training mix's.
   */
  logitOffset?: readonly number[];
}

export interface StepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  /** Mean loss of the last reported window (read from the backend only when reporting). */
  loss: number;
}

export interface LoopOptions {
  epochs: number;
  /** Stop an epoch after this many steps (default: the whole epoch). */
  maxStepsPerEpoch?: number;
  signal?: AbortSignal;
  onStep?: (p: StepProgress) => void;
  /** Called after every epoch; return true to stop. */
  afterEpoch?: (epoch: number) => boolean | Promise<boolean>;
  /** Steps between progress reports (each reads the loss back once). */
  reportEvery?: number;
  /** Checked at every report; return true to stop training there. */
  shouldStop?: () => boolean;
}

export class Trainer {
  private readonly optimizer: tf.Optimizer;
  private readonly vars: tf.Variable[];
  private readonly offset: Tensor | null;
  readonly batchSize: number;

  constructor(
    readonly classifier: Classifier,
    private readonly opts: TrainOptions = {},
  ) {
    const lr = opts.lr ?? 1e-3;
    this.optimizer =
      (opts.optimizer ?? 'adam') === 'adam' ? tf.train.adam(lr) : tf.train.momentum(lr, opts.momentum ?? 0.9);
    this.vars = classifier.variables();
    this.batchSize = opts.batchSize ?? 64;
    if (opts.gradMasks && opts.gradMasks.length !== this.vars.length) {
      throw new Error(`gradMasks has ${opts.gradMasks.length} entries for ${this.vars.length} variables`);
    }
    const k = classifier.info.numClasses;
    if (opts.logitOffset && opts.logitOffset.length !== k) {
      throw new Error(`logitOffset has ${opts.logitOffset.length} entries for ${k} classes`);
    }
    this.offset = opts.logitOffset ? tf.keep(tf.tensor1d([...opts.logitOffset])) : null;
  }

  /** One optimisation step; returns the batch loss as a scalar tensor (the caller disposes it). */
  step(batch: Batch): Tensor {
    const k = this.classifier.info.numClasses;
    return tf.tidy(() => {
      const y = tf.oneHot(tf.tensor1d(batch.targets, 'int32'), k);
      const lossFn = (): tf.Scalar => {
        const raw = this.classifier.logits(batch.x, true);
        const logits = this.offset ? tf.add(raw, this.offset) : raw;
        if (batch.uniform) return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        const w = tf.tensor1d(batch.weights);
        const ce = tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, tf.Reduction.NONE);
        return tf.mean(tf.mul(ce, w)) as tf.Scalar;
      };
      if (!this.opts.gradMasks && !this.opts.clipNorm) {
        return this.optimizer.minimize(lossFn, true, this.vars) as tf.Scalar;
      }
      const { value, grads } = tf.variableGrads(lossFn, this.vars);
      const names = this.vars.map((v) => v.name);
      let gs = names.map((n) => grads[n]);
      if (this.opts.gradMasks) gs = gs.map((g, i) => tf.mul(g, this.opts.gradMasks![i]));
      if (this.opts.clipNorm) gs = clipByGlobalNorm(gs, this.opts.clipNorm);
      const named: tf.NamedTensorMap = {};
      names.forEach((n, i) => {
        named[n] = gs[i];
      });
      this.optimizer.applyGradients(named);
      return value;
    });
  }

  /** Runs `epochs` shuffled passes over the sample sets. */
  async fit(sets: readonly SampleSet[], rng: Rng, loop: LoopOptions): Promise<void> {
    const shape = this.classifier.info.inputShape;
    const every = loop.reportEvery ?? 20;
    for (let epoch = 0; epoch < loop.epochs; epoch++) {
      const plan = planEpoch(sets, rng);
      const bs = this.batchSize;
      const fullSteps = Math.ceil(plan.size / bs);
      const steps = Math.min(fullSteps, loop.maxStepsPerEpoch ?? fullSteps);
      let pending: Tensor[] = [];
      for (let s = 0; s < steps; s++) {
        throwIfAborted(loop.signal);
        const batch = buildBatch(sets, plan, s * bs, Math.min(plan.size, (s + 1) * bs), shape);
        const loss = this.step(batch);
        batch.x.dispose();
        pending.push(loss);
        if (pending.length >= every || s === steps - 1) {
          const mean = tf.tidy(() => tf.mean(tf.stack(pending)));
          const value = (await mean.data())[0];
          mean.dispose();
          pending.forEach((t) => t.dispose());
          pending = [];
          loop.onStep?.({ epoch, step: s + 1, stepsPerEpoch: steps, loss: value });
          await yieldToEventLoop();
          throwIfAborted(loop.signal);
          if (loop.shouldStop?.()) return;
        }
      }
      if (loop.afterEpoch && (await loop.afterEpoch(epoch))) break;
    }
    throwIfAborted(loop.signal);
  }

  /** Changes the learning rate for the following steps (optimizer state is kept). */
  setLearningRate(lr: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.offset?.dispose();
  }
}

export function clipByGlobalNorm(grads: Tensor[], maxNorm: number): Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    return grads.map((g) => tf.mul(g, scale));
  });
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
