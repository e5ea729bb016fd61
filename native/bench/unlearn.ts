/**
 * One full unlearning run of the demo's default method (random_label) in a process of its own, so that
 * its peak RSS is the run's and not the benchmark's: a fixed MNIST subset, an original cnn-small trained
 * for one epoch (not timed), then random_label with its defaults on class 3 (timed). Prints one JSON
 * line: {seconds, maxRssMB, originalSeconds, forgetAccBefore, forgetAccAfter, train}.
 *
 *   node dist/native/bench/unlearn.js [--baseline]
 */
import { loadMnist } from '../data/mnist';
import { initBackend } from '../engine/backend/select';
import { DEFAULT_RECIPE } from '../models/spec';
import { trainFromScratch } from '../training/fromScratch';
import { wholeSplit } from '../training/samples';
import { setAccuracy } from '../unlearning/methods/common';
import { randomLabel } from '../unlearning/methods/randomLabel';
import { makeTask } from '../unlearning/task';
import { useBaselineKernels } from './common';

/** The fixed subset: 6,000 training images (stratified, seed 0), class 3 forgotten. */
export const UNLEARN_SUBSET = { limitTrain: 6000, limitTest: 1000, seed: 0, forgetClass: 3 };

export interface UnlearnResult {
  seconds: number;
  maxRssMB: number;
  originalSeconds: number;
  forgetAccBefore: number;
  forgetAccAfter: number;
  train: number;
}

async function main(argv: string[]): Promise<void> {
  await initBackend({ prefer: 'wasm' });
  if (argv.includes('--baseline')) useBaselineKernels(true);
  const { limitTrain, limitTest, seed, forgetClass } = UNLEARN_SUBSET;
  const dataset = loadMnist({ limitTrain, limitTest, seed });
  const recipe = { ...DEFAULT_RECIPE, epochs: 1 };
  const t0 = performance.now();
  const original = await trainFromScratch(recipe, [wholeSplit(dataset.train)], {
    shape: dataset.shape,
    numClasses: dataset.classNames.length,
    seed,
  });
  const originalSeconds = (performance.now() - t0) / 1000;
  const task = makeTask(dataset, forgetClass, recipe);
  const forgetAccBefore = setAccuracy(original, task.forget);
  const t1 = performance.now();
  const unlearned = await randomLabel.run(original, task, {}, { seed });
  const seconds = (performance.now() - t1) / 1000;
  const forgetAccAfter = setAccuracy(unlearned, task.forget);
  unlearned.dispose();
  original.dispose();
  const result: UnlearnResult = {
    seconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    originalSeconds,
    forgetAccBefore,
    forgetAccAfter,
    train: dataset.train.size,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
