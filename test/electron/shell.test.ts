/**
 * The Electron shell with the Electron API replaced by fakes (no Electron binary runs here): window
 * security settings, the CSP, navigation and new windows blocked, network refused, IPC validated, the
 * preload's API, utility-process workers, settings, and the real-Electron adapter of main.ts.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CHANNELS, type IpcCaller, isAppFrame, registerIpc } from '../../electron/ipc';
import { electronView, utilityFork } from '../../electron/main';
import { PRELOAD_CHANNELS, buildPreloadApi, exposeApi } from '../../electron/preload';
import {
  APP_CSP,
  type PreventableEvent,
  type SessionLike,
  type WebContentsLike,
  hardenContents,
  installSessionGuards,
  isAllowedUrl,
  windowOptions,
} from '../../electron/security';
import { Settings, memorySettings } from '../../electron/settings';
import { type ShellElectron, type ShellService, type ShellWindow, startShell } from '../../electron/shell';
import { type UtilityProcessLike, utilitySpawner } from '../../electron/utility';
import type { CallEnvelope, ServiceEvent } from '../../native/services/api';

const ROOT = path.resolve('/opt/unlearn/resources/app/dist/renderer');
const INDEX = path.join(ROOT, 'index.html');
const APP_URL = pathToFileURL(INDEX).href;
const quiet = () => undefined;

function event(): PreventableEvent & { prevented: boolean } {
  const e = {
    prevented: false,
    preventDefault() {
      e.prevented = true;
    },
  };
  return e;
}

type Handler = (caller: IpcCaller, args: unknown[]) => Promise<unknown>;

function fakeSession() {
  const s = {
    beforeRequest: undefined as undefined | Parameters<SessionLike['onBeforeRequest']>[0],
    headers: undefined as undefined | Parameters<SessionLike['onHeadersReceived']>[0],
    permission: undefined as undefined | Parameters<SessionLike['setPermissionRequestHandler']>[0],
    check: undefined as undefined | (() => boolean),
    download: undefined as undefined | ((e: PreventableEvent) => void),
  };
  const session: SessionLike = {
    onBeforeRequest: (fn) => {
      s.beforeRequest = fn;
    },
    onHeadersReceived: (fn) => {
      s.headers = fn;
    },
    setPermissionRequestHandler: (fn) => {
      s.permission = fn;
    },
    setPermissionCheckHandler: (fn) => {
      s.check = fn;
    },
    onWillDownload: (fn) => {
      s.download = fn;
    },
  };
  return { s, session };
}

function requestCancelled(s: ReturnType<typeof fakeSession>['s'], url: string): boolean {
  let cancel: boolean | undefined;
  s.beforeRequest?.({ url }, (r) => {
    cancel = r.cancel;
  });
  assert.notEqual(cancel, undefined, 'the handler answered');
  return cancel === true;
}

function fakeContents() {
  const h: {
    navigate?: (e: PreventableEvent, url: string) => void;
    redirect?: (e: PreventableEvent, url: string) => void;
    webview?: (e: PreventableEvent) => void;
    open?: (d: { url: string }) => { action: 'deny' };
  } = {};
  const contents: WebContentsLike = {
    onWillNavigate: (fn) => {
      h.navigate = fn;
    },
    onWillRedirect: (fn) => {
      h.redirect = fn;
    },
    onWillAttachWebview: (fn) => {
      h.webview = fn;
    },
    setWindowOpenHandler: (fn) => {
      h.open = fn;
    },
  };
  return { h, contents };
}

function fakeIpc() {
  const handlers = new Map<string, Handler>();
  return { handlers, ipcMain: { handle: (channel: string, fn: Handler) => void handlers.set(channel, fn) } };
}

function fakeService() {
  const calls: { method: unknown; params: unknown }[] = [];
  const listeners = new Set<(e: ServiceEvent) => void>();
  let disposed = false;
  const service: ShellService = {
    callEnvelope: async (method, params): Promise<CallEnvelope> => {
      calls.push({ method, params });
      if (method === 'project.open') return { ok: true, result: { file: (params as { path: string }).path } };
      return { ok: true, result: { echoed: method } };
    },
    onEvent: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose: async () => {
      disposed = true;
    },
  };
  return { service, calls, listeners, disposed: () => disposed };
}

describe('window and session security', () => {
  it('creates windows with context isolation, the sandbox and no Node integration', () => {
    const o = windowOptions('/app/preload.js', { devTools: false });
    assert.equal(o.webPreferences.contextIsolation, true);
    assert.equal(o.webPreferences.sandbox, true);
    assert.equal(o.webPreferences.nodeIntegration, false);
    assert.equal(o.webPreferences.nodeIntegrationInWorker, false);
    assert.equal(o.webPreferences.nodeIntegrationInSubFrames, false);
    assert.equal(o.webPreferences.webSecurity, true);
    assert.equal(o.webPreferences.allowRunningInsecureContent, false);
    assert.equal(o.webPreferences.webviewTag, false);
    assert.equal(o.webPreferences.devTools, false);
    assert.equal(o.webPreferences.preload, '/app/preload.js');
    assert.equal(o.show, false, 'shown when ready, never blank');
  });

  it('has a strict Content-Security-Policy: own scripts and styles only, no inline code, no network', () => {
    const directives = new Map(
      APP_CSP.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('style-src'), "'self'");
    assert.equal(directives.get('connect-src'), "'none'");
    assert.equal(directives.get('object-src'), "'none'");
    assert.equal(directives.get('frame-ancestors'), "'none'");
    assert.doesNotMatch(APP_CSP, /unsafe-inline|unsafe-eval|\*/);
  });

  it('refuses every request except the app’s own files and the devtools', () => {
    const { s, session } = fakeSession();
    const logged: string[] = [];
    installSessionGuards(session, ROOT, (m) => logged.push(m));
    assert.equal(requestCancelled(s, APP_URL), false);
    assert.equal(requestCancelled(s, pathToFileURL(path.join(ROOT, 'assets', 'index-abc.js')).href), false);
    assert.equal(requestCancelled(s, 'devtools://devtools/bundled/inspector.html'), false);
    for (const url of [
      'https://example.com/',
      'http://127.0.0.1:4477/rpc',
      'ws://127.0.0.1:4477/rpc',
      'file:///etc/passwd',
      pathToFileURL(path.join(ROOT, '..', 'native', 'cli', 'main.js')).href,
      `${pathToFileURL(ROOT).href}-evil/x.js`,
      'ftp://example.com/x',
    ]) {
      assert.equal(requestCancelled(s, url), true, url);
    }
    assert.ok(logged.some((m) => m.includes('https://example.com/')));
    assert.equal(isAllowedUrl('file://%00', ROOT), false);
  });

  it('adds the CSP to every response, replacing any other', () => {
    const { s, session } = fakeSession();
    installSessionGuards(session, ROOT, quiet);
    let headers: Record<string, string[]> | undefined;
    s.headers?.(
      { url: APP_URL, responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] } },
      (r) => {
        headers = r.responseHeaders;
      },
    );
    assert.deepEqual(headers?.['Content-Security-Policy'], [APP_CSP]);
    assert.equal(headers?.['content-security-policy'], undefined);
    assert.deepEqual(headers?.['X-Other'], ['1']);
  });

  it('denies every permission and every download', () => {
    const { s, session } = fakeSession();
    installSessionGuards(session, ROOT, quiet);
    let granted: boolean | undefined;
    s.permission?.('media', (g) => {
      granted = g;
    });
    assert.equal(granted, false);
    assert.equal(s.check?.(), false);
    const e = event();
    s.download?.(e);
    assert.equal(e.prevented, true);
  });

  it('blocks navigation away from the app, redirects, new windows and webviews', () => {
    const { h, contents } = fakeContents();
    hardenContents(contents, APP_URL, quiet);
    const away = event();
    h.navigate?.(away, 'https://example.com/');
    assert.equal(away.prevented, true);
    const reload = event();
    h.navigate?.(reload, APP_URL);
    assert.equal(reload.prevented, false, 'reloading the app itself is allowed');
    const redirect = event();
    h.redirect?.(redirect, 'file:///etc/passwd');
    assert.equal(redirect.prevented, true);
    const webview = event();
    h.webview?.(webview);
    assert.equal(webview.prevented, true);
    assert.deepEqual(h.open?.({ url: 'https://example.com/' }), { action: 'deny' });
  });
});

describe('IPC', () => {
  const app = { senderUrl: APP_URL };

  it('passes valid calls from the app window to the service', async () => {
    const { handlers, ipcMain } = fakeIpc();
    const { service, calls } = fakeService();
    registerIpc(ipcMain, service, async () => '/picked', APP_URL, quiet);
    const r = (await handlers.get(CHANNELS.call)?.(app, [
      'project.open',
      { path: '/tmp/x.unlearn' },
    ])) as CallEnvelope;
    assert.equal(r.ok, true);
    const concepts = (await handlers.get(CHANNELS.call)?.(app, [
      'concepts.start',
      { classIndex: 3, rebuild: true },
    ])) as CallEnvelope;
    assert.equal(concepts.ok, true);
    assert.deepEqual(calls, [
      { method: 'project.open', params: { path: '/tmp/x.unlearn' } },
      { method: 'concepts.start', params: { classIndex: 3, rebuild: true } },
    ]);
    assert.ok(isAppFrame(`${APP_URL}#history`, APP_URL));
  });

  it('rejects unknown operations, invalid parameters and extra keys before the service sees them', async () => {
    const { handlers, ipcMain } = fakeIpc();
    const { service, calls } = fakeService();
    registerIpc(ipcMain, service, async () => null, APP_URL, quiet);
    const call = (args: unknown[]) => handlers.get(CHANNELS.call)?.(app, args) as Promise<CallEnvelope>;
    for (const args of [
      ['shell.exec', { cmd: 'rm -rf /' }],
      ['project.open', { path: 42 }],
      ['project.open', { path: '' }],
      ['project.open', { path: '/x', extra: true }],
      ['run.start', { requestId: -1, method: 'random_label' }],
      ['run.start', { requestId: 1, method: 'random_label', options: { lr: { $gt: 1 } } }],
      ['dataset.import', { source: { kind: 'http', url: 'https://example.com/data' } }],
      ['concepts.start', { classIndex: -1 }],
      ['concepts.start', { classIndex: 1, rebuild: 'yes' }],
      ['concepts.start', { classIndex: 1, concepts: 500 }],
      ['concepts.start', { classIndex: 1, bank: 2 }],
      ['concepts.get', {}],
      ['run.start', { requestId: 1, method: 'concept_targeted', compareWith: 'random_label' }],
      ['project.open'],
      [{ toString: 'project.open' }, {}],
    ]) {
      const r = await call(args);
      assert.equal(r.ok, false, JSON.stringify(args));
      if (!r.ok) assert.equal(r.error.kind, 'invalid');
    }
    assert.deepEqual(calls, []);
  });

  it('refuses calls from any other frame', async () => {
    const { handlers, ipcMain } = fakeIpc();
    const { service, calls } = fakeService();
    let picked = 0;
    registerIpc(
      ipcMain,
      service,
      async () => {
        picked++;
        return '/x';
      },
      APP_URL,
      quiet,
    );
    for (const senderUrl of ['https://example.com/', 'file:///tmp/evil.html', '']) {
      const r = (await handlers.get(CHANNELS.call)?.({ senderUrl }, ['project.summary', {}])) as CallEnvelope;
      assert.equal(r.ok, false);
      assert.equal(await handlers.get(CHANNELS.pick)?.({ senderUrl }, ['folder']), null);
    }
    assert.deepEqual(calls, []);
    assert.equal(picked, 0);
  });

  it('validates file chooser requests', async () => {
    const { handlers, ipcMain } = fakeIpc();
    const { service } = fakeService();
    const kinds: string[] = [];
    registerIpc(
      ipcMain,
      service,
      async (k) => {
        kinds.push(k);
        return '/chosen';
      },
      APP_URL,
      quiet,
    );
    assert.equal(await handlers.get(CHANNELS.pick)?.(app, ['folder']), '/chosen');
    assert.equal(await handlers.get(CHANNELS.pick)?.(app, ['/etc']), null);
    assert.equal(await handlers.get(CHANNELS.pick)?.(app, ['folder', 'extra']), null);
    assert.deepEqual(kinds, ['folder']);
  });
});

describe('preload', () => {
  it('uses the main process’s channel names', () => {
    assert.deepEqual(PRELOAD_CHANNELS, CHANNELS);
  });

  it('exposes one frozen API that forwards calls and events, never the IPC event itself', async () => {
    const emitter = new EventEmitter();
    const invoked: unknown[][] = [];
    const ipc = {
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        return { ok: true, result: 1 };
      },
      on: (c: string, l: (...a: unknown[]) => void) => emitter.on(c, l),
      removeListener: (c: string, l: (...a: unknown[]) => void) => emitter.removeListener(c, l),
    };
    const exposed: Record<string, unknown> = {};
    exposeApi(
      {
        exposeInMainWorld: (k, v) => {
          exposed[k] = v;
        },
      },
      ipc,
    );
    assert.deepEqual(Object.keys(exposed), ['unlearn']);
    const api = buildPreloadApi(ipc);
    assert.ok(Object.isFrozen(api));
    assert.deepEqual(await api.call('project.summary', {}), { ok: true, result: 1 });
    await api.pick('folder');
    assert.deepEqual(invoked, [
      [CHANNELS.call, 'project.summary', {}],
      [CHANNELS.pick, 'folder'],
    ]);
    const got: unknown[][] = [];
    const off = api.onEvent((...args) => got.push(args));
    const payload: ServiceEvent = { type: 'log', jobId: 'j', level: 'info', message: 'hi' };
    emitter.emit(CHANNELS.event, { sender: 'secret' }, payload);
    off();
    emitter.emit(CHANNELS.event, { sender: 'secret' }, payload);
    assert.deepEqual(got, [[payload]]);
  });
});

class FakeUtility extends EventEmitter implements UtilityProcessLike {
  pid: number | undefined = undefined;
  stdout = new PassThrough();
  stderr = new PassThrough();
  posted: unknown[] = [];
  killed = false;
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  kill() {
    this.killed = true;
    setImmediate(() => this.emit('exit', 9));
    return true;
  }
  onSpawn(fn: () => void) {
    this.once('spawn', fn);
  }
  onExit(fn: (code: number) => void) {
    this.once('exit', fn);
  }
  onMessage(fn: (m: unknown) => void) {
    this.on('message', fn);
  }
}

describe('utility-process workers', () => {
  it('resolve once spawned, carry messages, output lines and the exit', async () => {
    const child = new FakeUtility();
    const forked: string[] = [];
    const spawn = utilitySpawner((entry, name) => {
      forked.push(`${entry} as ${name}`);
      return child;
    });
    const pending = spawn('/app/dist/native/jobs/worker.js');
    child.pid = 4242;
    child.emit('spawn');
    const ch = await pending;
    assert.equal(ch.pid, 4242);
    assert.deepEqual(forked, ['/app/dist/native/jobs/worker.js as Unlearn Studio run']);
    const got: unknown[] = [];
    ch.onMessage((m) => got.push(m));
    const lines: string[] = [];
    ch.onOutput((stream, line) => lines.push(`${stream}: ${line}`));
    ch.send({ type: 'start', projectPath: '/p', runId: 1 });
    child.emit('message', { type: 'progress', stage: 'load', fraction: 0 });
    child.stderr.write('warning one\nwarning ');
    child.stderr.end('two');
    await new Promise((r) => setImmediate(r));
    const exit = new Promise<number | null>((r) => ch.onExit((code) => r(code)));
    ch.kill('SIGKILL');
    assert.equal(await exit, 9);
    assert.deepEqual(child.posted, [{ type: 'start', projectPath: '/p', runId: 1 }]);
    assert.deepEqual(got, [{ type: 'progress', stage: 'load', fraction: 0 }]);
    assert.deepEqual(lines, ['stderr: warning one', 'stderr: warning two']);
    ch.send({ type: 'cancel' });
    assert.equal(child.posted.length, 1, 'nothing is sent to an exited worker');
  });

  it('reject when the worker exits before it starts', async () => {
    const child = new FakeUtility();
    const pending = utilitySpawner(() => child)('/app/dist/native/services/trainWorker.js');
    child.emit('exit', 1);
    await assert.rejects(pending, /exited with code 1 before it started/);
  });
});

describe('settings', () => {
  it('keep valid values and ignore damaged ones', () => {
    const backend = memorySettings({ lastProject: 42, window: { width: 'wide' } });
    const s = new Settings(backend);
    assert.equal(s.lastProject(), undefined);
    assert.equal(s.windowSize(), undefined);
    s.setLastProject('/home/me/a.unlearn');
    s.setWindowSize(1300, 950);
    s.setWindowSize(-1, 10);
    assert.equal(s.lastProject(), '/home/me/a.unlearn');
    assert.deepEqual(s.windowSize(), { width: 1300, height: 950 });
  });
});

function fakeElectron() {
  const log: string[] = [];
  const { s: sessionState, session } = fakeSession();
  const { handlers, ipcMain } = fakeIpc();
  const contentsCreated: ((c: WebContentsLike) => void)[] = [];
  const beforeQuit: ((e: PreventableEvent) => void)[] = [];
  const sent: { channel: string; payload: unknown }[] = [];
  let closeWindow: (() => void) | undefined;
  const windows: { opts: unknown; loaded?: string; shown: boolean }[] = [];
  let sandboxEnabled = false;
  let quits = 0;
  const electron: ShellElectron = {
    isPackaged: true,
    enableSandbox: () => {
      sandboxEnabled = true;
      log.push('sandbox');
    },
    whenReady: async () => {
      log.push('ready');
    },
    quit: () => {
      quits++;
    },
    onWindowAllClosed: () => undefined,
    onBeforeQuit: (fn) => void beforeQuit.push(fn),
    onWebContentsCreated: (fn) => void contentsCreated.push(fn),
    defaultSession: () => session,
    ipcMain,
    createWindow: (opts) => {
      const rec: { opts: unknown; loaded?: string; shown: boolean } = { opts, shown: false };
      windows.push(rec);
      let ready: (() => void) | undefined;
      const w: ShellWindow = {
        loadFile: async (file) => {
          rec.loaded = file;
          ready?.();
        },
        send: (channel, payload) => void sent.push({ channel, payload }),
        show: () => {
          rec.shown = true;
        },
        onReadyToShow: (fn) => {
          ready = fn;
        },
        onClose: (fn) => {
          closeWindow = fn;
        },
        isDestroyed: () => false,
        getSize: () => [1111, 777],
      };
      return w;
    },
    showOpenDialog: async () => ({ canceled: false, filePaths: ['/chosen/folder'] }),
    showSaveDialog: async () => ({ canceled: true }),
  };
  return {
    electron,
    log,
    sessionState,
    handlers,
    contentsCreated,
    beforeQuit,
    sent,
    windows,
    close: () => closeWindow?.(),
    sandboxEnabled: () => sandboxEnabled,
    quits: () => quits,
  };
}

describe('startShell', () => {
  it('starts a hardened window on the app, wires IPC and events, reopens the last project', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-shell-'));
    const last = path.join(dir, 'last.unlearn');
    fs.writeFileSync(last, '');
    const fake = fakeElectron();
    const svc = fakeService();
    const settings = new Settings(memorySettings({ lastProject: last }));
    const { appUrl } = await startShell({
      electron: fake.electron,
      service: svc.service,
      settings,
      rendererIndex: INDEX,
      preload: '/app/dist/electron/preload.js',
      log: quiet,
    });
    assert.equal(appUrl, APP_URL);
    assert.equal(fake.sandboxEnabled(), true);
    assert.deepEqual(fake.log, ['sandbox', 'ready'], 'the sandbox is enforced before the app is ready');
    // The window: secure options, the renderer loaded, shown when ready.
    assert.equal(fake.windows.length, 1);
    const opts = fake.windows[0].opts as ReturnType<typeof windowOptions>;
    assert.equal(opts.webPreferences.sandbox, true);
    assert.equal(opts.webPreferences.contextIsolation, true);
    assert.equal(opts.webPreferences.devTools, false, 'no devtools in a packaged app');
    assert.equal(fake.windows[0].loaded, INDEX);
    assert.equal(fake.windows[0].shown, true);
    // The session guards are installed.
    assert.equal(requestCancelled(fake.sessionState, 'https://example.com/'), true);
    assert.equal(requestCancelled(fake.sessionState, APP_URL), false);
    // Every web contents created later is hardened.
    const { h, contents } = fakeContents();
    for (const fn of fake.contentsCreated) fn(contents);
    assert.deepEqual(h.open?.({ url: 'https://example.com' }), { action: 'deny' });
    // The last project was reopened; opening another one is remembered.
    assert.deepEqual(svc.calls[0], { method: 'project.open', params: { path: last } });
    const other = path.join(dir, 'other.unlearn');
    const r = (await fake.handlers.get(CHANNELS.call)?.({ senderUrl: APP_URL }, [
      'project.open',
      { path: other },
    ])) as CallEnvelope;
    assert.equal(r.ok, true);
    assert.equal(settings.lastProject(), other);
    // File choosers go through the dialogs.
    assert.equal(
      await fake.handlers.get(CHANNELS.pick)?.({ senderUrl: APP_URL }, ['folder']),
      '/chosen/folder',
    );
    assert.equal(await fake.handlers.get(CHANNELS.pick)?.({ senderUrl: APP_URL }, ['new-project']), null);
    // Service events reach the window.
    const ev: ServiceEvent = { type: 'log', jobId: 'j1', level: 'info', message: 'hello' };
    for (const fn of svc.listeners) fn(ev);
    assert.deepEqual(fake.sent, [{ channel: CHANNELS.event, payload: ev }]);
    // Closing keeps the window size; quitting cancels the jobs first.
    fake.close();
    assert.deepEqual(settings.windowSize(), { width: 1111, height: 777 });
    assert.equal(svc.listeners.size, 0);
    const quit = event();
    for (const fn of fake.beforeQuit) fn(quit);
    assert.equal(quit.prevented, true);
    await new Promise((r) => setImmediate(r));
    assert.equal(svc.disposed(), true);
    assert.equal(fake.quits(), 1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('main.ts, the adapter over the real Electron API', () => {
  it('wires the session, web contents, IPC and utility processes to Electron’s calls', async () => {
    const calls: string[] = [];
    const emitterOf = () => new EventEmitter();
    const app = Object.assign(emitterOf(), {
      isPackaged: false,
      enableSandbox: () => calls.push('enableSandbox'),
      whenReady: async () => undefined,
      quit: () => calls.push('quit'),
    });
    const webRequest = {
      onBeforeRequest: (fn: unknown) => calls.push(`onBeforeRequest:${typeof fn}`),
      onHeadersReceived: (fn: unknown) => calls.push(`onHeadersReceived:${typeof fn}`),
    };
    const defaultSession = Object.assign(emitterOf(), {
      webRequest,
      setPermissionRequestHandler: () => calls.push('setPermissionRequestHandler'),
      setPermissionCheckHandler: () => calls.push('setPermissionCheckHandler'),
    });
    const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    const child = Object.assign(emitterOf(), {
      pid: 77,
      stdout: null,
      stderr: null,
      postMessage: (m: unknown) => calls.push(`post:${JSON.stringify(m)}`),
      kill: () => true,
    });
    const fake = {
      app,
      session: { defaultSession },
      ipcMain: {
        handle: (c: string, fn: (event: unknown, ...args: unknown[]) => unknown) => ipcHandlers.set(c, fn),
      },
      utilityProcess: {
        fork: (modulePath: string, args: string[], opts: { serviceName: string; stdio: string }) => {
          calls.push(`fork:${modulePath}:${args.length}:${opts.serviceName}:${opts.stdio}`);
          return child;
        },
      },
    } as unknown as typeof import('electron');
    const view = electronView(fake);
    view.enableSandbox();
    installSessionGuards(view.defaultSession(), ROOT, quiet);
    let received: { caller: IpcCaller; args: unknown[] } | undefined;
    view.ipcMain.handle('unlearn:call', async (caller, args) => {
      received = { caller, args };
      return 1;
    });
    await ipcHandlers.get('unlearn:call')?.({ senderFrame: { url: APP_URL } }, 'project.summary', {});
    assert.deepEqual(received, { caller: { senderUrl: APP_URL }, args: ['project.summary', {}] });
    await ipcHandlers.get('unlearn:call')?.({ senderFrame: null }, 'x', {});
    assert.deepEqual(received?.caller, { senderUrl: '' }, 'a destroyed frame has no URL');
    // A web contents created by the app gets the guards.
    let windowOpen: ((d: { url: string }) => unknown) | undefined;
    const wc = Object.assign(emitterOf(), {
      setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => {
        windowOpen = fn;
      },
    });
    view.onWebContentsCreated((c) => hardenContents(c, APP_URL, quiet));
    app.emit('web-contents-created', {}, wc);
    const nav = Object.assign(event(), { url: 'https://example.com/' });
    wc.emit('will-navigate', nav);
    assert.equal(nav.prevented, true);
    assert.deepEqual(windowOpen?.({ url: 'https://example.com/' }), { action: 'deny' });
    // Utility processes.
    const proc = utilityFork(fake)('/app/worker.js', 'Unlearn Studio run');
    assert.equal(proc.pid, 77);
    proc.postMessage({ type: 'cancel' });
    assert.deepEqual(calls, [
      'enableSandbox',
      'onBeforeRequest:function',
      'onHeadersReceived:function',
      'setPermissionRequestHandler',
      'setPermissionCheckHandler',
      'fork:/app/worker.js:0:Unlearn Studio run:pipe',
      'post:{"type":"cancel"}',
    ]);
  });
});
