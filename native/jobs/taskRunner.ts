/**
 * The controlling side of a task (protocol.ts): sends `task` to a started worker, relays its progress and
 * logs as typed events, and settles with the task's value (checked against its kind's schema on arrival)
 * or with the worker's error: a UserError for a user error, a CancelledError when cancelled, an Error
 * otherwise (also when the worker exits without answering). Cancelling sends `cancel` and kills the worker
 * if it has not exited after the grace period.
 */
import * as path from 'node:path';
import { CancelledError, UserError } from '../errors';
import type { ErrorMsg, Task, TaskKind, TaskOutput, TaskValue } from './protocol';
import { RunEvents, type WorkerChannel, relayWorker, warn } from './runner';

export interface TaskHandle<K extends TaskKind> {
  /** The worker's process id. */
  pid: number;
  /** `progress` and `log` (the other events of RunEvents are not emitted for tasks). */
  events: RunEvents;
  /** Settles once the worker has exited. */
  promise: Promise<TaskValue<K>>;
  /** Asks the worker to stop; kills it if it has not exited after the grace period. */
  cancel(): void;
}

export interface StartTaskOptions<T extends Task> {
  /** A worker process that has not been sent anything yet (forkWorker, or the app's spawner). */
  channel: WorkerChannel;
  projectPath: string;
  task: T;
  /** How long a cancelled worker may take to stop before it is killed; default 15 s. */
  cancelGraceMs?: number;
}

function failure(e: ErrorMsg): Error {
  if (e.kind === 'user') return new UserError(e.message);
  if (e.kind === 'cancelled') return new CancelledError(e.message);
  return new Error(e.message);
}

export function startTask<T extends Task>(opts: StartTaskOptions<T>): TaskHandle<T['kind']> {
  const { channel, task } = opts;
  const events = new RunEvents();
  let output: TaskOutput | undefined;
  let error: ErrorMsg | undefined;
  let exited = false;
  let cancelRequested = false;
  let killTimer: NodeJS.Timeout | undefined;

  relayWorker(channel, events, (m) => {
    if (m.type === 'output') {
      if (m.output.kind === task.kind) output = m.output;
      else warn(events, `a ${task.kind} task answered with a ${m.output.kind} output: ignored`);
    } else if (m.type === 'error') error = m;
    else warn(events, 'a task worker sent a run result: ignored');
  });

  const promise = new Promise<TaskOutput['value']>((resolve, reject) => {
    channel.onExit((code, signal) => {
      exited = true;
      if (killTimer) clearTimeout(killTimer);
      if (output) return resolve(output.value);
      if (error) return reject(failure(error));
      if (cancelRequested) return reject(new CancelledError());
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new Error(`the worker process ${channel.pid} ${how} before it answered the ${task.kind} task`));
    });
  });

  channel.send({ type: 'task', projectPath: path.resolve(opts.projectPath), task });

  return {
    pid: channel.pid,
    events,
    // The output's kind was checked against the task's on arrival.
    promise: promise as Promise<TaskValue<T['kind']>>,
    cancel() {
      if (exited || cancelRequested) return;
      cancelRequested = true;
      channel.send({ type: 'cancel' });
      killTimer = setTimeout(() => channel.kill('SIGKILL'), opts.cancelGraceMs ?? 15000);
    },
  };
}
