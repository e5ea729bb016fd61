/**
 * The local bridge: one Node HTTP server on the loopback interface that serves the built renderer and, on
 * /rpc, a WebSocket carrying the service's operations as JSON RPC (`{id, method, params}` →
 * `{id, ok, result | error}`) and its events as pushed messages (`{event}`). It is how the UI runs in an
 * ordinary browser (and how the end-to-end tests drive it) without Electron.
 *
 * Only this machine can talk to it: it listens on 127.0.0.1, answers only requests whose Host names the
 * loopback address (DNS rebinding), accepts WebSocket upgrades only from its own loopback origin (another
 * web site open in the same browser cannot connect), and serves files only from the renderer folder.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { CallEnvelope, ServiceEvent } from '../services/api';

/** What the bridge needs from the service layer. */
export interface BridgeService {
  callEnvelope(method: unknown, params: unknown): Promise<CallEnvelope>;
  onEvent(fn: (e: ServiceEvent) => void): () => void;
}

export interface BridgeOptions {
  service: BridgeService;
  /** The built renderer (index.html and assets/). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  log?: (line: string) => void;
}

export interface Bridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const RPC_PATH = '/rpc';
/** Largest accepted WebSocket message. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const RpcRequestSchema = z.strictObject({
  id: z.union([z.number().int(), z.string().max(100)]),
  method: z.string().max(100),
  params: z.unknown().optional(),
});

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The Content-Security-Policy of every page the bridge serves. */
export function bridgeCsp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Whether a Host header names this server on a loopback name. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host !== undefined && LOOPBACK_NAMES.some((n) => host.toLowerCase() === `${n}:${port}`);
}

/** Whether an Origin header is this server's own page. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return origin !== undefined && LOOPBACK_NAMES.some((n) => origin.toLowerCase() === `http://${n}:${port}`);
}

export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  return addr === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(addr);
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': bridgeCsp(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/** The file under `root` a URL path names, or null (outside the root, missing, not a file). */
export function resolveStatic(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const base = path.resolve(root);
  const file = path.resolve(base, rel);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  try {
    return fs.statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function refuse(socket: NodeJS.WritableStream & { destroy(): void }, status: string): void {
  try {
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  } finally {
    socket.destroy();
  }
}

export function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const log = opts.log ?? (() => undefined);
  let port = opts.port ?? 0;
  const sockets = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...securityHeaders(port), 'Content-Type': type });
      res.end(body);
    };
    if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(req.headers.host, port)) {
      return send(403, 'forbidden: this server answers only http://127.0.0.1 on this machine\n');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, port)) return send(403, 'forbidden origin\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(405, 'method not allowed\n');
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const file = resolveStatic(opts.staticDir, url.pathname);
    if (!file) return send(404, 'not found\n');
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { ...securityHeaders(port), 'Content-Type': type });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== RPC_PATH) return refuse(socket, '404 Not Found');
    if (
      !isLoopbackAddress(req.socket.remoteAddress) ||
      !isLoopbackHost(req.headers.host, port) ||
      !isAllowedOrigin(req.headers.origin, port)
    ) {
      log(`refused a WebSocket connection from origin ${req.headers.origin ?? '(none)'}`);
      return refuse(socket, '403 Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    const sendJson = (v: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(v));
    };
    const off = opts.service.onEvent((event) => sendJson({ event }));
    ws.on('close', () => {
      off();
      sockets.delete(ws);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (isBinary)
        return sendJson({
          id: null,
          ok: false,
          error: { message: 'binary messages are not accepted', kind: 'invalid' },
        });
      let raw: unknown;
      try {
        raw = JSON.parse(String(data));
      } catch {
        return sendJson({
          id: null,
          ok: false,
          error: { message: 'the message is not JSON', kind: 'invalid' },
        });
      }
      const req = RpcRequestSchema.safeParse(raw);
      if (!req.success) {
        const id = (raw as { id?: unknown } | null)?.id;
        return sendJson({
          id: typeof id === 'number' || typeof id === 'string' ? id : null,
          ok: false,
          error: { message: 'expected {id, method, params}', kind: 'invalid' },
        });
      }
      const { id, method, params } = req.data;
      opts.service.callEnvelope(method, params).then(
        (envelope) => sendJson({ id, ...envelope }),
        (e) => sendJson({ id, ok: false, error: { message: String(e), kind: 'internal' } }),
      );
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/`;
      log(`serving ${opts.staticDir} at ${url}`);
      resolve({
        url,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const ws of sockets) ws.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
