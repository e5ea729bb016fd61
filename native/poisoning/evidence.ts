/**
 * Where each selected concept is evidenced in each image: Integrated Gradients of the concept's score with
 * respect to the pixels (localizeConcept, any concept bank), or, for concepts found by NMF discovery, their
 * spatial maps on the factorised layer (discoveredMaps: one forward pass, much cheaper, coarser).
 */
import type { ConceptBank } from '../concepts/conceptBank';
import { localizeConcept } from '../concepts/conceptImportance';
import { type NmfFactors, discoveredMaps } from '../concepts/nmfDiscovery';
import { selectIndices } from '../data/splits';
import type { ImageSplit } from '../data/types';
import { throwIfAborted } from '../errors';
import { UserError } from '../errors';
import type { Classifier } from '../models/classifier';
import type { EvidenceMap } from './regions';

export type EvidenceMethod = 'auto' | 'ig' | 'nmf';

export interface EvidenceOptions {
  /** 'auto' (default): NMF maps for concepts of `discovery`, IG for the others. */
  method?: EvidenceMethod;
  /** The discovery the bank's NMF concepts come from (needed for 'nmf'). */
  discovery?: NmfFactors;
  /** IG steps of the localisation (default 16). */
  igSteps?: number;
  /** Images per IG call (default 64). */
  chunk?: number;
  signal?: AbortSignal;
  /** Share of the images done, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

/** One evidence map per concept over the images of `images` (in the same order). */
export function conceptEvidence(
  classifier: Classifier,
  bank: ConceptBank,
  concepts: readonly string[],
  images: ImageSplit,
  opts: EvidenceOptions = {},
): EvidenceMap[] {
  const method = opts.method ?? 'auto';
  const disc = opts.discovery;
  const nmfIndex = (name: string) => (disc ? disc.concepts.findIndex((c) => c.name === name) : -1);
  const useNmf = concepts.map((name) => {
    const j = nmfIndex(name);
    if (method === 'nmf' && j < 0) {
      throw new UserError(`concept '${name}' has no NMF map (it does not come from the given discovery)`);
    }
    return method !== 'ig' && j >= 0;
  });
  const [h, w] = classifier.info.inputShape;
  const out: EvidenceMap[] = concepts.map((concept, i) => ({
    concept,
    values: new Float32Array(useNmf[i] ? 0 : images.size * h * w),
    shape: [h, w],
  }));
  const chunk = opts.chunk ?? 64;
  const igConcepts = concepts.filter((_, i) => !useNmf[i]).length;
  const totalWork = images.size * (igConcepts + (useNmf.some(Boolean) ? 1 : 0));
  let done = 0;
  if (disc && useNmf.some(Boolean)) {
    const [mh, mw] = disc.mapShape;
    const k = disc.concepts.length;
    const positions = mh * mw;
    for (let i = 0; i < concepts.length; i++) {
      if (useNmf[i])
        out[i] = { concept: concepts[i], values: new Float32Array(images.size * positions), shape: [mh, mw] };
    }
    for (let start = 0; start < images.size; start += 256) {
      throwIfAborted(opts.signal);
      const end = Math.min(images.size, start + 256);
      const part = selectIndices(
        images,
        Array.from({ length: end - start }, (_, j) => start + j),
      );
      const maps = discoveredMaps(classifier, disc, part);
      for (let i = 0; i < concepts.length; i++) {
        if (!useNmf[i]) continue;
        const c = nmfIndex(concepts[i]);
        const values = out[i].values;
        for (let s = 0; s < end - start; s++) {
          for (let p = 0; p < positions; p++)
            values[(start + s) * positions + p] = maps[(s * positions + p) * k + c];
        }
      }
      done += end - start;
      opts.onProgress?.(done / Math.max(1, totalWork));
    }
  }
  for (let i = 0; i < concepts.length; i++) {
    if (useNmf[i]) continue;
    for (let start = 0; start < images.size; start += chunk) {
      throwIfAborted(opts.signal);
      const end = Math.min(images.size, start + chunk);
      const part = selectIndices(
        images,
        Array.from({ length: end - start }, (_, j) => start + j),
      );
      const loc = localizeConcept(classifier, bank, concepts[i], part, { steps: opts.igSteps ?? 16 });
      out[i].values.set(loc.maps, start * h * w);
      done += end - start;
      opts.onProgress?.(done / Math.max(1, totalWork));
    }
  }
  return out;
}
