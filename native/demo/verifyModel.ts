/**
 * The demo's verification beyond accuracy for one model (every method, and the original as reference):
 * is the forget class still linearly decodable from the embedding (probe), how fast does it come back
 * (relearn), and how much of its selected concepts is left in the forget samples' representation (residue).
 */
import type { ConceptBank } from '../concepts/conceptBank';
import { selectWhere } from '../data/splits';
import type { ImageDataset } from '../data/types';
import type { Classifier } from '../models/classifier';
import type { UnlearningTask } from '../unlearning/types';
import { conceptResidue, probeForgetAccuracy, relearnEpochs } from '../verification';

export interface VerificationMetrics {
  /** A linear probe's accuracy on the forget class's test samples (native/verification/probe.ts); null: not run. */
  probe_forget_acc: number | null;
  /** Epochs of fine-tuning on 1% of the forget data until forget-test accuracy > 50%; null: not within the limit. */
  relearn_epochs: number | null;
  /** Mean score of the selected concepts on the forget test samples, after / before; null without concepts. */
  concept_residue: number | null;
}

export interface ResidueConcepts {
  bank: ConceptBank;
  selected: readonly string[];
}

/** Relearning is tried for at most this many epochs (the result is null beyond). */
export const RELEARN_MAX_EPOCHS = 30;

export async function verifyModel(
  original: Classifier,
  model: Classifier,
  dataset: ImageDataset,
  task: UnlearningTask,
  concepts: ResidueConcepts | null,
  seed: number,
  signal?: AbortSignal,
): Promise<VerificationMetrics> {
  const probe = probeForgetAccuracy(model, dataset, task.forgetClass, seed);
  const relearn = await relearnEpochs(model, task, dataset, {
    seed,
    signal,
    maxEpochs: RELEARN_MAX_EPOCHS,
  });
  let residue: number | null = null;
  if (concepts && concepts.selected.length > 0) {
    const forgetTest = selectWhere(dataset.test, (l) => l === task.forgetClass);
    residue = conceptResidue(original, model, concepts.bank, concepts.selected, forgetTest).residue;
  }
  return { probe_forget_acc: probe, relearn_epochs: relearn.epochs, concept_residue: residue };
}
