/**
 * The desktop shell, written against a small injected view of Electron (ShellElectron) so that it is
 * unit-tested with fakes; electron/main.ts builds that view from the real Electron. The main process owns
 * the project (through the service layer); the renderer reaches it only through the preload's typed API and
 * the validated IPC of ./ipc.ts; jobs run in utility processes (./utility.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallEnvelope, PickKind, ServiceEvent } from '../native/services/api';
import { CHANNELS, type IpcMainLike, registerIpc } from './ipc';
import {
  type PreventableEvent,
  type SessionLike,
  type WebContentsLike,
  type WindowOptions,
  hardenContents,
  installSessionGuards,
  windowOptions,
} from './security';
import type { Settings } from './settings';

export interface ShellWindow {
  loadFile(file: string): Promise<void>;
  send(channel: string, payload: unknown): void;
  show(): void;
  onReadyToShow(fn: () => void): void;
  onClose(fn: () => void): void;
  isDestroyed(): boolean;
  getSize(): number[];
}

export interface DialogFilter {
  name: string;
  extensions: string[];
}

export interface ShellElectron {
  isPackaged: boolean;
  enableSandbox(): void;
  whenReady(): Promise<void>;
  quit(): void;
  onWindowAllClosed(fn: () => void): void;
  onBeforeQuit(fn: (event: PreventableEvent) => void): void;
  onWebContentsCreated(fn: (contents: WebContentsLike) => void): void;
  defaultSession(): SessionLike;
  ipcMain: IpcMainLike;
  createWindow(opts: WindowOptions): ShellWindow;
  showOpenDialog(
    win: ShellWindow,
    opts: { title: string; properties: ('openFile' | 'openDirectory')[]; filters?: DialogFilter[] },
  ): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSaveDialog(
    win: ShellWindow,
    opts: { title: string; filters?: DialogFilter[]; defaultPath?: string },
  ): Promise<{ canceled: boolean; filePath?: string }>;
}

/** What the shell needs from the service layer (native/services/service.ts's StudioService). */
export interface ShellService {
  callEnvelope(method: unknown, params: unknown): Promise<CallEnvelope>;
  onEvent(fn: (e: ServiceEvent) => void): () => void;
  dispose(): Promise<void>;
}

export interface ShellOptions {
  electron: ShellElectron;
  service: ShellService;
  settings: Settings;
  /** dist/renderer/index.html */
  rendererIndex: string;
  /** dist/electron/preload.js */
  preload: string;
  log?: (m: string) => void;
}

export interface Shell {
  window: ShellWindow;
  appUrl: string;
}

const PROJECT_FILTER: DialogFilter[] = [{ name: 'Unlearn Studio project', extensions: ['unlearn'] }];

/** The file chooser behind `unlearn:pick`. */
export function makePicker(electron: ShellElectron, win: () => ShellWindow | undefined) {
  return async (kind: PickKind): Promise<string | null> => {
    const w = win();
    if (!w) return null;
    if (kind === 'new-project') {
      const r = await electron.showSaveDialog(w, {
        title: 'New project file',
        filters: PROJECT_FILTER,
        defaultPath: 'study.unlearn',
      });
      return r.canceled || !r.filePath ? null : r.filePath;
    }
    const r = await electron.showOpenDialog(w, {
      title:
        kind === 'folder' ? 'Choose a folder' : kind === 'open-project' ? 'Open a project' : 'Choose a file',
      properties: [kind === 'folder' ? 'openDirectory' : 'openFile'],
      ...(kind === 'open-project' ? { filters: PROJECT_FILTER } : {}),
    });
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
  };
}

export async function startShell(o: ShellOptions): Promise<Shell> {
  const { electron, settings } = o;
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const rendererIndex = path.resolve(o.rendererIndex);
  const appUrl = pathToFileURL(rendererIndex).href;
  const rendererRoot = path.dirname(rendererIndex);

  electron.enableSandbox();
  electron.onWebContentsCreated((contents) => hardenContents(contents, appUrl, log));
  electron.onWindowAllClosed(() => electron.quit());
  let disposed = false;
  electron.onBeforeQuit((event) => {
    if (disposed) return;
    // Cancel running jobs (their runs end `cancelled`, the input model untouched), then quit for real.
    event.preventDefault();
    disposed = true;
    void o.service.dispose().finally(() => electron.quit());
  });

  await electron.whenReady();
  installSessionGuards(electron.defaultSession(), rendererRoot, log);

  // The service, remembering the last project opened.
  const service = {
    callEnvelope: async (method: unknown, params: unknown) => {
      const env = await o.service.callEnvelope(method, params);
      if (env.ok && (method === 'project.open' || method === 'project.create')) {
        settings.setLastProject((env.result as { file: string }).file);
      }
      return env;
    },
  };
  const current: { win?: ShellWindow } = {};
  registerIpc(
    electron.ipcMain,
    service,
    makePicker(electron, () => current.win),
    appUrl,
    log,
  );

  const last = settings.lastProject();
  if (last && fs.existsSync(last)) {
    const r = await o.service.callEnvelope('project.open', { path: last });
    if (!r.ok) log(`could not reopen ${last}: ${r.error.message}`);
  }

  const size = settings.windowSize();
  const w = electron.createWindow(windowOptions(o.preload, { devTools: !electron.isPackaged, ...size }));
  current.win = w;
  const off = o.service.onEvent((e) => {
    if (!w.isDestroyed()) w.send(CHANNELS.event, e);
  });
  w.onClose(() => {
    off();
    const [width, height] = w.getSize();
    settings.setWindowSize(width, height);
  });
  w.onReadyToShow(() => w.show());
  await w.loadFile(rendererIndex);
  return { window: w, appUrl };
}
