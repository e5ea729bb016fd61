/**
 * Automatic concept discovery (after ACE / CRAFT-style factorisations): the non-negative activations of the
 * last convolutional layer over training images, one row per image position (channels as columns), are
 * factorised by NMF into K concepts. Each concept gets a spatial map per image (its coefficients over the
 * positions) and its most typical patches (the positions where it is strongest, one per image), optionally
 * saved as PNGs so that a person can name it. Its direction in embedding space is then learned as a CAV
 * from the images where it is strongest (positives) versus weakest (negatives), so discovered concepts join
 * the same concept bank format as the others.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectIndices } from '../data/splits';
import type { ImageSplit } from '../data/types';
import { type Tensor, tf } from '../engine/tf';
import { UserError } from '../errors';
import type { Classifier } from '../models/classifier';
import { imageBatch } from '../training/batches';
import { type CavOptions, trainCav } from './cav';
import { type ConceptBank, DEFAULT_MIN_CAV_ACCURACY, sampleImages } from './conceptBank';
import { embeddingModel } from './embeddingModel';
import { nmf, nmfTransform } from './nmf';
import { saveHeatmap, savePatch } from './pngExport';

export interface NmfDiscoveryOptions {
  /** Number of concepts K (default 8). */
  concepts?: number;
  /** Layer to factorise (default: the last Conv2D layer); its activations must be non-negative. */
  layer?: string;
  /** Images used (a seeded random subset of the split; default 200). */
  maxImages?: number;
  /** NMF rounds (default 200). */
  iterations?: number;
  /** Default 0. */
  seed?: number;
  /** Share of images taken as a concept's positives (strongest) and negatives (weakest) (default 0.25). */
  strongFraction?: number;
  /** Where to write the maps and patches as PNGs (nothing is written without it). */
  outDir?: string;
  /** Patches saved per concept (default 8). */
  patchesPerConcept?: number;
  /** Maps saved per concept, of its strongest images (default 4). */
  mapsPerConcept?: number;
  /** Side of a saved patch in pixels (default 5 x the layer's stride, at least 8). */
  patchSize?: number;
  /** Name prefix of the concepts (default 'nmf-'; they are numbered from 1). */
  namePrefix?: string;
  /** Embedding layer of the CAVs (default the classifier's). */
  embeddingLayer?: string;
  minAccuracy?: number;
  cav?: CavOptions;
}

export interface DiscoveredConcept {
  name: string;
  /** Mean of the concept's map over each used image's positions. */
  strength: Float32Array;
  /** Used-image numbers (0..images.length-1) of its most typical patches, and the patches' map cells. */
  patches: { image: number; row: number; col: number; value: number }[];
  /** PNG paths written (empty without outDir). */
  files: { maps: string[]; patches: string[] };
}

export interface NmfDiscovery {
  layer: string;
  /** [height, width] of the factorised layer's maps. */
  mapShape: [number, number];
  channels: number;
  /** Indices (into the given split) of the images used. */
  images: Int32Array;
  /** Concept factors in channel space, K * channels (the rows of H). */
  factors: Float32Array;
  /** Spatial maps: images * height * width * K (W reshaped). */
  maps: Float32Array;
  /** NMF relative reconstruction error after initialisation and after each round. */
  errors: number[];
  concepts: DiscoveredConcept[];
  /** The discovered concepts' CAVs (concepts near chance are in `dropped`). */
  bank: ConceptBank;
}

/**
 * What it takes to compute discovered concepts' maps on new images (discoveredMaps): the factorised layer,
 * its map shape and channels, and the factors with their concepts' names in factor order. An NmfDiscovery is
 * one; so is what the project file keeps of a discovery with its concept bank (./nmfFactors.ts).
 */
export type NmfFactors = Pick<NmfDiscovery, 'layer' | 'mapShape' | 'channels' | 'factors'> & {
  concepts: readonly { name: string }[];
};

const CONV_CLASSES = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D', 'ReLU', 'Activation']);

/** The name of the model's last convolutional (or activation) layer with a 4-D output. */
export function lastConvLayer(classifier: Classifier): string {
  const layers = classifier.model.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const shape = (l.output as tf.SymbolicTensor).shape;
    if (shape.length === 4 && CONV_CLASSES.has(l.getClassName())) return l.name;
  }
  throw new UserError('the model has no convolutional layer to discover concepts in: name one with layer');
}

/** The activations of `layer` for the images of `split`: n * h * w * c, plus the map shape. */
export function layerActivations(
  classifier: Classifier,
  layer: string,
  split: ImageSplit,
  batchSize = 128,
): { data: Float32Array; shape: [number, number, number] } {
  const model = classifier.model;
  if (!model.layers.some((l) => l.name === layer)) {
    throw new UserError(
      `layer '${layer}' does not exist in the model (layers: ${model.layers.map((l) => l.name).join(', ')})`,
    );
  }
  const out = model.getLayer(layer).output as tf.SymbolicTensor;
  if (out.shape.length !== 4) {
    throw new UserError(
      `layer '${layer}' has no spatial maps (output shape [${out.shape.slice(1).join(', ')}])`,
    );
  }
  const shape = out.shape.slice(1) as [number, number, number];
  const sub = tf.model({ inputs: model.inputs, outputs: out });
  const per = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(split.size * per);
  for (let start = 0; start < split.size; start += batchSize) {
    const end = Math.min(split.size, start + batchSize);
    const a = tf.tidy(() => sub.apply(imageBatch(split, start, end, classifier.info.inputShape)) as Tensor);
    data.set(a.dataSync() as Float32Array, start * per);
    a.dispose();
  }
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0) {
      throw new UserError(
        `layer '${layer}' has negative activations (${data[i].toPrecision(3)}): NMF needs a non-negative layer (after a ReLU)`,
      );
    }
  }
  return { data, shape };
}

/** Discovers concepts in `split` (see the module comment). */
export async function discoverConcepts(
  classifier: Classifier,
  split: ImageSplit,
  opts: NmfDiscoveryOptions = {},
): Promise<NmfDiscovery> {
  const k = opts.concepts ?? 8;
  if (!Number.isInteger(k) || k < 1)
    throw new UserError(`the number of concepts must be at least 1, got ${k}`);
  const seed = opts.seed ?? 0;
  const strongFraction = opts.strongFraction ?? 0.25;
  if (!(strongFraction > 0 && strongFraction <= 0.5)) {
    throw new UserError(`strongFraction must be above 0 and at most 0.5, got ${strongFraction}`);
  }
  const em = embeddingModel(classifier, opts.embeddingLayer);
  const layer = opts.layer ?? lastConvLayer(classifier);
  const picked = sampleImages(split, opts.maxImages ?? 200, seed + 31);
  const images = selectIndices(split, picked);
  const perSide = Math.max(2, Math.round(images.size * strongFraction));
  if (images.size < 4 || 2 * perSide > images.size) {
    throw new UserError(`concept discovery needs at least 4 images, got ${images.size}`);
  }
  const acts = layerActivations(classifier, layer, images);
  const [mh, mw, channels] = acts.shape;
  const rows = images.size * mh * mw;
  const fact = nmf(acts.data, rows, channels, k, { iterations: opts.iterations, seed });
  const positions = mh * mw;

  const embeddings = em.embedSplit(images);
  const dim = em.dim;
  const prefix = opts.namePrefix ?? 'nmf-';
  const minAccuracy = opts.minAccuracy ?? DEFAULT_MIN_CAV_ACCURACY;
  const bank: ConceptBank = { embeddingLayer: em.layer, dim, concepts: [], dropped: [], minAccuracy };
  const [ih, iw, ic] = classifier.info.inputShape;
  const stride = Math.max(ih / mh, iw / mw);
  const patchSize = opts.patchSize ?? Math.max(8, Math.round(5 * stride));
  const imageBytes = ih * iw * ic;
  const concepts: DiscoveredConcept[] = [];

  for (let c = 0; c < k; c++) {
    const name = `${prefix}${c + 1}`;
    const strength = new Float32Array(images.size);
    for (let i = 0; i < images.size; i++) {
      let s = 0;
      for (let p = 0; p < positions; p++) s += fact.w[(i * positions + p) * k + c];
      strength[i] = s / positions;
    }
    const order = Array.from(strength.keys()).sort((a, b) => strength[b] - strength[a] || a - b);
    const rowsOf = (idx: number[]) => {
      const out = new Float32Array(idx.length * dim);
      idx.forEach((i, j) => out.set(embeddings.subarray(i * dim, (i + 1) * dim), j * dim));
      return out;
    };
    const cav = trainCav(rowsOf(order.slice(0, perSide)), rowsOf(order.slice(-perSide)), dim, {
      ...opts.cav,
      seed: (opts.cav?.seed ?? 0) + c,
    });
    if (cav.heldoutAccuracy < minAccuracy) {
      bank.dropped.push({ name, source: 'nmf', heldoutAccuracy: cav.heldoutAccuracy });
    } else {
      bank.concepts.push({ name, source: 'nmf', cav });
    }

    // Most typical patches: the strongest cells, at most one per image.
    const best: { image: number; row: number; col: number; value: number }[] = [];
    for (let i = 0; i < images.size; i++) {
      let bp = 0;
      let bv = -1;
      for (let p = 0; p < positions; p++) {
        const v = fact.w[(i * positions + p) * k + c];
        if (v > bv) {
          bv = v;
          bp = p;
        }
      }
      best.push({ image: i, row: Math.floor(bp / mw), col: bp % mw, value: bv });
    }
    best.sort((a, b) => b.value - a.value || a.image - b.image);
    const patches = best.slice(0, opts.patchesPerConcept ?? 8);
    const files = { maps: [] as string[], patches: [] as string[] };
    if (opts.outDir) {
      const dir = join(opts.outDir, name);
      for (const [j, p] of patches.entries()) {
        const cy = ((p.row + 0.5) * ih) / mh;
        const cx = ((p.col + 0.5) * iw) / mw;
        const file = join(dir, `patch-${j}.png`);
        const px = images.pixels.subarray(p.image * imageBytes, (p.image + 1) * imageBytes);
        await savePatch(
          px,
          [ih, iw, ic],
          Math.round(cy - patchSize / 2),
          Math.round(cx - patchSize / 2),
          patchSize,
          file,
        );
        files.patches.push(file);
      }
      let max = 0;
      for (let r = 0; r < rows; r++) max = Math.max(max, fact.w[r * k + c]);
      for (const [j, i] of order.slice(0, opts.mapsPerConcept ?? 4).entries()) {
        const map = new Float32Array(positions);
        for (let p = 0; p < positions; p++) map[p] = fact.w[(i * positions + p) * k + c];
        const file = join(dir, `map-${j}.png`);
        const px = images.pixels.subarray(i * imageBytes, (i + 1) * imageBytes);
        await saveHeatmap(px, [ih, iw, ic], map, [mh, mw], file, max);
        files.maps.push(file);
      }
    }
    concepts.push({ name, strength, patches, files });
  }

  const result: NmfDiscovery = {
    layer,
    mapShape: [mh, mw],
    channels,
    images: picked,
    factors: fact.h,
    maps: fact.w,
    errors: fact.errors,
    concepts,
    bank,
  };
  if (opts.outDir) {
    mkdirSync(opts.outDir, { recursive: true });
    const index = {
      layer,
      mapShape: [mh, mw],
      finalError: fact.errors[fact.errors.length - 1],
      concepts: concepts.map((c) => ({
        name: c.name,
        kept: bank.concepts.some((b) => b.name === c.name),
        heldoutAccuracy:
          bank.concepts.find((b) => b.name === c.name)?.cav.heldoutAccuracy ??
          bank.dropped.find((b) => b.name === c.name)?.heldoutAccuracy,
        patches: c.files.patches,
        maps: c.files.maps,
      })),
    };
    writeFileSync(join(opts.outDir, 'concepts.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
  return result;
}

/** The concept maps (images * h * w * K) of new images for discovered factors. */
export function discoveredMaps(
  classifier: Classifier,
  discovery: NmfFactors,
  split: ImageSplit,
): Float32Array {
  const acts = layerActivations(classifier, discovery.layer, split);
  const [mh, mw, c] = acts.shape;
  if (c !== discovery.channels || mh !== discovery.mapShape[0] || mw !== discovery.mapShape[1]) {
    throw new UserError(`layer '${discovery.layer}' does not match the discovered concepts' shape`);
  }
  const k = discovery.concepts.length;
  return nmfTransform(acts.data, split.size * mh * mw, c, discovery.factors, k);
}
