/**
 * How much of the selected concepts is left in the forget samples' representation: each concept's mean
 * score (signed distance to its CAV hyperplane, conceptScores) over the forget samples, under the model
 * before and after unlearning. The bank's directions are those of the original model's embedding space;
 * the unlearned model shares its architecture and was fine-tuned from it, so the same directions are read
 * in its (drifted) space, as is usual for concept-level unlearning checks.
 */
import { type ConceptBank, conceptScores } from '../concepts/conceptBank';
import { embeddingModel } from '../concepts/embeddingModel';
import type { ImageSplit } from '../data/types';
import { UserError } from '../errors';
import type { Classifier } from '../models/classifier';

export interface ConceptResidueRow {
  concept: string;
  /** Mean score over the forget samples under the model before and after unlearning. */
  before: number;
  after: number;
  /** after / before when before > 0, else null. */
  ratio: number | null;
}

export interface ConceptResidue {
  concepts: ConceptResidueRow[];
  /** The rows' means (0 without concepts). */
  meanBefore: number;
  meanAfter: number;
  /** meanAfter / meanBefore when meanBefore > 0, else null: 1 = untouched, 0 = gone, < 0 = reversed. */
  residue: number | null;
}

function meanScores(c: Classifier, bank: ConceptBank, columns: number[], images: ImageSplit): number[] {
  const em = embeddingModel(c, bank.embeddingLayer);
  if (em.dim !== bank.dim) {
    throw new UserError(`the bank's embedding has ${bank.dim} values but layer '${em.layer}' has ${em.dim}`);
  }
  const all = conceptScores(bank, em.embedSplit(images));
  const kc = bank.concepts.length;
  return columns.map((j) => {
    let s = 0;
    for (let i = 0; i < images.size; i++) s += all[i * kc + j];
    return images.size > 0 ? s / images.size : 0;
  });
}

/** The selected concepts' mean scores on the forget samples before vs after (see the module comment). */
export function conceptResidue(
  before: Classifier,
  after: Classifier,
  bank: ConceptBank,
  concepts: readonly string[],
  forgetSamples: ImageSplit,
): ConceptResidue {
  const columns = concepts.map((name) => {
    const j = bank.concepts.findIndex((c) => c.name === name);
    if (j < 0) {
      throw new UserError(
        `concept '${name}' is not in the bank (concepts: ${bank.concepts.map((c) => c.name).join(', ')})`,
      );
    }
    return j;
  });
  const b = meanScores(before, bank, columns, forgetSamples);
  const a = meanScores(after, bank, columns, forgetSamples);
  const rows = concepts.map((concept, i) => ({
    concept,
    before: b[i],
    after: a[i],
    ratio: b[i] > 0 ? a[i] / b[i] : null,
  }));
  const mean = (v: number[]) => (v.length > 0 ? v.reduce((x, y) => x + y, 0) / v.length : 0);
  const meanBefore = mean(b);
  const meanAfter = mean(a);
  return {
    concepts: rows,
    meanBefore,
    meanAfter,
    residue: meanBefore > 0 ? meanAfter / meanBefore : null,
  };
}
