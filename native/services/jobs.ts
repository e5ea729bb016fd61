/**
 * Jobs of the app: training the original model, unlearning runs and the concept stage, each in a worker
 * process (Node's child_process.fork for the bridge and the tests, Electron's utilityProcess in the app:
 * the caller supplies the spawner), one at a time. A run job drives native/jobs/runner.ts's startRun (the
 * run protocol); a concept job is a `concepts` task of the same protocol (native/jobs/taskRunner.ts); a
 * train job speaks ./trainProtocol.ts with ./trainWorker.ts. Progress becomes snapshots with a stage, a
 * fraction, an estimate of the time left in the stage and chart points, pushed as events.
 *
 * Short tasks that evaluate a model (per-class accuracy, verification) also run in a worker, so that the
 * main process never computes, but they are not jobs: the call that needs them waits for them (runTask).
 */
import * as path from 'node:path';
import { CancelledError } from '../errors';
import type { Task, TaskValue } from '../jobs/protocol';
import { defaultWorkerPath, forkWorker, startRun } from '../jobs/runner';
import { startTask } from '../jobs/taskRunner';
import type { ChartPoint, JobKind, JobSnapshot, JobStatus, ServiceEvent } from './api';
import { TrainWorkerMessageSchema } from './trainProtocol';

/** The parent's end of a worker process, whatever carries it. */
export interface ProcessChannel {
  readonly pid: number;
  send(m: unknown): void;
  onMessage(fn: (raw: unknown) => void): void;
  onOutput(fn: (stream: 'stdout' | 'stderr', line: string) => void): void;
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  kill(signal: NodeJS.Signals): void;
}

/** Starts a worker script; resolves once the process exists (it has a pid). */
export type Spawner = (entry: string) => Promise<ProcessChannel>;

/** child_process.fork, as the CLI's runner does it (its channel carries any JSON message). */
export const nodeSpawner: Spawner = async (entry) => forkWorker(entry) as unknown as ProcessChannel;

export function defaultTrainWorkerPath(): string {
  return path.join(__dirname, 'trainWorker.js');
}

export interface JobManagerOptions {
  spawn?: Spawner;
  runWorkerPath?: string;
  trainWorkerPath?: string;
  emit: (e: ServiceEvent) => void;
  /** How long a cancelled worker may take before it is killed; default 15 s. */
  cancelGraceMs?: number;
  now?: () => number;
}

export interface TrainJobParams {
  datasetId: number;
  arch: string;
  epochs: number;
  seed: number;
}

/** One step of a run job: its phase name and the run to start (created when the step begins). */
export interface RunStep {
  phase: string;
  runId: () => number;
}

interface JobRecord {
  snap: JobSnapshot;
  t0: number;
  stageStart: number;
  cancel: () => void;
  done: Promise<JobSnapshot>;
}

const MAX_POINTS = 4000;
const KEEP_FINISHED = 20;

function withoutPoints(s: JobSnapshot): Omit<JobSnapshot, 'points'> {
  const { points: _points, ...rest } = s;
  return rest;
}

export type ConceptsTask = Extract<Task, { kind: 'concepts' }>;

export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();
  /** Cancels of the tasks running for calls (runTask). */
  private readonly tasks = new Set<() => void>();
  private readonly spawn: Spawner;
  private readonly now: () => number;
  private seq = 0;

  constructor(private readonly opts: JobManagerOptions) {
    this.spawn = opts.spawn ?? nodeSpawner;
    this.now = opts.now ?? Date.now;
  }

  /** The job still running, if any (the app runs one job at a time). */
  active(): JobSnapshot | null {
    for (const r of this.jobs.values()) if (r.snap.status === 'running') return this.copy(r);
    return null;
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((r) => this.copy(r));
  }

  get(id: string): JobSnapshot | undefined {
    const r = this.jobs.get(id);
    return r && this.copy(r);
  }

  /** Settles with the final snapshot. */
  wait(id: string): Promise<JobSnapshot> {
    const r = this.jobs.get(id);
    if (!r) return Promise.reject(new Error(`no job ${id}`));
    return r.done;
  }

  cancel(id: string): JobSnapshot | undefined {
    const r = this.jobs.get(id);
    if (!r) return undefined;
    if (r.snap.status === 'running' && !r.snap.cancelRequested) {
      r.snap.cancelRequested = true;
      r.cancel();
      this.push(r);
    }
    return this.copy(r);
  }

  /** Cancels every running job and task and waits for the jobs to end. */
  async shutdown(): Promise<void> {
    const running = [...this.jobs.values()].filter((r) => r.snap.status === 'running');
    for (const r of running) this.cancel(r.snap.id);
    for (const cancel of this.tasks) cancel();
    await Promise.allSettled(running.map((r) => r.done));
  }

  /**
   * Runs a task in a worker process and resolves with its value (rejects with its error: UserError,
   * CancelledError or Error). Not a job: nothing is pushed, and it may run beside a job.
   */
  async runTask<T extends Task>(projectPath: string, task: T): Promise<TaskValue<T['kind']>> {
    const channel = await this.spawn(this.opts.runWorkerPath ?? defaultWorkerPath());
    const handle = startTask({ channel, projectPath, task, cancelGraceMs: this.opts.cancelGraceMs });
    const cancel = () => handle.cancel();
    this.tasks.add(cancel);
    try {
      return await handle.promise;
    } finally {
      this.tasks.delete(cancel);
    }
  }

  private copy(r: JobRecord): JobSnapshot {
    return {
      ...r.snap,
      stagesSeen: [...r.snap.stagesSeen],
      runIds: [...r.snap.runIds],
      points: [...r.snap.points],
    };
  }

  private create(kind: JobKind, phases: string[]): JobRecord {
    this.seq++;
    const t0 = this.now();
    const snap: JobSnapshot = {
      id: `${kind}-${t0.toString(36)}-${this.seq}`,
      kind,
      status: 'running',
      phase: phases[0],
      phases,
      stage: 'start',
      fraction: 0,
      stagesSeen: [],
      etaSeconds: null,
      startedAt: new Date(t0).toISOString(),
      finishedAt: null,
      runIds: [],
      checkpointId: null,
      error: null,
      cancelRequested: false,
      points: [],
    };
    const rec: JobRecord = { snap, t0, stageStart: t0, cancel: () => undefined, done: Promise.resolve(snap) };
    this.jobs.set(snap.id, rec);
    // Forget the oldest finished jobs.
    const finished = [...this.jobs.values()].filter((r) => r.snap.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.jobs.delete(old.snap.id);
    }
    return rec;
  }

  private push(r: JobRecord, point?: ChartPoint): void {
    this.opts.emit({ type: 'job', job: withoutPoints(this.copy(r)), ...(point ? { point } : {}) });
  }

  private progress(
    r: JobRecord,
    phase: string,
    stage: string,
    fraction: number,
    extra: { loss?: number; accuracy?: number } = {},
  ): void {
    const now = this.now();
    const s = r.snap;
    const key = `${phase}:${stage}`;
    if (s.phase !== phase || s.stage !== stage) {
      r.stageStart = now;
      s.phase = phase;
      s.stage = stage;
    }
    if (!s.stagesSeen.includes(key)) s.stagesSeen.push(key);
    s.fraction = Math.max(0, Math.min(1, fraction));
    const elapsed = (now - r.stageStart) / 1000;
    s.etaSeconds =
      s.fraction >= 0.02 && s.fraction < 1 && elapsed >= 0.5
        ? (elapsed * (1 - s.fraction)) / s.fraction
        : null;
    const point: ChartPoint = { t: (now - r.t0) / 1000, phase, stage, fraction: s.fraction };
    if (extra.loss !== undefined && Number.isFinite(extra.loss)) point.loss = extra.loss;
    if (extra.accuracy !== undefined && Number.isFinite(extra.accuracy)) point.accuracy = extra.accuracy;
    if (s.points.length >= MAX_POINTS) s.points.splice(0, s.points.length - MAX_POINTS + 1);
    s.points.push(point);
    this.push(r, point);
  }

  private finish(r: JobRecord, status: JobStatus, error: string | null): JobSnapshot {
    r.snap.status = status;
    r.snap.error = error;
    r.snap.etaSeconds = null;
    r.snap.finishedAt = new Date(this.now()).toISOString();
    this.push(r);
    return this.copy(r);
  }

  private log(r: JobRecord, level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    if (level === 'debug') return;
    this.opts.emit({ type: 'log', jobId: r.snap.id, level, message });
  }

  /** Trains the project's original model in a training worker. */
  startTrain(projectPath: string, p: TrainJobParams): JobSnapshot {
    const r = this.create('train', ['train']);
    let channel: ProcessChannel | undefined;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    r.cancel = () => {
      cancelled = true;
      if (channel) {
        channel.send({ type: 'cancel' });
        killTimer = setTimeout(() => channel?.kill('SIGKILL'), this.opts.cancelGraceMs ?? 15000);
      }
    };
    r.done = (async () => {
      try {
        channel = await this.spawn(this.opts.trainWorkerPath ?? defaultTrainWorkerPath());
      } catch (e) {
        return this.finish(r, 'failed', `could not start the training worker: ${(e as Error).message}`);
      }
      const ch = channel;
      let result: { checkpointId: number; testAcc: number } | undefined;
      let failure: { message: string; kind: string } | undefined;
      ch.onMessage((raw) => {
        const parsed = TrainWorkerMessageSchema.safeParse(raw);
        if (!parsed.success) return this.log(r, 'warn', 'invalid message from the training worker: ignored');
        const m = parsed.data;
        if (m.type === 'progress') {
          this.progress(r, 'train', `epoch ${m.epoch + 1}`, m.fraction, {
            loss: m.loss,
            accuracy: m.accuracy,
          });
        } else if (m.type === 'log') {
          this.log(r, m.level, m.message);
        } else if (m.type === 'result') {
          result = m;
          r.snap.checkpointId = m.checkpointId;
        } else {
          failure = m;
        }
      });
      ch.onOutput((stream, line) => this.log(r, stream === 'stderr' ? 'warn' : 'info', line));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        ch.onExit((code, signal) => resolve({ code, signal })),
      );
      this.progress(r, 'train', 'load', 0);
      ch.send({ type: 'start', projectPath, ...p });
      if (cancelled) r.cancel();
      const { code, signal } = await exited;
      if (killTimer) clearTimeout(killTimer);
      if (result) return this.finish(r, 'succeeded', null);
      if (failure?.kind === 'cancelled' || cancelled)
        return this.finish(r, 'cancelled', 'training cancelled');
      if (failure) return this.finish(r, 'failed', failure.message);
      return this.finish(
        r,
        'interrupted',
        `the training worker ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`,
      );
    })();
    return this.copy(r);
  }

  /**
   * The concept stage of a class on a checkpoint (a `concepts` task in a worker), as a job with progress
   * and cancel; `onValue` receives the inspection when it succeeds.
   */
  startConcepts(
    projectPath: string,
    task: ConceptsTask,
    onValue: (v: TaskValue<'concepts'>) => void,
  ): JobSnapshot {
    const r = this.create('concepts', ['concepts']);
    let handle: { cancel(): void } | undefined;
    let cancelled = false;
    r.cancel = () => {
      cancelled = true;
      handle?.cancel();
    };
    r.done = (async () => {
      let channel: ProcessChannel;
      try {
        this.progress(r, 'concepts', 'start', 0);
        channel = await this.spawn(this.opts.runWorkerPath ?? defaultWorkerPath());
      } catch (e) {
        return this.finish(r, 'failed', `could not start the worker: ${(e as Error).message}`);
      }
      const h = startTask({ channel, projectPath, task, cancelGraceMs: this.opts.cancelGraceMs });
      handle = h;
      if (cancelled) h.cancel();
      h.events.on('progress', (m) => this.progress(r, 'concepts', m.stage, m.fraction));
      h.events.on('log', (m) => this.log(r, m.level, m.message));
      try {
        onValue(await h.promise);
        return this.finish(r, 'succeeded', null);
      } catch (e) {
        if (e instanceof CancelledError || cancelled) return this.finish(r, 'cancelled', 'cancelled');
        return this.finish(r, 'failed', (e as Error).message.split('\n')[0]);
      }
    })();
    return this.copy(r);
  }

  /**
   * Runs the steps one after the other (an unlearning run, then optionally a retrain for comparison);
   * the job ends with the first step that does not succeed.
   */
  startRuns(projectPath: string, steps: RunStep[]): JobSnapshot {
    const r = this.create(
      'run',
      steps.map((s) => s.phase),
    );
    let current: { cancel(): void } | undefined;
    let cancelled = false;
    r.cancel = () => {
      cancelled = true;
      current?.cancel();
    };
    r.done = (async () => {
      for (const step of steps) {
        if (cancelled) return this.finish(r, 'cancelled', 'cancelled before the run started');
        let channel: ProcessChannel | undefined;
        try {
          const runId = step.runId();
          r.snap.runIds.push(runId);
          this.progress(r, step.phase, 'start', 0);
          channel = await this.spawn(this.opts.runWorkerPath ?? defaultWorkerPath());
          const ch = channel;
          const handle = startRun({
            projectPath,
            runId,
            cancelGraceMs: this.opts.cancelGraceMs,
            spawn: () => ch,
          });
          current = handle;
          if (cancelled) handle.cancel();
          handle.events.on('progress', (m) =>
            this.progress(r, step.phase, m.stage, m.fraction, { loss: m.metrics?.loss }),
          );
          handle.events.on('log', (m) => this.log(r, m.level, m.message));
          const outcome = await handle.promise;
          current = undefined;
          if (outcome.status !== 'succeeded') {
            return this.finish(
              r,
              outcome.status === 'cancelled' ||
                outcome.status === 'interrupted' ||
                outcome.status === 'failed'
                ? outcome.status
                : 'failed',
              outcome.error ?? `run ${runId} ${outcome.status}`,
            );
          }
        } catch (e) {
          channel?.kill('SIGKILL');
          return this.finish(r, 'failed', (e as Error).message.split('\n')[0]);
        }
      }
      return this.finish(r, 'succeeded', null);
    })();
    return this.copy(r);
  }
}
