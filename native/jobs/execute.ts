/**
 * What a worker does for one run: open the project, load the input checkpoint and its dataset (hashes
 * checked), run the method with the cancellation signal, evaluate the input and the output, and write
 * the output checkpoint, the run's result, the honoured request, the current pointer and their events
 * in ONE transaction (a language model's run: ./executeLm.ts). Failures and cancellation are written to the
 * run row before they are reported.
 */
import { describeBackend, initBackend } from '../engine/backend/select';
import { CancelledError, UserError } from '../errors';
import type { Classifier } from '../models/classifier';
import { DEFAULT_RECIPE } from '../models/spec';
import {
  type LmRunMetrics,
  type RunMetrics,
  getCheckpoint,
  getRun,
  loadDataset,
  openProject,
  saveCheckpoint,
} from '../store';
import { classifierToArtifacts, loadCheckpointClassifier } from '../store/modelCodec';
import { endRun, ownsRun } from '../store/runs';
import { evaluate } from '../unlearning/evaluate';
import { methodByName } from '../unlearning/registry';
import { makeTask } from '../unlearning/task';
import { checkpointCancel } from './cancelPoint';
import { executeLmRun } from './executeLm';
import type { ErrorKind, LogLevel } from './protocol';
import { type WrittenOutcome, recordRunOutcome, runMethodTimed } from './runOutcome';
import { storedTaskConcepts } from './taskConcepts';

export interface ExecuteHooks {
  progress(stage: string, fraction: number, metrics?: Record<string, number>): void;
  log(level: LogLevel, message: string): void;
}

export interface ExecuteResult extends WrittenOutcome {
  metrics: RunMetrics | LmRunMetrics;
}

/** Thrown (as the abort reason) when the controlling process went away: the run ends `interrupted`. */
export class ParentGoneError extends CancelledError {
  constructor() {
    super('the controlling process went away');
    this.name = 'ParentGoneError';
  }
}

export function errorKind(e: unknown): ErrorKind {
  if (e instanceof CancelledError) return 'cancelled';
  return e instanceof UserError ? 'user' : 'internal';
}

function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0];
}

/**
 * Executes run `runId` of the project at `projectPath` in this process. The run must already be
 * `running` and owned by this process (the parent claims it before sending `start`).
 */
export async function executeRun(
  projectPath: string,
  runId: number,
  signal: AbortSignal,
  hooks: ExecuteHooks,
): Promise<ExecuteResult> {
  const project = openProject(projectPath);
  const { db } = project;
  const pid = process.pid;
  const disposables: Classifier[] = [];
  try {
    const run = getRun(db, runId);
    if (!ownsRun(db, runId, pid)) {
      throw new Error(`run ${runId} is ${run.status} and not owned by worker ${pid}`);
    }
    hooks.progress('load', 0);
    const backend = await initBackend();
    hooks.log('info', describeBackend(backend));
    if (getCheckpoint(db, run.inputCheckpointId).modelKind === 'lm') {
      return await executeLmRun(db, run, pid, signal, hooks);
    }
    const { classifier: original, checkpoint } = await loadCheckpointClassifier(db, run.inputCheckpointId);
    disposables.push(original);
    const dataset = loadDataset(db, checkpoint.datasetId);
    const method = methodByName(run.method);
    const recipe = checkpoint.recipe ?? DEFAULT_RECIPE;
    if (!checkpoint.recipe && run.method === 'retrain') {
      hooks.log('warn', `checkpoint ${checkpoint.id} has no training recipe: retrain uses the default one`);
    }
    const task = makeTask(dataset, run.forgetClass, recipe);
    const stored = storedTaskConcepts(db, run);
    if (stored) {
      task.concepts = stored.concepts;
      hooks.log('info', `run ${runId}: concepts from concept bank ${stored.bankId} of the project`);
    }
    hooks.log(
      'info',
      `run ${runId}: ${run.method} forgets class ${run.forgetClass} ('${dataset.classNames[run.forgetClass]}') from checkpoint ${checkpoint.id}`,
    );
    await checkpointCancel(signal);
    hooks.progress('evaluate-input', 0);
    const baseline = evaluate(original, dataset, run.forgetClass, run.seed);
    await checkpointCancel(signal);

    const { model, seconds } = await runMethodTimed(run, signal, hooks, (ctx) =>
      method.run(original, task, run.parameters, ctx),
    );
    disposables.push(model);
    await checkpointCancel(signal);
    hooks.progress('evaluate-output', 1);
    const metrics: RunMetrics = { ...evaluate(model, dataset, run.forgetClass, run.seed), seconds };
    const artifacts = await classifierToArtifacts(model);
    await checkpointCancel(signal);

    const outcome = recordRunOutcome(db, run, pid, metrics, baseline, () =>
      saveCheckpoint(db, artifacts, {
        datasetId: checkpoint.datasetId,
        parentId: checkpoint.id,
        kind: 'unlearned',
        runId,
        label: `${run.method} without class '${dataset.classNames[run.forgetClass]}' (run ${runId})`,
        embeddingLayer: model.info.embeddingLayer,
        recipe: checkpoint.recipe,
        seed: run.seed,
        metadata: { method: run.method, parameters: run.parameters, forgetClass: run.forgetClass },
        makeCurrent: false,
      }),
    );
    hooks.progress('done', 1);
    return { ...outcome, metrics };
  } catch (e) {
    const kind = errorKind(e);
    const status =
      kind !== 'cancelled'
        ? 'failed'
        : signal.reason instanceof ParentGoneError
          ? 'interrupted'
          : 'cancelled';
    try {
      endRun(db, runId, pid, status, oneLine(e));
    } catch (inner) {
      hooks.log('error', `could not record the run's ${status} status: ${oneLine(inner)}`);
    }
    throw e;
  } finally {
    for (const c of disposables) c.dispose();
    project.close();
  }
}
