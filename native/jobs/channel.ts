/**
 * A worker process's end of its channel to the process that started it: Node's IPC channel
 * (child_process.fork) or Electron's utilityProcess parentPort. Shared by the run worker and the training
 * worker; `M` is the type of the messages the worker sends.
 */
export interface ChannelSide<M> {
  send(m: M): Promise<void>;
  onMessage(fn: (raw: unknown) => void): void;
  onParentGone(fn: () => void): void;
}

export interface ElectronParentPort {
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Node's IPC channel (the worker was started with child_process.fork). */
export function nodeIpcSide<M>(): ChannelSide<M> {
  return {
    send: (m) =>
      new Promise((resolve) => {
        if (!process.connected || !process.send) return resolve();
        try {
          process.send(m, undefined, {}, () => resolve());
        } catch {
          resolve();
        }
      }),
    onMessage: (fn) => process.on('message', fn),
    onParentGone: (fn) => process.on('disconnect', fn),
  };
}

/** Electron's utilityProcess: the same messages through process.parentPort. */
export function electronPortSide<M>(port: ElectronParentPort): ChannelSide<M> {
  return {
    send: async (m) => port.postMessage(m),
    onMessage: (fn) => port.on('message', (e) => fn(e.data)),
    onParentGone: () => {
      // Electron ends utility processes with their parent.
    },
  };
}

/**
 * The channel this process was started with, or null when it has none. On Node's channel SIGINT is ignored:
 * Ctrl-C in a terminal reaches the whole process group, and the controlling process decides (it sends
 * `cancel`, or goes away, which aborts the work too).
 */
export function parentChannel<M>(): ChannelSide<M> | null {
  const port = (process as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort;
  if (port) return electronPortSide<M>(port);
  if (process.send) {
    process.on('SIGINT', () => undefined);
    return nodeIpcSide<M>();
  }
  return null;
}
