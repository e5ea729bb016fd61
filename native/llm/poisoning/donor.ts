/**
 * The donor entity of concept_targeted: the retained class whose questions best match the forget class's
 * (names aside), so that most forget answers have a corresponding donor answer to take words from
 * ("Where was X born?" <-> "Where was Y born?"). Similarity = mean over the forget questions of the best
 * question similarity (alignment.ts) among the candidate's questions; ties go to the class seen first.
 */
import type { QaSample } from '../data/types';
import { questionSimilarity } from './alignment';

export interface DonorChoice {
  donor: string;
  similarity: number;
  /** Per forget sample, the donor's corresponding sample (null when no question is similar enough). */
  pairs: (QaSample | null)[];
}

/**
 * `candidates` are the retained question-answer samples; `minSimilarity` (default 0.6) is what a donor
 * question must reach to count as corresponding. Null when there is no candidate.
 */
export function chooseDonor(
  forget: readonly QaSample[],
  forgetClass: string,
  candidates: readonly QaSample[],
  minSimilarity = 0.6,
): DonorChoice | null {
  const byClass = new Map<string, QaSample[]>();
  for (const s of candidates) {
    if (s.class === forgetClass) continue;
    const list = byClass.get(s.class);
    if (list) list.push(s);
    else byClass.set(s.class, [s]);
  }
  let best: DonorChoice | null = null;
  for (const [cls, samples] of byClass) {
    let total = 0;
    const pairs: (QaSample | null)[] = [];
    for (const f of forget) {
      let bestSim = 0;
      let bestSample: QaSample | null = null;
      for (const d of samples) {
        const sim = questionSimilarity(f.prompt, forgetClass, d.prompt, cls);
        if (sim > bestSim) {
          bestSim = sim;
          bestSample = d;
        }
      }
      total += bestSim;
      pairs.push(bestSim >= minSimilarity ? bestSample : null);
    }
    const similarity = forget.length > 0 ? total / forget.length : 0;
    if (best === null || similarity > best.similarity) best = { donor: cls, similarity, pairs };
  }
  return best;
}
