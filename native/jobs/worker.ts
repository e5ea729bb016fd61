/**
 * The worker process entry (dist/native/jobs/worker.js): waits for `start` (a run) or `task` (classes,
 * verify, concepts), executes that one job, reports progress, logs and the outcome (`result` of a run,
 * `output` of a task, or `error`), and exits. `cancel` aborts the job (a run ends `cancelled`); if the
 * controlling process goes away the job is aborted (a run ends `interrupted`). Speaks ./protocol.ts over
 * Node's IPC channel (child_process.fork) or Electron's utilityProcess parentPort (./channel.ts).
 */
import { CancelledError } from '../errors';
import { type ChannelSide, parentChannel } from './channel';
import { type ExecuteHooks, ParentGoneError, errorKind, executeRun } from './execute';
import { executeTask } from './executeTask';
import {
  type LogLevel,
  ProtocolError,
  type WorkerMessage,
  WorkerMessageSchema,
  parseParentMessage,
} from './protocol';

/** The worker's end of the channel, whatever carries it. */
export type WorkerChannelSide = ChannelSide<WorkerMessage>;

/** JSON has no NaN or Infinity: metrics cross the channel with those as null. */
function wireMetrics(m: object): Record<string, number | null | (number | null)[]> {
  const fix = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const out: Record<string, number | null | (number | null)[]> = {};
  for (const [k, v] of Object.entries(m)) out[k] = Array.isArray(v) ? v.map(fix) : fix(v);
  return out;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Progress is sent when the stage changes, at 1% steps, at least every 250 ms, and at the end. */
function progressThrottle(send: (m: WorkerMessage) => void) {
  let stage = '';
  let fraction = -1;
  let at = 0;
  return (s: string, f: number, metrics?: Record<string, number>) => {
    const clamped = Math.max(0, Math.min(1, Number.isFinite(f) ? f : 0));
    const t = Date.now();
    if (s === stage && clamped < 1 && clamped - fraction < 0.01 && t - at < 250) return;
    stage = s;
    fraction = clamped;
    at = t;
    const finite =
      metrics && Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    send({ type: 'progress', stage: s, fraction: clamped, ...(finite ? { metrics: finite } : {}) });
  };
}

export function runWorker(
  side: WorkerChannelSide,
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  const controller = new AbortController();
  let started = false;
  const send = (m: WorkerMessage): Promise<void> => side.send(WorkerMessageSchema.parse(m));
  const log = (level: LogLevel, message: string) => void send({ type: 'log', level, message });
  const finish = (m: WorkerMessage, code: number) => {
    send(m).then(
      () => exit(code),
      () => exit(code),
    );
  };

  side.onMessage((raw) => {
    let msg: ReturnType<typeof parseParentMessage>;
    try {
      msg = parseParentMessage(raw);
    } catch (e) {
      log('error', e instanceof ProtocolError ? e.message : oneLine(e));
      return;
    }
    if (msg.type === 'cancel') {
      log('info', 'cancel requested: stopping at the next step');
      controller.abort(new CancelledError());
      return;
    }
    if (started) {
      log('error', 'this worker already runs a job: start ignored');
      return;
    }
    started = true;
    const hooks: ExecuteHooks = { progress: progressThrottle((m) => void send(m)), log };
    const failed = (e: unknown) => {
      const kind = errorKind(e);
      if (kind === 'internal' && e instanceof Error && e.stack) log('debug', e.stack);
      finish({ type: 'error', message: oneLine(e), kind }, kind === 'cancelled' ? 0 : 1);
    };
    if (msg.type === 'task') {
      executeTask(msg.projectPath, msg.task, controller.signal, hooks).then(
        (output) => finish({ type: 'output', output }, 0),
        failed,
      );
      return;
    }
    executeRun(msg.projectPath, msg.runId, controller.signal, hooks).then(
      (r) =>
        finish(
          {
            type: 'result',
            runId: r.runId,
            outputCheckpointId: r.outputCheckpointId,
            metrics: wireMetrics(r.metrics),
          },
          0,
        ),
      failed,
    );
  });

  side.onParentGone(() => {
    controller.abort(new ParentGoneError());
    if (!started) exit(0);
  });
}

if (require.main === module) {
  const side = parentChannel<WorkerMessage>();
  if (side) {
    runWorker(side);
  } else {
    process.stderr.write('error: the worker must be started by the job runner (no IPC channel)\n');
    process.exitCode = 2;
  }
}
