/**
 * Verifying a stored language model (`unlearn verify` on a language-model checkpoint): the file's
 * integrity, the audit trail, every hash (weights, tokenizer, checkpoint, text dataset), and its metrics
 * recomputed with evaluateLm and compared with those stored by the runs that made it or started from it.
 */
import { initBackend } from '../engine/backend/select';
import { UserError } from '../errors';
import { resolveForgetClass } from '../llm/data/forgetClass';
import { qaClasses } from '../llm/data/types';
import { type LmEvaluation, evaluateLm } from '../llm/evaluation/evaluate';
import { recipeForConfig } from '../llm/training/defaultRecipe';
import { makeLmTask } from '../llm/unlearning/task';
import { type CheckpointRow, type Db, getDataset, getRun, listRuns, loadTextDataset } from '../store';
import { loadCheckpointLm } from '../store/lmCodec';
import { type StoredVerification, allPassed, compareWithRuns, fileChecks, valueDiff } from './storedChecks';

/** The language-model metrics, in the order they are reported. */
export const LM_METRIC_KEYS = [
  'forget_term_rate',
  'forget_answer_rouge_l',
  'paraphrase_term_rate',
  'retain_answer_rouge_l',
  'heldout_perplexity',
  'mia_auc',
] as const satisfies readonly (keyof LmEvaluation)[];

/** The largest absolute difference between two evaluations (infinite when only one has a value). */
export function lmMetricsDiff(a: LmEvaluation, b: LmEvaluation): number {
  let max = 0;
  for (const key of LM_METRIC_KEYS) max = Math.max(max, valueDiff(a[key], b[key]));
  return max;
}

/** A stored language-model checkpoint verified (the first class with questions by default). */
export type LmCheckpointVerification = StoredVerification<LmEvaluation>;

/** Verifies language model `checkpoint` (see the module comment); `forgetClass` is a class name. */
export async function verifyLmCheckpoint(
  db: Db,
  checkpoint: CheckpointRow,
  forgetClass?: string,
): Promise<LmCheckpointVerification> {
  if (checkpoint.modelKind !== 'lm')
    throw new UserError(`checkpoint ${checkpoint.id} is not a language model`);
  const checks = fileChecks(db);
  const datasetRow = getDataset(db, checkpoint.datasetId);
  const corpus = loadTextDataset(db, datasetRow.id);
  const producer = checkpoint.runId !== null ? getRun(db, checkpoint.runId) : undefined;
  const consumers = listRuns(db).filter((r) => r.inputCheckpointId === checkpoint.id && r.lmBaselineMetrics);
  const consumer = consumers[consumers.length - 1];
  let className: string;
  let source: string;
  if (forgetClass !== undefined) {
    className = resolveForgetClass(corpus, forgetClass);
    source = 'given';
  } else if (producer ?? consumer) {
    const run = (producer ?? consumer)!;
    className = corpus.classes[run.forgetClass];
    source = `run ${run.id}`;
  } else {
    className = qaClasses(corpus)[0];
    source = 'default';
  }
  const classIndex = corpus.classes.indexOf(className);
  const seed = producer?.seed ?? consumer?.seed ?? 1;
  const backend = await initBackend();
  const { model, tokenizer } = loadCheckpointLm(db, checkpoint.id);
  let metrics: LmEvaluation;
  try {
    const task = makeLmTask(
      corpus,
      className,
      tokenizer,
      checkpoint.lmRecipe ?? recipeForConfig(model.config),
    );
    const e = evaluateLm(model, task, { seed });
    metrics = Object.fromEntries(LM_METRIC_KEYS.map((k) => [k, e[k]])) as unknown as LmEvaluation;
  } finally {
    model.dispose();
  }
  const comparisons = compareWithRuns(metrics, classIndex, seed, producer, consumers, {
    diff: lmMetricsDiff,
    output: (r) => r.lmMetrics,
    input: (r) => r.lmBaselineMetrics,
  });
  return {
    ok: allPassed(checks, comparisons),
    backend,
    ...checks,
    checkpoint,
    dataset: datasetRow,
    forgetClass: classIndex,
    forgetClassName: className,
    forgetClassSource: source,
    seed,
    metrics,
    comparisons,
  };
}
