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
  currentCheckpointId,
  getCheckpoint,
  getRequest,
  getRun,
  loadDataset,
  openProject,
  saveCheckpoint,
  setCurrentCheckpoint,
  write,
} from '../store';
import { classifierToArtifacts, loadCheckpointClassifier } from '../store/modelCodec';
import { honourRequest } from '../store/requests';
import { completeRun, endRun, ownsRun } from '../store/runs';
import { evaluate } from '../unlearning/evaluate';
import { methodByName } from '../unlearning/registry';
import { makeTask } from '../unlearning/task';
import { checkpointCancel } from './cancelPoint';
import { executeLmRun } from './executeLm';
import type { ErrorKind, LogLevel } from './protocol';
import { storedTaskConcepts } from './taskConcepts';

export interface ExecuteHooks {
  progress(stage: string, fraction: number, metrics?: Record<string, number>): void;
  log(level: LogLevel, message: string): void;
}

export interface ExecuteResult {
  runId: number;
  outputCheckpointId: number;
  metrics: RunMetrics | LmRunMetrics;
  /** Whether the output became the current checkpoint and honoured the request. */
  applied: boolean;
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

    const t0 = performance.now();
    const model = await method.run(original, task, run.parameters, {
      seed: run.seed,
      signal,
      onProgress: (p) =>
        hooks.progress(p.stage, p.fraction, p.loss === undefined ? undefined : { loss: p.loss }),
    });
    disposables.push(model);
    const seconds = (performance.now() - t0) / 1000;
    await checkpointCancel(signal);
    hooks.progress('evaluate-output', 1);
    const metrics: RunMetrics = { ...evaluate(model, dataset, run.forgetClass, run.seed), seconds };
    const artifacts = await classifierToArtifacts(model);
    await checkpointCancel(signal);

    const result = write(db, () => {
      // The request is honoured and the output made current only if nothing moved meanwhile: the
      // request is still open and the current checkpoint is still this run's input.
      const request = getRequest(db, run.requestId);
      const applied = request.status === 'open' && currentCheckpointId(db) === run.inputCheckpointId;
      const out = saveCheckpoint(db, artifacts, {
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
      });
      completeRun(db, runId, pid, out.id, metrics, baseline, {
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
        honourRequest(db, run.requestId, runId);
        setCurrentCheckpoint(db, out.id, 'checkpoint.current', { reason: 'unlearned', runId });
      }
      return { runId, outputCheckpointId: out.id, metrics, applied };
    });
    hooks.progress('done', 1);
    return result;
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
