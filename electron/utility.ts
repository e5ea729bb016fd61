/**
 * Job workers in Electron's utilityProcess: the same worker scripts as the CLI's child_process.fork
 * (dist/native/jobs/worker.js, dist/native/services/trainWorker.js), which detect `process.parentPort` and
 * speak the same protocol through it. This adapts a utility process to the service's ProcessChannel.
 */
import type { ProcessChannel, Spawner } from '../native/services/jobs';

interface ReadableLike {
  setEncoding(enc: 'utf8'): unknown;
  on(event: 'data', fn: (chunk: string) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
}

/** The part of Electron's UtilityProcess used here. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: ReadableLike | null;
  readonly stderr: ReadableLike | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  onSpawn(fn: () => void): void;
  onExit(fn: (code: number) => void): void;
  onMessage(fn: (message: unknown) => void): void;
}

export type UtilityFork = (modulePath: string, serviceName: string) => UtilityProcessLike;

/** A Spawner that starts each worker with utilityProcess.fork and resolves once it has a pid. */
export function utilitySpawner(fork: UtilityFork): Spawner {
  return (entry) =>
    new Promise<ProcessChannel>((resolve, reject) => {
      const name = entry.includes('trainWorker') ? 'Unlearn Studio training' : 'Unlearn Studio run';
      const child = fork(entry, name);
      const outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
      const exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
      let exited: { code: number } | undefined;
      let spawned = false;
      for (const stream of ['stdout', 'stderr'] as const) {
        const s = child[stream];
        if (!s) continue;
        let pending = '';
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
      child.onExit((code) => {
        exited = { code };
        if (!spawned) reject(new Error(`the worker ${entry} exited with code ${code} before it started`));
        for (const fn of exitListeners) fn(code, null);
      });
      child.onSpawn(() => {
        spawned = true;
        const pid = child.pid;
        if (pid === undefined) {
          reject(new Error(`the worker ${entry} has no process id`));
          return;
        }
        resolve({
          pid,
          send: (m) => {
            if (!exited) child.postMessage(m);
          },
          onMessage: (fn) => child.onMessage(fn),
          onOutput: (fn) => outputListeners.push(fn),
          onExit: (fn) => {
            if (exited) fn(exited.code, null);
            else exitListeners.push(fn);
          },
          kill: () => {
            if (!exited) child.kill();
          },
        });
      });
    });
}
