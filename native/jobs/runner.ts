/**
 * The controlling side of a run: starts a worker process, marks the run `running` (owned by the worker's
 * pid) before sending `start`, relays the worker's messages as typed events, and when the worker exits
 * without having recorded an outcome (crash, SIGKILL, out of memory) marks the run `interrupted` (or
 * `cancelled` when the user had asked to cancel). The input checkpoint is never modified, so an
 * interrupted run can simply be started again.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { UserError } from '../errors';
import { type RunRow, type RunStatus, checkStartable, claimRun, endRun, getRun, openProject } from '../store';
import {
  type ErrorKind,
  type ErrorMsg,
  type LogMsg,
  type ParentMessage,
  type ProgressMsg,
  type ResultMsg,
  type WorkerMessage,
  parseWorkerMessage,
} from './protocol';

/** The parent's end of a worker, whatever carries it (child_process here, utilityProcess in the app). */
export interface WorkerChannel {
  readonly pid: number;
  send(m: ParentMessage): void;
  onMessage(fn: (raw: unknown) => void): void;
  /** Text the worker wrote to stdout/stderr, line by line. */
  onOutput(fn: (stream: 'stdout' | 'stderr', line: string) => void): void;
  /** Called once, after the process has exited and its channels are closed. */
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  kill(signal: NodeJS.Signals): void;
}

export function defaultWorkerPath(): string {
  return path.join(__dirname, 'worker.js');
}

/** Starts the compiled worker with child_process.fork. */
export function forkWorker(workerPath: string = defaultWorkerPath()): WorkerChannel {
  const child = fork(workerPath, [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    execArgv: process.execArgv.filter((a) => !a.startsWith('--test') && !a.startsWith('--inspect')),
  });
  if (child.pid === undefined) throw new Error(`could not start the worker process ${workerPath}`);
  const pid = child.pid;
  const outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let pending = '';
    const s = child[stream]!;
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) for (const fn of outputListeners) fn(stream, line);
    });
    s.on('end', () => {
      if (pending.trim()) for (const fn of outputListeners) fn(stream, pending);
      pending = '';
    });
  }
  // An IPC send to a worker that just died fails asynchronously; the exit handler reports the outcome.
  child.on('error', () => undefined);
  return {
    pid,
    send: (m) => {
      if (child.connected) child.send(m, (err) => void err);
    },
    onMessage: (fn) => child.on('message', fn),
    onOutput: (fn) => outputListeners.push(fn),
    onExit: (fn) => child.once('close', (code, signal) => fn(code, signal)),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** The typed events of a running job. */
export interface RunEventMap {
  progress: ProgressMsg;
  log: LogMsg;
  result: ResultMsg;
  error: ErrorMsg;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

export class RunEvents {
  private readonly listeners: { [K in keyof RunEventMap]?: ((e: RunEventMap[K]) => void)[] } = {};

  on<K extends keyof RunEventMap>(event: K, fn: (e: RunEventMap[K]) => void): this {
    if (!this.listeners[event]) this.listeners[event] = [];
    (this.listeners[event] as ((e: RunEventMap[K]) => void)[]).push(fn);
    return this;
  }

  emit<K extends keyof RunEventMap>(event: K, e: RunEventMap[K]): void {
    const list = this.listeners[event] as ((e: RunEventMap[K]) => void)[] | undefined;
    for (const fn of list ?? []) fn(e);
  }
}

/** Logs `message` as a warning on `events`. */
export function warn(events: RunEvents, message: string): void {
  events.emit('log', { type: 'log', level: 'warn', message });
}

/**
 * Relays a worker to `events`: its progress and log messages as they are, a message that does not parse
 * and every stdout/stderr line as logs; each other message (result, output, error) goes to `onOther`.
 */
export function relayWorker(
  channel: WorkerChannel,
  events: RunEvents,
  onOther: (m: Exclude<WorkerMessage, ProgressMsg | LogMsg>) => void,
): void {
  channel.onMessage((raw) => {
    let m: WorkerMessage;
    try {
      m = parseWorkerMessage(raw);
    } catch (e) {
      warn(events, (e as Error).message);
      return;
    }
    if (m.type === 'progress') events.emit('progress', m);
    else if (m.type === 'log') events.emit('log', m);
    else onOther(m);
  });
  channel.onOutput((stream, line) =>
    events.emit('log', { type: 'log', level: stream === 'stderr' ? 'warn' : 'info', message: line }),
  );
}

export interface RunOutcome {
  runId: number;
  status: RunStatus;
  outputCheckpointId: number | null;
  error: string | null;
  /** The kind the worker reported with its error; absent when it reported none (e.g. it was killed). */
  errorKind?: ErrorKind;
  run: RunRow;
}

export interface RunHandle {
  runId: number;
  /** The worker's process id. */
  pid: number;
  events: RunEvents;
  /** Settles when the worker has exited and the run's final status is in the project file. */
  promise: Promise<RunOutcome>;
  /** Asks the worker to stop; kills it if it has not exited after the grace period. */
  cancel(): void;
}

export interface StartRunOptions {
  projectPath: string;
  runId: number;
  workerPath?: string;
  /** How long a cancelled worker may take to stop before it is killed; default 15 s. */
  cancelGraceMs?: number;
  /** Starts the worker; default forkWorker. */
  spawn?: (workerPath: string) => WorkerChannel;
}

/**
 * Starts a queued (or interrupted, cancelled, failed) run in a worker process. Throws a UserError at
 * once when the run cannot be started; otherwise every outcome arrives through `promise`.
 */
export function startRun(opts: StartRunOptions): RunHandle {
  const projectPath = path.resolve(opts.projectPath);
  const project = openProject(projectPath);
  const { db } = project;
  const runId = opts.runId;
  let channel: WorkerChannel;
  try {
    checkStartable(db, runId);
    channel = (opts.spawn ?? forkWorker)(opts.workerPath ?? defaultWorkerPath());
  } catch (e) {
    project.close();
    throw e;
  }
  const pid = channel.pid;
  try {
    claimRun(db, runId, pid);
  } catch (e) {
    channel.kill('SIGKILL');
    project.close();
    throw e;
  }

  const events = new RunEvents();
  let lastError: ErrorMsg | undefined;
  let cancelRequested = false;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;

  relayWorker(channel, events, (m) => {
    if (m.type === 'result') events.emit('result', m);
    else if (m.type === 'error') {
      lastError = m;
      events.emit('error', m);
    } else warn(events, 'a run worker sent a task output: ignored');
  });

  const promise = new Promise<RunOutcome>((resolve, reject) => {
    channel.onExit((code, signal) => {
      exited = true;
      if (killTimer) clearTimeout(killTimer);
      try {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        endRun(
          db,
          runId,
          pid,
          cancelRequested ? 'cancelled' : 'interrupted',
          `worker process ${pid} ${how} before it recorded an outcome`,
        );
        const run = getRun(db, runId);
        events.emit('exit', { code, signal });
        resolve({
          runId,
          status: run.status,
          outputCheckpointId: run.outputCheckpointId,
          error: run.error,
          ...(lastError ? { errorKind: lastError.kind } : {}),
          run,
        });
      } catch (e) {
        reject(e);
      } finally {
        project.close();
      }
    });
  });

  channel.send({ type: 'start', projectPath, runId });

  return {
    runId,
    pid,
    events,
    promise,
    cancel() {
      if (exited || cancelRequested) return;
      cancelRequested = true;
      channel.send({ type: 'cancel' });
      killTimer = setTimeout(() => channel.kill('SIGKILL'), opts.cancelGraceMs ?? 15000);
    },
  };
}

/** Starts a run and waits for it; a run that does not succeed is a UserError naming its status. */
export async function runToCompletion(
  opts: StartRunOptions,
  onStart?: (h: RunHandle) => void,
): Promise<RunOutcome> {
  const handle = startRun(opts);
  onStart?.(handle);
  const outcome = await handle.promise;
  if (outcome.status !== 'succeeded') {
    throw new UserError(`run ${outcome.runId} ${outcome.status}: ${outcome.error ?? 'no reason recorded'}`);
  }
  return outcome;
}
