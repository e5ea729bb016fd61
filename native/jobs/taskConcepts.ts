/**
 * The concepts a run's task carries from the project file: the stored concept bank named by the run's
 * `concept_bank` option (the concept methods'; 0 or absent: none), with its NMF factors when it has them.
 * The bank must have been built on the run's input checkpoint: its directions live in that model's
 * embedding space.
 */
import { conceptBankFromJson } from '../concepts/conceptBank';
import { nmfFactorsFromJson } from '../concepts/nmfFactors';
import { UserError } from '../errors';
import { type Db, type RunRow, loadConceptBank } from '../store';
import type { TaskConcepts } from '../unlearning/types';

export function storedTaskConcepts(db: Db, run: RunRow): { bankId: number; concepts: TaskConcepts } | null {
  const value = run.parameters.concept_bank;
  if (value === undefined || value === 0) return null;
  const bankId = Number(value);
  if (!Number.isInteger(bankId) || bankId < 0) {
    throw new UserError(`option concept_bank of run ${run.id} must be a concept bank id, got '${value}'`);
  }
  if (bankId === 0) return null;
  const { row, bank } = loadConceptBank(db, bankId);
  if (row.checkpointId !== run.inputCheckpointId) {
    throw new UserError(
      `concept bank ${bankId} was built on checkpoint ${row.checkpointId}, not on checkpoint ${run.inputCheckpointId} that run ${run.id} starts from`,
    );
  }
  return { bankId, concepts: { bank: conceptBankFromJson(bank), discovery: nmfFactorsFromJson(bank.nmf) } };
}
