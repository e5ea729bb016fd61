/**
 * Generates the synthetic `shapes` concept dataset deterministically from a seed: an ImageDataset whose
 * classes are defined by known visual concepts (see vocabulary.ts), per-image concept annotations, a set of
 * positive example images per concept (the concept fixed, every other attribute random), a pool of random
 * images (every attribute random) to draw negatives from, and the ground truth of which concepts are
 * specific to each class.
 */
import { Rng } from '../../engine/random';
import { UserError } from '../../errors';
import { selectIndices } from '../splits';
import type { ImageDataset, ImageSplit } from '../types';
import { renderShapeImage } from './render';
import {
  ATTRIBUTES,
  SHAPES_CLASSES,
  SHAPES_CONCEPTS,
  type ShapeAttributes,
  type ShapesClassSpec,
  type ShapesConcept,
  type ShapesGroundTruth,
  VALUES,
  classAttributes,
  conceptsOf,
  groundTruth,
} from './vocabulary';

export interface ShapesOptions {
  /** Side of the square RGB images (default 32, at least 16). */
  size?: number;
  /** Use the first `classes` classes of SHAPES_CLASSES (2..6, default 6). */
  classes?: number;
  /** Images per class in each split (defaults 150 / 50 / 30). */
  trainPerClass?: number;
  testPerClass?: number;
  heldoutPerClass?: number;
  /** Positive example images rendered for each concept (default 60). */
  examplesPerConcept?: number;
  /** Random images (every attribute random) from which negatives are drawn (default 300). */
  randomImages?: number;
  /**
   * Probability that a class image lacks each of its class's texture and part (drawn plain, or without a
   * part); default 0.25. Above 0, no single cue identifies a class in every image, so a model must combine
   * several. Annotations record what each image actually shows.
   */
  conceptDropout?: number;
  /**
   * Probability that a class image is drawn in a random other colour than its class's (default 0). Above 0,
   * colour alone no longer identifies a class, so a model must learn shapes too, and every colour (including
   * colour:blue, which no class has) appears in the training images, so the model learns to tell the
   * colours apart instead of lumping an unseen colour with the nearest class colour.
   */
  colourDropout?: number;
  /** Probability that a class image is drawn as a random other shape than its class's (default 0). */
  shapeDropout?: number;
  /** Default 0. */
  seed?: number;
}

/** What every image of a split shows. */
export interface ShapesAnnotations {
  attributes: ShapeAttributes[];
  /** size * numConcepts, row-major: 1 where the image shows the concept (same order as `concepts`). */
  concepts: Uint8Array;
}

export interface ShapesConceptExamples {
  concept: string;
  /** Images showing the concept (every other attribute random); labels are 0 and carry no meaning. */
  positives: ImageSplit;
}

export interface ShapesData {
  dataset: ImageDataset;
  concepts: readonly ShapesConcept[];
  classes: readonly ShapesClassSpec[];
  groundTruth: ShapesGroundTruth;
  annotations: { train: ShapesAnnotations; test: ShapesAnnotations; heldout: ShapesAnnotations };
  /** One entry per concept, in the order of `concepts`. */
  examples: ShapesConceptExamples[];
  /** Random images (labels 0, meaningless) and their annotations. */
  random: { images: ImageSplit; annotations: ShapesAnnotations };
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min)
    throw new UserError(`${name} must be an integer of at least ${min}, got ${v}`);
  return v;
}

function randomAttributes(rng: Rng): ShapeAttributes {
  const a = {} as ShapeAttributes;
  for (const attr of ATTRIBUTES) a[attr] = rng.int(VALUES[attr].length);
  return a;
}

function renderAll(list: ShapeAttributes[], labels: number[], size: number, rng: Rng) {
  const stride = size * size * 3;
  const pixels = new Uint8Array(list.length * stride);
  list.forEach((a, i) => pixels.set(renderShapeImage(a, size, rng), i * stride));
  const split: ImageSplit = { pixels, labels: Int32Array.from(labels), size: list.length };
  return { split, annotations: annotate(list) };
}

function annotate(list: ShapeAttributes[]): ShapesAnnotations {
  const k = SHAPES_CONCEPTS.length;
  const concepts = new Uint8Array(list.length * k);
  list.forEach((a, i) => {
    for (const c of conceptsOf(a)) concepts[i * k + c] = 1;
  });
  return { attributes: list, concepts };
}

/** Generates the dataset; the same options give byte-identical data. */
export function generateShapes(opts: ShapesOptions = {}): ShapesData {
  const size = count('size', opts.size, 32, 16);
  const numClasses = count('classes', opts.classes, SHAPES_CLASSES.length, 2);
  if (numClasses > SHAPES_CLASSES.length) {
    throw new UserError(`classes must be at most ${SHAPES_CLASSES.length}, got ${numClasses}`);
  }
  const perClass = {
    train: count('trainPerClass', opts.trainPerClass, 150, 1),
    test: count('testPerClass', opts.testPerClass, 50, 1),
    heldout: count('heldoutPerClass', opts.heldoutPerClass, 30, 1),
  };
  const examplesPerConcept = count('examplesPerConcept', opts.examplesPerConcept, 60, 2);
  const randomCount = count('randomImages', opts.randomImages, 300, 2);
  const seed = opts.seed ?? 0;
  const dropout = opts.conceptDropout ?? 0.25;
  if (!(dropout >= 0 && dropout < 1)) throw new UserError(`conceptDropout must be in [0, 1), got ${dropout}`);
  const colourDropout = opts.colourDropout ?? 0;
  if (!(colourDropout >= 0 && colourDropout < 1)) {
    throw new UserError(`colourDropout must be in [0, 1), got ${colourDropout}`);
  }
  const shapeDropout = opts.shapeDropout ?? 0;
  if (!(shapeDropout >= 0 && shapeDropout < 1)) {
    throw new UserError(`shapeDropout must be in [0, 1), got ${shapeDropout}`);
  }
  const classes = SHAPES_CLASSES.slice(0, numClasses);

  // One independent stream per part, so that changing one count leaves the other parts unchanged.
  const stream = (k: number) => new Rng((seed * 7919 + k * 104729) >>> 0);

  const classSplit = (k: number, n: number) => {
    const rng = stream(k);
    const order = rng.permutation(n * numClasses);
    const list: ShapeAttributes[] = [];
    const labels: number[] = [];
    for (const j of order) {
      const c = j % numClasses;
      const a: ShapeAttributes = {
        ...classAttributes(classes[c]),
        position: rng.int(VALUES.position.length),
      };
      // Value 0 of texture and part is "nothing".
      if (rng.next() < dropout) a.texture = 0;
      if (rng.next() < dropout) a.part = 0;
      // Drawn only when enabled, so that the default keeps the data of earlier versions byte for byte.
      if (colourDropout > 0 && rng.next() < colourDropout) {
        a.colour = (a.colour + 1 + rng.int(VALUES.colour.length - 1)) % VALUES.colour.length;
      }
      if (shapeDropout > 0 && rng.next() < shapeDropout) {
        a.shape = (a.shape + 1 + rng.int(VALUES.shape.length - 1)) % VALUES.shape.length;
      }
      list.push(a);
      labels.push(c);
    }
    return renderAll(list, labels, size, rng);
  };
  const train = classSplit(1, perClass.train);
  const test = classSplit(2, perClass.test);
  const heldout = classSplit(3, perClass.heldout);

  const examples = SHAPES_CONCEPTS.map((concept, ci) => {
    const rng = stream(100 + ci);
    const list = Array.from({ length: examplesPerConcept }, () => ({
      ...randomAttributes(rng),
      [concept.attribute]: concept.valueIndex,
    }));
    return {
      concept: concept.name,
      positives: renderAll(list, new Array(list.length).fill(0), size, rng).split,
    };
  });
  const rngRandom = stream(4);
  const randomList = Array.from({ length: randomCount }, () => randomAttributes(rngRandom));
  const random = renderAll(randomList, new Array(randomCount).fill(0), size, rngRandom);

  return {
    dataset: {
      name: 'shapes',
      classNames: classes.map((c) => c.name),
      shape: [size, size, 3],
      train: train.split,
      test: test.split,
      heldout: heldout.split,
    },
    concepts: SHAPES_CONCEPTS,
    classes,
    groundTruth: groundTruth(classes),
    annotations: { train: train.annotations, test: test.annotations, heldout: heldout.annotations },
    examples,
    random: { images: random.split, annotations: random.annotations },
  };
}

/** The random images that do not show `concept` (its negatives). */
export function shapesNegatives(data: ShapesData, concept: string): ImageSplit {
  const ci = data.concepts.findIndex((c) => c.name === concept);
  if (ci < 0) throw new UserError(`unknown shapes concept '${concept}'`);
  const k = data.concepts.length;
  const { images, annotations } = data.random;
  const keep: number[] = [];
  for (let i = 0; i < images.size; i++) if (annotations.concepts[i * k + ci] === 0) keep.push(i);
  return selectIndices(images, keep);
}
