/**
 * The demo's datasets and their original-model recipes: MNIST (the default) and the synthetic `shapes`
 * concept dataset, each in a full and a quick (`--quick`) configuration.
 */
import { loadMnist } from '../data/mnist';
import { type ShapesData, type ShapesOptions, generateShapes } from '../data/shapes';
import type { ImageDataset } from '../data/types';
import { UserError } from '../errors';
import { type ArchSpec, DEFAULT_RECIPE } from '../models/spec';

export const DEMO_DATASETS = ['mnist', 'shapes'] as const;
export type DemoDatasetName = (typeof DEMO_DATASETS)[number];

export function isDemoDataset(name: string): name is DemoDatasetName {
  return (DEMO_DATASETS as readonly string[]).includes(name);
}

/** Subset sizes (total over the classes) that override a configuration; tests use tiny ones. */
export interface DemoLimits {
  train?: number;
  test?: number;
}

/** The quick MNIST demo: a stratified subset, the same model and methods. */
export const QUICK_LIMITS = { train: 12000, test: 2000 };

/**
 * The shapes demo: 24x24 images, 6 classes. Besides the texture and part dropout of the generator, each
 * class image has a 20% chance of a random other colour and of a random other shape, so that a model has to
 * learn shapes as well as colours (with colour alone it never encodes the triangle or the cross) and sees
 * every colour in training (an unseen colour such as colour:blue is otherwise lumped with the nearest class
 * colour and picked as that class's concept). The Bayes error this adds keeps test accuracy at about 95%.
 */
export const SHAPES_DEMO: ShapesOptions = {
  size: 24,
  trainPerClass: 500,
  testPerClass: 100,
  heldoutPerClass: 50,
  examplesPerConcept: 60,
  randomImages: 300,
  conceptDropout: 0.25,
  colourDropout: 0.2,
  shapeDropout: 0.2,
};

/** `--quick` on shapes: the same images, fewer of them. */
export const SHAPES_QUICK: ShapesOptions = {
  ...SHAPES_DEMO,
  trainPerClass: 200,
  testPerClass: 40,
  heldoutPerClass: 20,
};

/** The original model on shapes: the reference CNN, longer training than on MNIST (fewer images). */
export const SHAPES_RECIPE: ArchSpec = { arch: 'cnn-ref', epochs: 12, batchSize: 32, lr: 3e-3, lrDecay: 0.8 };
export const SHAPES_QUICK_RECIPE: ArchSpec = { ...SHAPES_RECIPE, epochs: 10 };

export interface DemoData {
  dataset: ImageDataset;
  /** The recipe of the original model (before the user's overrides). */
  recipe: ArchSpec;
  /** The generated shapes data (concept examples, annotations, ground truth); absent for MNIST. */
  shapes?: ShapesData;
  /** The shapes options used (absent for MNIST). */
  shapesOptions?: ShapesOptions;
}

export interface DemoDataOptions {
  quick: boolean;
  seed: number;
  limits?: DemoLimits;
}

/** The per-class count that gives at most `total` images over `classes` classes (at least 1). */
function perClass(
  total: number | undefined,
  classes: number,
  fallback: number | undefined,
): number | undefined {
  return total === undefined ? fallback : Math.max(1, Math.floor(total / classes));
}

/** Loads (MNIST) or generates (shapes, seeded by `seed`) the demo dataset. */
export function loadDemoData(name: string, opts: DemoDataOptions): DemoData {
  if (!isDemoDataset(name)) {
    throw new UserError(`--dataset must be ${DEMO_DATASETS.join(' or ')}, got '${name}'`);
  }
  if (name === 'mnist') {
    const limits = opts.limits ?? (opts.quick ? QUICK_LIMITS : {});
    const dataset = loadMnist({ limitTrain: limits.train, limitTest: limits.test, seed: opts.seed });
    return { dataset, recipe: DEFAULT_RECIPE };
  }
  const base = opts.quick ? SHAPES_QUICK : SHAPES_DEMO;
  const classes = base.classes ?? 6;
  const shapesOptions: ShapesOptions = {
    ...base,
    trainPerClass: perClass(opts.limits?.train, classes, base.trainPerClass),
    testPerClass: perClass(opts.limits?.test, classes, base.testPerClass),
    seed: opts.seed,
  };
  if (opts.limits?.train !== undefined) {
    // Tiny runs: a held-out split in proportion (a tenth of the training images, at least 5 per class).
    const heldout = Math.max(5, Math.ceil((shapesOptions.trainPerClass ?? 1) / 10));
    shapesOptions.heldoutPerClass = Math.min(base.heldoutPerClass ?? heldout, heldout);
  }
  const shapes = generateShapes(shapesOptions);
  return {
    dataset: shapes.dataset,
    recipe: opts.quick ? SHAPES_QUICK_RECIPE : SHAPES_RECIPE,
    shapes,
    shapesOptions,
  };
}
