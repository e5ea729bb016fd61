/**
 * The shell's security settings, as functions of a small injected view of Electron so that they are
 * unit-tested with fakes (test/electron/): the window's web preferences, the Content-Security-Policy,
 * navigation and new windows blocked, every network request except the app's own files refused, and every
 * permission request denied.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The renderer's policy: its own scripts and styles, images from data: URLs (thumbnails), no network. */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  spellcheck: false;
  devTools: boolean;
}

export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  webPreferences: SecureWebPreferences;
}

export function windowOptions(
  preload: string,
  opts: { devTools: boolean; width?: number; height?: number },
): WindowOptions {
  return {
    width: opts.width ?? 1280,
    height: opts.height ?? 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Unlearn Studio',
    backgroundColor: '#f8fafc',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: opts.devTools,
    },
  };
}

/** Whether the renderer may load `url`: a file inside the app's renderer folder, or the devtools. */
export function isAllowedUrl(url: string, rendererRoot: string): boolean {
  if (url.startsWith('devtools://')) return true;
  if (url.startsWith('data:')) return true; // inline thumbnails: no network involved
  if (!url.startsWith('file://')) return false;
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return false;
  }
  const root = path.resolve(rendererRoot);
  const resolved = path.resolve(file);
  return resolved === root || resolved.startsWith(root + path.sep);
}

export interface PreventableEvent {
  preventDefault(): void;
}

/** The part of a session the guards use. */
export interface SessionLike {
  onBeforeRequest(fn: (details: { url: string }, callback: (r: { cancel: boolean }) => void) => void): void;
  onHeadersReceived(
    fn: (
      details: { url: string; responseHeaders?: Record<string, string[]> },
      callback: (r: { responseHeaders: Record<string, string[]> }) => void,
    ) => void,
  ): void;
  setPermissionRequestHandler(fn: (permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(fn: () => boolean): void;
  onWillDownload(fn: (event: PreventableEvent) => void): void;
}

/** Refuses every request outside the app's files, adds the CSP, denies permissions and downloads. */
export function installSessionGuards(
  session: SessionLike,
  rendererRoot: string,
  log: (m: string) => void,
): void {
  session.onBeforeRequest((details, callback) => {
    const allowed = isAllowedUrl(details.url, rendererRoot);
    if (!allowed) log(`refused a request to ${details.url.slice(0, 200)}`);
    callback({ cancel: !allowed });
  });
  session.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const k of Object.keys(headers))
      if (k.toLowerCase() === 'content-security-policy') delete headers[k];
    headers['Content-Security-Policy'] = [APP_CSP];
    headers['X-Content-Type-Options'] = ['nosniff'];
    callback({ responseHeaders: headers });
  });
  session.setPermissionRequestHandler((permission, callback) => {
    log(`denied a permission request: ${permission}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.onWillDownload((event) => event.preventDefault());
}

/** The part of a WebContents the guards use. */
export interface WebContentsLike {
  onWillNavigate(fn: (event: PreventableEvent, url: string) => void): void;
  onWillRedirect(fn: (event: PreventableEvent, url: string) => void): void;
  onWillAttachWebview(fn: (event: PreventableEvent) => void): void;
  setWindowOpenHandler(fn: (details: { url: string }) => { action: 'deny' }): void;
}

/** Blocks navigation away from the app, new windows and webviews, for every web contents. */
export function hardenContents(contents: WebContentsLike, appUrl: string, log: (m: string) => void): void {
  const block = (what: string) => (event: PreventableEvent, url: string) => {
    if (url === appUrl) return;
    event.preventDefault();
    log(`blocked ${what} to ${url.slice(0, 200)}`);
  };
  contents.onWillNavigate(block('navigation'));
  contents.onWillRedirect(block('a redirect'));
  contents.onWillAttachWebview((event) => event.preventDefault());
  contents.setWindowOpenHandler((details) => {
    log(`blocked a new window for ${details.url.slice(0, 200)}`);
    return { action: 'deny' };
  });
}
