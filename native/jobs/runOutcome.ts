/**
 * The two steps every run (image or language model, ./execute.ts and ./executeLm.ts) ends with: the
 * method run with the run's seed, the cancellation signal and progress, timed; and, in ONE transaction,
 * the output checkpoint, the run's result, and, when nothing moved meanwhile, the honoured request and the
 * current pointer.
 */
import type { LmEvaluation } from '../llm/evaluation/evaluate';
import {
  type Db,
  type LmRunMetrics,
  type RunMetrics,
  type RunRow,
  currentCheckpointId,
  getRequest,
  setCurrentCheckpoint,
  write,
} from '../store';
import { honourRequest } from '../store/requests';
import { completeRun } from '../store/runs';
import type { Evaluation } from '../unlearning/evaluate';
import type { MethodContext } from '../unlearning/types';
import type { ExecuteHooks } from './execute';

/** Runs `method` with the run's context; returns its model and the seconds it took. */
export async function runMethodTimed<M>(
  run: RunRow,
  signal: AbortSignal,
  hooks: ExecuteHooks,
  method: (ctx: MethodContext) => Promise<M>,
): Promise<{ model: M; seconds: number }> {
  const t0 = performance.now();
  const model = await method({
    seed: run.seed,
    signal,
    onProgress: (p) =>
      hooks.progress(p.stage, p.fraction, p.loss === undefined ? undefined : { loss: p.loss }),
  });
  return { model, seconds: (performance.now() - t0) / 1000 };
}

export interface WrittenOutcome {
  runId: number;
  outputCheckpointId: number;
  /** Whether the output became the current checkpoint and honoured the request. */
  applied: boolean;
}

/**
 * Writes the run's outcome in one transaction: `saveOutput` stores the output checkpoint (not current);
 * the run is completed with `metrics` and `baseline`; the request is honoured and the output made current
 * only if the request is still open and the current checkpoint is still the run's input.
 */
export function recordRunOutcome(
  db: Db,
  run: RunRow,
  pid: number,
  metrics: RunMetrics | LmRunMetrics,
  baseline: Evaluation | LmEvaluation,
  saveOutput: () => { id: number; contentHash: string },
): WrittenOutcome {
  return write(db, () => {
    const request = getRequest(db, run.requestId);
    const applied = request.status === 'open' && currentCheckpointId(db) === run.inputCheckpointId;
    const out = saveOutput();
    completeRun(db, run.id, pid, out.id, metrics, baseline, {
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
    return { runId: run.id, outputCheckpointId: out.id, applied };
  });
}
