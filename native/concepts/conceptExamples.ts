/**
 * What each concept looks like, as PNGs: for every concept of a bank, the images of a set (the forget
 * class's training images, in the app) where it is strongest, each with the concept's map over it and a
 * crop around the map's peak. Concepts found by NMF discovery use their spatial maps on the factorised
 * layer (the factors kept with the bank); the others the Integrated Gradients of their concept score with
 * respect to the pixels (localizeConcept).
 */
import { selectIndices } from '../data/splits';
import type { ImageSplit } from '../data/types';
import { throwIfAborted } from '../errors';
import type { Classifier } from '../models/classifier';
import { type ConceptBank, scoreImages } from './conceptBank';
import { localizeConcept } from './conceptImportance';
import { type NmfFactors, discoveredMaps } from './nmfDiscovery';
import { heatmapPng, patchPng } from './pngExport';

export interface ConceptExamplePngs {
  concept: string;
  /** The strongest images with the concept's map over them. */
  maps: Buffer[];
  /** Crops of the same images around the map's peak. */
  patches: Buffer[];
}

export interface ConceptExamplesOptions {
  /** Images per concept (default 3). */
  perConcept?: number;
  /** IG steps for concepts without NMF maps (default 16). */
  igSteps?: number;
  signal?: AbortSignal;
  /** Share of the concepts done. */
  onProgress?: (fraction: number) => void;
}

export interface ConceptExamples {
  examples: ConceptExamplePngs[];
  /** How the maps were made. */
  mapsBy: 'nmf' | 'integrated-gradients' | 'both';
}

/** Indices of the `count` largest values, largest first (ties: lower index first). */
function topIndices(values: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: values.length }, (_, i) => i)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, count);
}

/** The cell of a map with the largest value. */
function peak(map: ArrayLike<number>, width: number): { row: number; col: number } {
  let best = 0;
  for (let p = 1; p < map.length; p++) if (map[p] > map[best]) best = p;
  return { row: Math.floor(best / width), col: best % width };
}

/** Maps and patches of every concept of `bank` over its strongest images of `images`. */
export async function conceptExamples(
  classifier: Classifier,
  bank: ConceptBank,
  factors: NmfFactors | undefined,
  images: ImageSplit,
  opts: ConceptExamplesOptions = {},
): Promise<ConceptExamples> {
  const perConcept = Math.min(opts.perConcept ?? 3, images.size);
  const names = bank.concepts.map((x) => x.name);
  const shape = classifier.info.inputShape;
  const [h, w, c] = shape;
  const bytes = h * w * c;
  const pixelsOf = (split: ImageSplit, i: number) => split.pixels.subarray(i * bytes, (i + 1) * bytes);
  const factorIndex = (name: string) => (factors ? factors.concepts.findIndex((x) => x.name === name) : -1);
  const viaNmf = names.filter((name) => factorIndex(name) >= 0);
  const mapsBy: ConceptExamples['mapsBy'] =
    viaNmf.length === names.length ? 'nmf' : viaNmf.length === 0 ? 'integrated-gradients' : 'both';
  if (perConcept === 0)
    return { examples: names.map((concept) => ({ concept, maps: [], patches: [] })), mapsBy };
  const nmfMaps = factors && viaNmf.length > 0 ? discoveredMaps(classifier, factors, images) : undefined;
  const scores = viaNmf.length < names.length ? scoreImages(classifier, bank, images) : undefined;
  const examples: ConceptExamplePngs[] = [];
  for (const [j, name] of names.entries()) {
    throwIfAborted(opts.signal);
    const maps: Buffer[] = [];
    const patches: Buffer[] = [];
    const f = factorIndex(name);
    if (factors && nmfMaps && f >= 0) {
      const [mh, mw] = factors.mapShape;
      const positions = mh * mw;
      const kf = factors.concepts.length;
      const mapOf = (i: number) =>
        Float32Array.from({ length: positions }, (_, p) => nmfMaps[(i * positions + p) * kf + f]);
      const strength = Float64Array.from({ length: images.size }, (_, i) =>
        mapOf(i).reduce((s, v) => s + v, 0),
      );
      const top = topIndices(strength, perConcept);
      const max = Math.max(...top.flatMap((i) => Array.from(mapOf(i))));
      const size = Math.max(8, Math.round(5 * Math.max(h / mh, w / mw)));
      for (const i of top) {
        const map = mapOf(i);
        maps.push(await heatmapPng(pixelsOf(images, i), shape, map, [mh, mw], max > 0 ? max : undefined, 84));
        const { row, col } = peak(map, mw);
        const cy = ((row + 0.5) * h) / mh;
        const cx = ((col + 0.5) * w) / mw;
        patches.push(
          await patchPng(
            pixelsOf(images, i),
            shape,
            Math.round(cy - size / 2),
            Math.round(cx - size / 2),
            size,
            48,
          ),
        );
      }
    } else if (scores) {
      const column = Float64Array.from({ length: images.size }, (_, i) => scores[i * names.length + j]);
      const top = topIndices(column, perConcept);
      const chosen = selectIndices(images, top);
      const loc = localizeConcept(classifier, bank, name, chosen, { steps: opts.igSteps ?? 16 });
      const size = Math.max(8, Math.round(0.4 * Math.max(h, w)));
      for (let i = 0; i < chosen.size; i++) {
        const map = loc.maps.subarray(i * h * w, (i + 1) * h * w);
        maps.push(await heatmapPng(pixelsOf(chosen, i), shape, map, [h, w], undefined, 84));
        const { row, col } = peak(map, w);
        patches.push(
          await patchPng(
            pixelsOf(chosen, i),
            shape,
            Math.round(row - size / 2),
            Math.round(col - size / 2),
            size,
            48,
          ),
        );
      }
    }
    examples.push({ concept: name, maps, patches });
    opts.onProgress?.((j + 1) / names.length);
  }
  return { examples, mapsBy };
}
