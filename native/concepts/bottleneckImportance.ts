/**
 * Class-to-concept importance through a post-hoc concept bottleneck (./pcbm.ts), the basis of the demo's and
 * the app's concept selection.
 */
import type { ConceptImportance } from './conceptImportance';
import type { Pcbm } from './pcbm';

/**
 * Class-to-concept importance through the concept bottleneck: Integrated Gradients of the PCBM's class
 * logit with respect to the standardised concept scores z, from the mean scores (z = 0). The logit is
 * linear in z, so IG is exact: the term of concept k for a sample is w_kc * z_k. As in conceptImportance's
 * default, a term counts only where the sample shows more of the concept than the baseline (z_k > 0); a
 * class's importance is the mean over its samples (at most `maxPerClass`). Unlike the importance along the
 * CAV directions in the embedding, which credits every direction correlated with the class's evidence, the
 * PCBM's sparse multivariate fit shares the evidence among correlated concepts (see docs/concepts.md).
 */
export function bottleneckImportance(
  pcbm: Pcbm,
  names: string[],
  scores: Float32Array,
  classes: ArrayLike<number>,
  maxPerClass = Number.POSITIVE_INFINITY,
): ConceptImportance {
  const kc = pcbm.numConcepts;
  const numClasses = pcbm.numClasses;
  const n = classes.length;
  if (scores.length !== n * kc)
    throw new RangeError(`${scores.length} scores for ${n} samples x ${kc} concepts`);
  const importance = new Float64Array(numClasses * kc);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < n; i++) {
    const c = classes[i];
    if (counts[c] >= maxPerClass) continue;
    counts[c]++;
    for (let k = 0; k < kc; k++) {
      const z = (scores[i * kc + k] - pcbm.mean[k]) / pcbm.scale[k];
      if (z > 0) importance[c * kc + k] += pcbm.weights[k * numClasses + c] * z;
    }
  }
  for (let c = 0; c < numClasses; c++) {
    for (let k = 0; k < kc; k++) importance[c * kc + k] /= Math.max(1, counts[c]);
  }
  return { numClasses, concepts: names, importance, counts, maxRelativeGap: 0, baseline: 'mean' };
}
