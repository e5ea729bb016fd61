/**
 * The preload script (sandboxed): exposes one typed API, `window.unlearn` (PreloadApi of
 * native/services/api.ts), through contextBridge. A sandboxed preload can require only `electron` and a
 * few built-ins, so this file imports nothing at run time but `electron` (types only otherwise); the
 * channel names repeat electron/ipc.ts's CHANNELS (a test checks they agree).
 */
import type { CallEnvelope, PickKind, PreloadApi, ServiceEvent } from '../native/services/api';

export const PRELOAD_CHANNELS = {
  call: 'unlearn:call',
  pick: 'unlearn:pick',
  event: 'unlearn:event',
} as const;

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export function buildPreloadApi(ipc: IpcRendererLike): PreloadApi {
  return Object.freeze({
    call: (method: string, params: unknown) =>
      ipc.invoke(PRELOAD_CHANNELS.call, method, params) as Promise<CallEnvelope>,
    pick: (kind: PickKind) => ipc.invoke(PRELOAD_CHANNELS.pick, kind) as Promise<string | null>,
    onEvent: (fn: (e: ServiceEvent) => void) => {
      // The IPC event object (with its sender) never reaches the page: only the payload does.
      const listener = (_event: unknown, payload: unknown) => fn(payload as ServiceEvent);
      ipc.on(PRELOAD_CHANNELS.event, listener);
      return () => {
        ipc.removeListener(PRELOAD_CHANNELS.event, listener);
      };
    },
  });
}

export function exposeApi(bridge: ContextBridgeLike, ipc: IpcRendererLike): void {
  bridge.exposeInMainWorld('unlearn', buildPreloadApi(ipc));
}

if (process.versions.electron && (process as { type?: string }).type === 'renderer') {
  const electron = require('electron') as typeof import('electron');
  exposeApi(electron.contextBridge, electron.ipcRenderer);
}
