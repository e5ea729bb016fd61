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
import {
  type Db,
  type LmRunMetrics,
  type RunRow,
  currentCheckpointId,
  getRequest,
  loadTextDataset,
  saveLmCheckpoint,
  setCurrentCheckpoint,
  write,
} from '../store';
import { lmToArtifacts, loadCheckpointLm } from '../store/lmCodec';
import { honourRequest } from '../store/requests';
import { completeRun } from '../store/runs';
import { checkpointCancel } from './cancelPoint';
import type { ExecuteHooks } from './execute';

export interface LmExecuteResult {
  runId: number;
  outputCheckpointId: number;
  metrics: LmRunMetrics;
  applied: boolean;
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

    const t0 = performance.now();
    const model = await method.run(original, task, run.parameters, {
      seed: run.seed,
      signal,
      onProgress: (p) =>
        hooks.progress(p.stage, p.fraction, p.loss === undefined ? undefined : { loss: p.loss }),
    });
    models.push(model);
    const seconds = (performance.now() - t0) / 1000;
    await checkpointCancel(signal);
    hooks.progress('evaluate-output', 1);
    const after = evaluateLm(model, task, { seed: run.seed, signal });
    const metrics: LmRunMetrics = { ...numbersOnly(after), seconds };
    const artifacts = lmToArtifacts(model, tokenizer);
    await checkpointCancel(signal);

    const result = write(db, () => {
      const request = getRequest(db, run.requestId);
      const applied = request.status === 'open' && currentCheckpointId(db) === run.inputCheckpointId;
      const out = saveLmCheckpoint(db, artifacts, {
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
      });
      completeRun(db, run.id, pid, out.id, metrics, numbersOnly(baseline), {
        method: run.method,
        outputContentHash: out.contentHash,
        applied,
        ...(applied
          ? {}
          : {
              notApplied:
                request.status !== 'open'
                  ? `request ${request.id} was already honoured by run ${request.honouredByRunId}`
                  : 'the current checkpoint changed while the run was running',
            }),
      });
      if (applied) {
        honourRequest(db, run.requestId, run.id);
        setCurrentCheckpoint(db, out.id, 'checkpoint.current', { reason: 'unlearned', runId: run.id });
      }
      return { runId: run.id, outputCheckpointId: out.id, metrics, applied };
    });
    hooks.progress('done', 1);
    return result;
  } finally {
    for (const m of models) m.dispose();
  }
}
