/**
 * The training loop of the language models: shuffled right-padded batches, a pluggable loss (default:
 * weighted token cross-entropy), Adam with linear warm-up and decay, global-norm clipping, progress
 * reports that read the loss back only every few steps, cancellation through an AbortSignal and an
 * optional stopping rule. Seeded: the same items, options and Rng give the same model.
 */
import type { Rng } from '../../engine/random';
import { tf } from '../../engine/tf';
import { throwIfAborted } from '../../errors';
import { clipByGlobalNorm, yieldToEventLoop } from '../../training/trainer';
import type { GptModel } from '../model/gpt';
import { type LmItem, batchTensors, buildBatch } from './batch';
import { type LmLoss, tokenCrossEntropy } from './loss';
import { learningRateAt } from './schedule';

export interface LmTrainOptions {
  /** Peak learning rate. */
  lr: number;
  batchSize: number;
  /** Fraction of all steps spent warming up linearly (default 0.05). */
  warmup?: number;
  /** Learning rate at the end as a fraction of the peak (default 0: linear decay to 0). */
  floor?: number;
  clipNorm?: number;
  loss?: LmLoss;
  /** Padding id (any valid id; end-of-text). */
  padId: number;
}

export interface LmStepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  /** Mean loss of the steps since the last report. */
  loss: number;
}

export interface LmLoopOptions {
  epochs: number;
  signal?: AbortSignal;
  onStep?: (p: LmStepProgress) => void;
  /** Steps between progress reports (default 10). */
  reportEvery?: number;
  /** Called after every epoch (after its last report); return true to stop. */
  afterEpoch?: (epoch: number) => boolean | Promise<boolean>;
}

export interface LmFitResult {
  steps: number;
  epochs: number;
  /** Whether afterEpoch stopped training early. */
  stopped: boolean;
  /** Mean loss of the last report. */
  lastLoss: number;
}

export class LmTrainer {
  private readonly optimizer: tf.Optimizer;

  constructor(
    readonly model: GptModel,
    private readonly opts: LmTrainOptions,
  ) {
    this.optimizer = tf.train.adam(opts.lr);
  }

  /** One optimisation step at learning rate `lr`; returns the loss (the caller disposes it). */
  step(items: readonly LmItem[], lr: number): tf.Scalar {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    const batch = buildBatch(items, this.opts.padId);
    const loss = this.opts.loss ?? tokenCrossEntropy;
    const vars = this.model.variables;
    return tf.tidy(() => {
      const t = batchTensors(batch);
      const { value, grads } = tf.variableGrads(() => loss(this.model, t), vars);
      let gs = vars.map((v) => grads[v.name]);
      if (this.opts.clipNorm) gs = clipByGlobalNorm(gs, this.opts.clipNorm);
      const named: tf.NamedTensorMap = {};
      vars.forEach((v, i) => {
        named[v.name] = gs[i];
      });
      this.optimizer.applyGradients(named);
      return value;
    });
  }

  /**
   * `epochs` shuffled passes over `items`, with the schedule spread over all of their steps. `items` may
   * be a function giving each epoch's items (e.g. fresh retained anchors every epoch), all of the same
   * number.
   */
  async fit(
    items: readonly LmItem[] | ((epoch: number) => readonly LmItem[]),
    rng: Rng,
    loop: LmLoopOptions,
  ): Promise<LmFitResult> {
    const itemsOf = typeof items === 'function' ? items : () => items;
    const bs = this.opts.batchSize;
    let epochItems = itemsOf(0);
    const stepsPerEpoch = Math.ceil(epochItems.length / bs);
    const totalSteps = stepsPerEpoch * loop.epochs;
    const schedule = {
      lr: this.opts.lr,
      warmupSteps: Math.max(1, Math.round((this.opts.warmup ?? 0.05) * totalSteps)),
      totalSteps,
      floor: this.opts.floor,
    };
    const every = loop.reportEvery ?? 10;
    let step = 0;
    let lastLoss = Number.NaN;
    for (let epoch = 0; epoch < loop.epochs; epoch++) {
      if (epoch > 0 && typeof items === 'function') epochItems = itemsOf(epoch);
      const order = rng.permutation(epochItems.length);
      let pending: tf.Scalar[] = [];
      try {
        for (let s = 0; s < stepsPerEpoch; s++) {
          throwIfAborted(loop.signal);
          const end = Math.min(epochItems.length, (s + 1) * bs);
          const chosen = Array.from(order.subarray(s * bs, end), (i) => epochItems[i]);
          pending.push(this.step(chosen, learningRateAt(schedule, step)));
          step++;
          if (pending.length >= every || s === stepsPerEpoch - 1) {
            const mean = tf.tidy(() => tf.mean(tf.stack(pending)));
            lastLoss = (await mean.data())[0];
            mean.dispose();
            tf.dispose(pending);
            pending = [];
            loop.onStep?.({ epoch, step: s + 1, stepsPerEpoch, loss: lastLoss });
            await yieldToEventLoop();
          }
        }
      } finally {
        tf.dispose(pending);
      }
      throwIfAborted(loop.signal);
      if (loop.afterEpoch && (await loop.afterEpoch(epoch))) {
        return { steps: step, epochs: epoch + 1, stopped: true, lastLoss };
      }
    }
    return { steps: step, epochs: loop.epochs, stopped: false, lastLoss };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
