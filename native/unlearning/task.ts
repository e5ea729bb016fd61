/** Turning "forget class X of this dataset" into the forget and retain sets every method works on. */
import type { ImageDataset, ImageSplit } from '../data/types';
import { UserError } from '../errors';
import type { ArchSpec } from '../models/spec';
import type { SampleSet } from '../training/samples';
import type { UnlearningTask } from './types';

/** Resolves a class given by index ("3") or by name ("cat") to its index. */
export function resolveClass(dataset: ImageDataset, cls: string | number): number {
  const k = dataset.classNames.length;
  if (typeof cls === 'number' || /^\d+$/.test(cls)) {
    const byName = typeof cls === 'string' ? dataset.classNames.indexOf(cls) : -1;
    if (byName >= 0) return byName;
    const i = Number(cls);
    if (!Number.isInteger(i) || i < 0 || i >= k) {
      throw new UserError(
        `class index ${cls} is out of range: dataset '${dataset.name}' has ${k} classes (0..${k - 1})`,
      );
    }
    return i;
  }
  const i = dataset.classNames.indexOf(cls);
  if (i < 0) {
    throw new UserError(
      `unknown class '${cls}' (classes of '${dataset.name}': ${dataset.classNames.join(', ')})`,
    );
  }
  return i;
}

/** The samples of a split whose label is (or is not) `cls`. */
export function classSamples(split: ImageSplit, cls: number, keep: boolean): SampleSet {
  let n = 0;
  for (let i = 0; i < split.size; i++) if ((split.labels[i] === cls) === keep) n++;
  const indices = new Int32Array(n);
  const targets = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < split.size; i++) {
    if ((split.labels[i] === cls) === keep) {
      indices[k] = i;
      targets[k] = split.labels[i];
      k++;
    }
  }
  return { split, indices, targets, weight: 1 };
}

export function makeTask(dataset: ImageDataset, forgetClass: number, recipe: ArchSpec): UnlearningTask {
  const forget = classSamples(dataset.train, forgetClass, true);
  if (forget.indices.length === 0) {
    throw new UserError(`class '${dataset.classNames[forgetClass]}' has no training samples to forget`);
  }
  return { dataset, forgetClass, forget, retain: classSamples(dataset.train, forgetClass, false), recipe };
}
