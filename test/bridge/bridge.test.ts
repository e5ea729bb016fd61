/**
 * The local bridge: static files with security headers, loopback-only Host and Origin checks, the JSON RPC
 * over WebSocket and pushed events. The service behind it is a fake except in the last test.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  type Bridge,
  MAX_MESSAGE_BYTES,
  bridgeCsp,
  isAllowedOrigin,
  isLoopbackAddress,
  isLoopbackHost,
  startBridge,
} from '../../native/bridge/server';
import type { CallEnvelope, ServiceEvent } from '../../native/services/api';
import { StudioService } from '../../native/services/service';

function get(
  port: number,
  urlPath: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with it, or with the HTTP status that refused it. */
function connect(port: number, origin: string | undefined, wsPath = '/rpc'): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${wsPath}`, origin === undefined ? {} : { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => {
      if (!String(e.message).includes('Unexpected server response')) reject(e);
    });
  });
}

function rpc(ws: WebSocket, msg: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data));
      if (m.event) return;
      ws.off('message', onMessage);
      resolve(m);
    };
    ws.on('message', onMessage);
    ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  });
}

function fakeService() {
  const listeners = new Set<(e: ServiceEvent) => void>();
  const calls: unknown[] = [];
  return {
    listeners,
    calls,
    callEnvelope: async (method: unknown, params: unknown): Promise<CallEnvelope> => {
      calls.push([method, params]);
      if (method === 'fail') return { ok: false, error: { message: 'nope', kind: 'user' } };
      return { ok: true, result: { method, params } };
    },
    onEvent: (fn: (e: ServiceEvent) => void) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

describe('the bridge server', () => {
  let bridge: Bridge;
  let dir: string;
  const service = fakeService();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-bridge-'));
    fs.mkdirSync(path.join(dir, 'static', 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'static', 'index.html'), '<!doctype html><title>t</title>');
    fs.writeFileSync(path.join(dir, 'static', 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    bridge = await startBridge({ service, staticDir: path.join(dir, 'static'), port: 0 });
  });

  after(async () => {
    await bridge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only', () => {
    assert.match(bridge.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(
      isLoopbackAddress('127.0.0.1') && isLoopbackAddress('::1') && isLoopbackAddress('::ffff:127.0.0.1'),
    );
    assert.equal(isLoopbackAddress('192.168.1.2'), false);
    assert.equal(isLoopbackHost('evil.example:80', 80), false);
    assert.equal(isLoopbackHost('127.0.0.1:81', 80), false);
    assert.equal(isAllowedOrigin('http://127.0.0.1:80.evil.example', 80), false);
    assert.equal(isAllowedOrigin('https://127.0.0.1:80', 80), false);
  });

  it('serves the renderer with a strict CSP and security headers', async () => {
    const r = await get(bridge.port, '/');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.equal(r.headers['content-security-policy'], bridgeCsp(bridge.port));
    assert.match(bridgeCsp(bridge.port), /script-src 'self';/);
    assert.doesNotMatch(bridgeCsp(bridge.port), /unsafe/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    const js = await get(bridge.port, '/assets/app.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
  });

  it('serves nothing outside the renderer folder', async () => {
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/../../secret.txt',
      '/%00',
    ]) {
      const r = await get(bridge.port, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /secret/);
    }
    assert.equal((await get(bridge.port, '/missing.js')).status, 404);
  });

  it('refuses other hosts (DNS rebinding), other origins and other methods', async () => {
    const evilHost = await get(bridge.port, '/', { headers: { Host: `evil.example:${bridge.port}` } });
    assert.equal(evilHost.status, 403);
    const evilOrigin = await get(bridge.port, '/', { headers: { Origin: 'http://evil.example' } });
    assert.equal(evilOrigin.status, 403);
    const post = await get(bridge.port, '/', { method: 'POST' });
    assert.equal(post.status, 405);
    const local = await get(bridge.port, '/', { headers: { Host: `localhost:${bridge.port}` } });
    assert.equal(local.status, 200);
  });

  it('accepts WebSocket connections only from its own loopback origin', async () => {
    const port = bridge.port;
    assert.equal(await connect(port, 'http://evil.example'), 403);
    assert.equal(await connect(port, `http://evil.example:${port}`), 403);
    assert.equal(await connect(port, `http://192.168.1.10:${port}`), 403);
    assert.equal(await connect(port, undefined), 403, 'no Origin: not a page of this server');
    assert.equal(await connect(port, `http://127.0.0.1:${port}`, '/other'), 404);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const ws = await connect(port, origin);
      assert.ok(ws instanceof WebSocket, origin);
      ws.close();
    }
  });

  it('answers JSON RPC calls and refuses malformed messages', async () => {
    const ws = (await connect(bridge.port, `http://127.0.0.1:${bridge.port}`)) as WebSocket;
    try {
      assert.deepEqual(await rpc(ws, { id: 1, method: 'project.summary', params: {} }), {
        id: 1,
        ok: true,
        result: { method: 'project.summary', params: {} },
      });
      assert.deepEqual(await rpc(ws, { id: 'b', method: 'fail' }), {
        id: 'b',
        ok: false,
        error: { message: 'nope', kind: 'user' },
      });
      const notJson = await rpc(ws, '{not json');
      assert.deepEqual(notJson.error, { message: 'the message is not JSON', kind: 'invalid' });
      const noMethod = await rpc(ws, { id: 3, params: {} });
      assert.equal(noMethod.id, 3);
      assert.equal((noMethod.error as { kind: string }).kind, 'invalid');
      const extra = await rpc(ws, { id: 4, method: 'x', params: {}, admin: true });
      assert.equal((extra.error as { kind: string }).kind, 'invalid');
      const binary = await rpc(ws, Buffer.from([1, 2, 3]));
      assert.equal((binary.error as { kind: string }).kind, 'invalid');
      assert.equal(service.calls.length, 2, 'only the well-formed calls reached the service');
    } finally {
      ws.close();
    }
  });

  it('closes a connection that sends an oversized message', async () => {
    const ws = (await connect(bridge.port, `http://127.0.0.1:${bridge.port}`)) as WebSocket;
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(JSON.stringify({ id: 1, method: 'x', params: { big: 'x'.repeat(MAX_MESSAGE_BYTES + 10) } }));
    assert.equal(await closed, 1009);
  });

  it('pushes service events to every connected page', async () => {
    const origin = `http://127.0.0.1:${bridge.port}`;
    const a = (await connect(bridge.port, origin)) as WebSocket;
    const b = (await connect(bridge.port, origin)) as WebSocket;
    const got = (ws: WebSocket) =>
      new Promise<unknown>((r) => ws.once('message', (d) => r(JSON.parse(String(d)))));
    const pa = got(a);
    const pb = got(b);
    const ev: ServiceEvent = { type: 'log', jobId: 'j', level: 'info', message: 'hello' };
    for (const fn of service.listeners) fn(ev);
    assert.deepEqual(await pa, { event: ev });
    assert.deepEqual(await pb, { event: ev });
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(service.listeners.size, 0, 'closed pages stop listening');
  });
});

describe('the bridge over the real service', () => {
  it('validates every call and reports user errors in one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-bridge-svc-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '');
    const service = new StudioService();
    const bridge = await startBridge({ service, staticDir: dir, port: 0 });
    const ws = (await connect(bridge.port, `http://localhost:${bridge.port}`)) as WebSocket;
    try {
      assert.deepEqual(await rpc(ws, { id: 1, method: 'project.summary', params: {} }), {
        id: 1,
        ok: true,
        result: null,
      });
      const noProject = await rpc(ws, { id: 2, method: 'classes.list', params: {} });
      assert.equal((noProject.error as { kind: string }).kind, 'no-project');
      const bad = await rpc(ws, { id: 3, method: 'project.open', params: { path: 42 } });
      assert.equal((bad.error as { kind: string }).kind, 'invalid');
      const unknown = await rpc(ws, { id: 4, method: 'fs.readFile', params: { path: '/etc/passwd' } });
      assert.deepEqual(unknown.error, { message: "unknown operation 'fs.readFile'", kind: 'invalid' });
      const missing = await rpc(ws, {
        id: 5,
        method: 'project.open',
        params: { path: path.join(dir, 'no.unlearn') },
      });
      assert.equal((missing.error as { kind: string }).kind, 'user');
      assert.match((missing.error as { message: string }).message, /^project file not found: /);
      const created = await rpc(ws, {
        id: 6,
        method: 'project.create',
        params: { path: path.join(dir, 'p.unlearn') },
      });
      assert.equal(created.ok, true);
      assert.equal((created.result as { file: string }).file, path.join(dir, 'p.unlearn'));
    } finally {
      ws.close();
      await bridge.close();
      await service.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
