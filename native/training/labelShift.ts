/**
 * The label shift of a training mix: adding samples with other labels (poisoned forget samples relabelled
 * as a donor class) changes the classes' prior in the mix. The logit offset log(mix prior / reference
 * prior), added to the logits in the training loss (Trainer's logitOffset), keeps the model from learning
 * that shift (logit adjustment, Menon et al. 2021).
 */
import type { SampleSet } from './samples';

/**
 * Per class, scale x log(share of the class in the whole mix / its share among the retained samples):
 * the prior shift the poisoned labels bring (0 for classes without retained samples).
 */
export function mixLogitOffset(
  poisoned: SampleSet,
  retain: SampleSet,
  numClasses: number,
  scale: number,
): number[] {
  const ret = new Array<number>(numClasses).fill(0);
  const all = new Array<number>(numClasses).fill(0);
  for (const t of retain.targets) ret[t] += retain.weight;
  for (let c = 0; c < numClasses; c++) all[c] = ret[c];
  for (const t of poisoned.targets) all[t] += poisoned.weight;
  let sumRet = 0;
  let sumAll = 0;
  for (let c = 0; c < numClasses; c++) {
    sumRet += ret[c];
    sumAll += all[c];
  }
  return ret.map((r, c) => (r > 0 && all[c] > 0 ? scale * Math.log(all[c] / sumAll / (r / sumRet)) : 0));
}
