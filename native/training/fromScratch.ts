/** Training a built-in CNN from scratch (the original model, and the `retrain` gold standard). */
import { Rng } from '../engine/random';
import { Classifier } from '../models/classifier';
import { archByName, buildCnn } from '../models/cnn';
import type { ArchSpec } from '../models/spec';
import type { SampleSet } from './samples';
import { Trainer } from './trainer';

export interface FromScratchOptions {
  shape: [number, number, number];
  numClasses: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, loss: number, epoch: number) => void;
}

export async function trainFromScratch(
  spec: ArchSpec,
  sets: readonly SampleSet[],
  opts: FromScratchOptions,
): Promise<Classifier> {
  const model = buildCnn(archByName(spec.arch), opts.shape, opts.numClasses, opts.seed);
  const classifier = new Classifier(model);
  const rng = new Rng(opts.seed + 17);
  try {
    const trainer = new Trainer(classifier, { lr: spec.lr, batchSize: spec.batchSize });
    try {
      await trainer.fit(sets, rng, {
        epochs: spec.epochs,
        signal: opts.signal,
        onStep: (p) => opts.onProgress?.((p.epoch + p.step / p.stepsPerEpoch) / spec.epochs, p.loss, p.epoch),
        afterEpoch: (epoch) => {
          trainer.setLearningRate(spec.lr * spec.lrDecay ** (epoch + 1));
          return false;
        },
      });
    } finally {
      trainer.dispose();
    }
  } catch (e) {
    classifier.dispose();
    throw e;
  }
  return classifier;
}
