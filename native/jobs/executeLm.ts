/**
 * What a worker does for a language-model run (the image flow is ./execute.ts, which dispatches here on
 * the input checkpoint's model kind and records failures): load the input model, its tokenizer and its
 * text dataset (hashes checked), build the task for the request's class, evaluate the input, run the
 * method, evaluate the output, and write the output checkpoint, the run's result, the honoured request
 * and the current pointer in ONE transaction.
 */
import { type LmEvaluation, evaluateLm } from '../llm/evaluation/evaluate';
import type { GptModel } from '../llm/model/gpt';
import { recipeForConfig } from '../llm/training/defaultRecipe';
import { lmMethodByName } from '../llm/unlearning/registry';
import { makeLmTask } from '../llm/unlearning/task';
import { type Db, type LmRunMetrics, type RunRow, loadTextDataset, saveLmCheckpoint } from '../store';
import { lmToArtifacts, loadCheckpointLm } from '../store/lmCodec';
import { checkpointCancel } from './cancelPoint';
import type { ExecuteHooks } from './execute';
import { type WrittenOutcome, recordRunOutcome, runMethodTimed } from './runOutcome';

export interface LmExecuteResult extends WrittenOutcome {
  metrics: LmRunMetrics;
}

function numbersOnly(e: LmEvaluation): LmEvaluation {
  return {
    forget_term_rate: e.forget_term_rate,
    forget_answer_rouge_l: e.forget_answer_rouge_l,
    paraphrase_term_rate: e.paraphrase_term_rate,
    retain_answer_rouge_l: e.retain_answer_rouge_l,
    heldout_perplexity: e.heldout_perplexity,
    mia_auc: e.mia_auc,
  };
}

/** Executes language-model run `run` (running, owned by `pid`) on the open project `db`. */
export async function executeLmRun(
  db: Db,
  run: RunRow,
  pid: number,
  signal: AbortSignal,
  hooks: ExecuteHooks,
): Promise<LmExecuteResult> {
  const models: GptModel[] = [];
  try {
    const { model: original, tokenizer, checkpoint } = loadCheckpointLm(db, run.inputCheckpointId);
    models.push(original);
    const corpus = loadTextDataset(db, checkpoint.datasetId);
    const className = corpus.classes[run.forgetClass];
    const method = lmMethodByName(run.method);
    const recipe = checkpoint.lmRecipe ?? recipeForConfig(original.config);
    if (!checkpoint.lmRecipe && run.method === 'retrain') {
      hooks.log(
        'warn',
        `checkpoint ${checkpoint.id} has no training recipe: retrain uses the default training`,
      );
    }
    const task = makeLmTask(corpus, className, tokenizer, recipe);
    hooks.log(
      'info',
      `run ${run.id}: ${run.method} forgets '${className}' (${task.forget.length} samples) from language model ${checkpoint.id}`,
    );
    await checkpointCancel(signal);
    hooks.progress('evaluate-input', 0);
    const baseline = evaluateLm(original, task, { seed: run.seed, signal });
    await checkpointCancel(signal);

    const { model, seconds } = await runMethodTimed(run, signal, hooks, (ctx) =>
      method.run(original, task, run.parameters, ctx),
    );
    models.push(model);
    await checkpointCancel(signal);
    hooks.progress('evaluate-output', 1);
    const after = evaluateLm(model, task, { seed: run.seed, signal });
    const metrics: LmRunMetrics = { ...numbersOnly(after), seconds };
    const artifacts = lmToArtifacts(model, tokenizer);
    await checkpointCancel(signal);

    const outcome = recordRunOutcome(db, run, pid, metrics, numbersOnly(baseline), () =>
      saveLmCheckpoint(db, artifacts, {
        datasetId: checkpoint.datasetId,
        parentId: checkpoint.id,
        kind: 'unlearned',
        runId: run.id,
        label: `${run.method} without class '${className}' (run ${run.id})`,
        recipe: checkpoint.lmRecipe,
        seed: run.seed,
        metadata: {
          method: run.method,
          parameters: run.parameters,
          forgetClass: run.forgetClass,
          forgetClassName: className,
          answers: after.examples,
          answersBefore: baseline.examples,
        },
        makeCurrent: false,
      }),
    );
    hooks.progress('done', 1);
    return { ...outcome, metrics };
  } finally {
    for (const m of models) m.dispose();
  }
}
