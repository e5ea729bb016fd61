/**
 * The renderer's one client of the engine: `window.unlearn` (the Electron preload) when present, else the
 * local bridge over a WebSocket on the page's own host. Both speak the contract of native/services/api.ts.
 */
import type {
  ApiMethod,
  ApiParams,
  ApiResults,
  CallEnvelope,
  ErrorKind,
  PickKind,
  PreloadApi,
  ServiceEvent,
  UnlearnClient,
} from '../../native/services/api';

declare global {
  interface Window {
    unlearn?: PreloadApi;
  }
}

export class ClientError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind | 'disconnected',
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

function unwrap<T>(env: CallEnvelope): T {
  if (env.ok) return env.result as T;
  throw new ClientError(env.error.message, env.error.kind);
}

export function electronClient(api: PreloadApi): UnlearnClient {
  return {
    transport: 'electron',
    call: async <M extends ApiMethod>(method: M, params: ApiParams<M>) =>
      unwrap<ApiResults[M]>(await api.call(method, params)),
    onEvent: (fn) => api.onEvent(fn),
    pick: (kind: PickKind) => api.pick(kind),
  };
}

interface Pending {
  resolve(env: CallEnvelope): void;
}

/** A client over the bridge's WebSocket; `onClose` is told when the connection is lost. */
export function bridgeClient(url: string, onClose: () => void): Promise<UnlearnClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, Pending>();
    const listeners = new Set<(e: ServiceEvent) => void>();
    let nextId = 1;
    let open = false;
    ws.addEventListener('message', (m) => {
      let msg: { id?: number; event?: ServiceEvent } & Partial<CallEnvelope>;
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (msg.event) {
        for (const fn of listeners) fn(msg.event);
        return;
      }
      if (typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        p?.resolve(msg as CallEnvelope);
      }
    });
    ws.addEventListener('close', () => {
      for (const p of pending.values()) {
        p.resolve({
          ok: false,
          error: { message: 'the connection to Unlearn Studio was lost', kind: 'internal' },
        });
      }
      pending.clear();
      if (open) onClose();
      else reject(new ClientError(`cannot connect to ${url}`, 'disconnected'));
    });
    ws.addEventListener('open', () => {
      open = true;
      resolve({
        transport: 'bridge',
        call: <M extends ApiMethod>(method: M, params: ApiParams<M>) =>
          new Promise<ApiResults[M]>((res, rej) => {
            if (ws.readyState !== WebSocket.OPEN) {
              rej(new ClientError('the connection to Unlearn Studio was lost', 'disconnected'));
              return;
            }
            const id = nextId++;
            pending.set(id, {
              resolve: (env) => {
                try {
                  res(unwrap<ApiResults[M]>(env));
                } catch (e) {
                  rej(e);
                }
              },
            });
            ws.send(JSON.stringify({ id, method, params }));
          }),
        onEvent: (fn) => {
          listeners.add(fn);
          return () => listeners.delete(fn);
        },
      });
    });
  });
}

export function connect(onClose: () => void): Promise<UnlearnClient> {
  if (window.unlearn) return Promise.resolve(electronClient(window.unlearn));
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return bridgeClient(`${proto}://${location.host}/rpc`, onClose);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
