/**
 * The original model the demo unlearns from: trained once per (dataset, recipe, seed) and cached on disk
 * as a Layers model, so later demo runs start at once.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageDataset } from '../data/types';
import type { Classifier } from '../models/classifier';
import { exportClassifier, importClassifier } from '../models/modelIO';
import type { ArchSpec } from '../models/spec';
import { trainFromScratch } from '../training/fromScratch';
import { wholeSplit } from '../training/samples';
import { timed } from './timing';

export interface OriginalModel {
  classifier: Classifier;
  seconds: number;
  /** CPU seconds of the training (demo/timing.ts); null for a cached model trained before they were recorded. */
  cpuSeconds: number | null;
  cached: boolean;
  dir: string;
}

/** A content hash of what determines the original model: recipe, seed and the training data itself. */
export function originalKey(dataset: ImageDataset, recipe: ArchSpec, seed: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ recipe, seed, shape: dataset.shape, classes: dataset.classNames, v: 1 }));
  h.update(dataset.train.pixels);
  h.update(
    new Uint8Array(
      dataset.train.labels.buffer,
      dataset.train.labels.byteOffset,
      dataset.train.labels.byteLength,
    ),
  );
  return h.digest('hex').slice(0, 16);
}

export async function obtainOriginal(
  dataset: ImageDataset,
  recipe: ArchSpec,
  seed: number,
  cacheDir: string,
  onProgress: (fraction: number, loss: number, epoch: number) => void,
): Promise<OriginalModel> {
  const dir = path.join(cacheDir, `original-${dataset.name}-${originalKey(dataset, recipe, seed)}`);
  if (fs.existsSync(path.join(dir, 'model.json'))) {
    const { classifier, metadata } = await importClassifier(dir, {
      shape: dataset.shape,
      numClasses: dataset.classNames.length,
    });
    const cpu = metadata.trainCpuSeconds;
    return {
      classifier,
      seconds: Number(metadata.trainSeconds ?? 0),
      cpuSeconds: typeof cpu === 'number' ? cpu : null,
      cached: true,
      dir,
    };
  }
  const {
    value: classifier,
    seconds,
    cpuSeconds,
  } = await timed(() =>
    trainFromScratch(recipe, [wholeSplit(dataset.train)], {
      shape: dataset.shape,
      numClasses: dataset.classNames.length,
      seed,
      onProgress,
    }),
  );
  await exportClassifier(classifier, dir, {
    trainSeconds: seconds,
    trainCpuSeconds: cpuSeconds,
    recipe,
    seed,
    classNames: dataset.classNames,
  });
  return { classifier, seconds, cpuSeconds, cached: false, dir };
}
