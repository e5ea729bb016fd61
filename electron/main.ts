/**
 * The Electron main process entry (package.json "main": dist/electron/main.js): builds the shell's view of
 * the real Electron API and starts it (./shell.ts). Nothing runs when this file is loaded outside Electron,
 * so the tests can type-check and import it.
 */
import * as path from 'node:path';
import type { SessionLike, WebContentsLike } from './security';
import { Settings, type SettingsBackend, memorySettings } from './settings';
import { type ShellElectron, type ShellWindow, startShell } from './shell';
import { type UtilityProcessLike, utilitySpawner } from './utility';

type ElectronModule = typeof import('electron');
type ServiceModule = typeof import('../native/services/service');

function contents(c: import('electron').WebContents): WebContentsLike {
  return {
    onWillNavigate: (fn) => c.on('will-navigate', (event) => fn(event, event.url)),
    onWillRedirect: (fn) => c.on('will-redirect', (event) => fn(event, event.url)),
    onWillAttachWebview: (fn) => c.on('will-attach-webview', (event) => fn(event)),
    setWindowOpenHandler: (fn) => c.setWindowOpenHandler((details) => fn({ url: details.url })),
  };
}

function session(s: import('electron').Session): SessionLike {
  return {
    onBeforeRequest: (fn) => s.webRequest.onBeforeRequest((details, callback) => fn(details, callback)),
    onHeadersReceived: (fn) => s.webRequest.onHeadersReceived((details, callback) => fn(details, callback)),
    setPermissionRequestHandler: (fn) =>
      s.setPermissionRequestHandler((_webContents, permission, callback) => fn(permission, callback)),
    setPermissionCheckHandler: (fn) => s.setPermissionCheckHandler(() => fn()),
    onWillDownload: (fn) => s.on('will-download', (event) => fn(event)),
  };
}

function windowOf(w: import('electron').BrowserWindow): ShellWindow {
  return {
    loadFile: (file) => w.loadFile(file),
    send: (channel, payload) => w.webContents.send(channel, payload),
    show: () => w.show(),
    onReadyToShow: (fn) => w.once('ready-to-show', fn),
    onClose: (fn) => w.on('close', () => fn()),
    isDestroyed: () => w.isDestroyed(),
    getSize: () => w.getSize(),
  };
}

/** The shell's view of Electron. */
export function electronView(e: ElectronModule): ShellElectron {
  const windows = new Map<ShellWindow, import('electron').BrowserWindow>();
  const real = (w: ShellWindow) => {
    const b = windows.get(w);
    if (!b) throw new Error('unknown window');
    return b;
  };
  return {
    isPackaged: e.app.isPackaged,
    enableSandbox: () => e.app.enableSandbox(),
    whenReady: () => e.app.whenReady(),
    quit: () => e.app.quit(),
    onWindowAllClosed: (fn) => e.app.on('window-all-closed', fn),
    onBeforeQuit: (fn) => e.app.on('before-quit', (event) => fn(event)),
    onWebContentsCreated: (fn) => e.app.on('web-contents-created', (_event, c) => fn(contents(c))),
    defaultSession: () => session(e.session.defaultSession),
    ipcMain: {
      handle: (channel, fn) =>
        e.ipcMain.handle(channel, (event, ...args: unknown[]) =>
          fn({ senderUrl: event.senderFrame?.url ?? '' }, args),
        ),
    },
    createWindow: (opts) => {
      const b = new e.BrowserWindow(opts);
      const w = windowOf(b);
      windows.set(w, b);
      b.on('closed', () => windows.delete(w));
      return w;
    },
    showOpenDialog: (w, opts) => e.dialog.showOpenDialog(real(w), opts),
    showSaveDialog: (w, opts) => e.dialog.showSaveDialog(real(w), opts),
  };
}

/** utilityProcess.fork as the utility spawner wants it. */
export function utilityFork(e: ElectronModule) {
  return (modulePath: string, serviceName: string): UtilityProcessLike => {
    const child = e.utilityProcess.fork(modulePath, [], { serviceName, stdio: 'pipe' });
    return {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (m) => child.postMessage(m),
      kill: () => child.kill(),
      onSpawn: (fn) => child.once('spawn', fn),
      onExit: (fn) => child.once('exit', fn),
      onMessage: (fn) => child.on('message', fn),
    };
  };
}

function settingsBackend(): SettingsBackend {
  try {
    // electron-store 8: the last CommonJS major (the main process is compiled to CommonJS).
    const Store = require('electron-store') as new (opts: { name: string }) => SettingsBackend;
    return new Store({ name: 'settings' });
  } catch (e) {
    process.stderr.write(`settings are not kept: ${(e as Error).message}\n`);
    return memorySettings();
  }
}

export async function main(e: ElectronModule): Promise<void> {
  // Loaded here, not at the top: the engine (TensorFlow.js, sharp) is needed only in the app itself.
  const { StudioService } = require('../native/services/service') as ServiceModule;
  const service = new StudioService({ spawn: utilitySpawner(utilityFork(e)) });
  await startShell({
    electron: electronView(e),
    service,
    settings: new Settings(settingsBackend()),
    rendererIndex: path.join(__dirname, '..', 'renderer', 'index.html'),
    preload: path.join(__dirname, 'preload.js'),
  });
}

if (process.versions.electron && require.main === module) {
  main(require('electron') as ElectronModule).catch((err) => {
    process.stderr.write(`Unlearn Studio could not start: ${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
  });
}
