import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { initBackend } from '../../native/engine/backend/select';
import { parseParentMessage, parseWorkerMessage } from '../../native/jobs/protocol';
import {
  RunEvents,
  type RunHandle,
  type WorkerChannel,
  relayWorker,
  startRun,
} from '../../native/jobs/runner';
import {
  currentCheckpointId,
  getCheckpoint,
  getRequest,
  getRun,
  listCheckpoints,
  listEvents,
  loadDataset,
  openProject,
  withProject,
} from '../../native/store';
import { loadCheckpointClassifier } from '../../native/store/modelCodec';
import { makeJobProject } from './fixture';

/** Resolves on the first progress message of `stage`. */
function firstProgress(h: RunHandle, stage: string): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    h.events.on('progress', (p) => {
      if (!done && p.stage === stage) {
        done = true;
        resolve();
      }
    });
  });
}

describe('job protocol', () => {
  it('accepts the documented messages and rejects anything else with a one-line reason', () => {
    assert.deepEqual(parseParentMessage({ type: 'start', projectPath: '/p', runId: 3 }), {
      type: 'start',
      projectPath: '/p',
      runId: 3,
    });
    assert.deepEqual(parseParentMessage({ type: 'cancel' }), { type: 'cancel' });
    const good = [
      { type: 'progress', stage: 'retrain', fraction: 0.5, metrics: { loss: 1.2 } },
      { type: 'progress', stage: 'load', fraction: 0 },
      { type: 'log', level: 'info', message: 'hi' },
      {
        type: 'result',
        runId: 1,
        outputCheckpointId: 2,
        metrics: { test_acc: 0.9, per_class_test_acc: [1, null] },
      },
      { type: 'error', message: 'no', kind: 'user' },
    ];
    for (const m of good) assert.deepEqual(parseWorkerMessage(m), m);
    const bad: [unknown, RegExp][] = [
      [{ type: 'start', projectPath: '/p', runId: -1 }, /invalid parent message 'start': runId/],
      [{ type: 'launch' }, /invalid parent message 'launch'/],
      [null, /invalid parent message/],
    ];
    for (const [m, re] of bad) assert.throws(() => parseParentMessage(m), re);
    assert.throws(() => parseWorkerMessage({ type: 'progress', stage: 'x', fraction: 2 }), /fraction/);
    assert.throws(() => parseWorkerMessage({ type: 'error', message: 'x', kind: 'oops' }), /kind/);
    assert.throws(() => parseWorkerMessage({ type: 'log', level: 'info' }), /message/);
  });
});

describe('worker relay', () => {
  it('passes progress and logs on, logs bad messages and output lines, hands the rest over', () => {
    let onMessage: (raw: unknown) => void = () => {};
    let onOutput: (stream: 'stdout' | 'stderr', line: string) => void = () => {};
    const channel: WorkerChannel = {
      pid: 1,
      send: () => {},
      onMessage: (fn) => {
        onMessage = fn;
      },
      onOutput: (fn) => {
        onOutput = fn;
      },
      onExit: () => {},
      kill: () => {},
    };
    const events = new RunEvents();
    const seen: string[] = [];
    events.on('progress', (m) => seen.push(`progress ${m.stage} ${m.fraction}`));
    events.on('log', (m) => seen.push(`log ${m.level} ${m.message.split(':')[0]}`));
    const others: string[] = [];
    relayWorker(channel, events, (m) => others.push(m.type));
    onMessage({ type: 'progress', stage: 'finetune', fraction: 0.5 });
    onMessage({ type: 'log', level: 'info', message: 'hello' });
    onMessage({ type: 'progress', fraction: 2 });
    onMessage({ type: 'error', kind: 'user', message: 'bad class' });
    onOutput('stderr', 'a warning from the backend');
    onOutput('stdout', 'plain');
    assert.equal(seen[0], 'progress finetune 0.5');
    assert.equal(seen[1], 'log info hello');
    assert.match(seen[2], /^log warn /, 'an invalid message becomes a warning');
    assert.deepEqual(seen.slice(3), ['log warn a warning from the backend', 'log info plain']);
    assert.deepEqual(others, ['error']);
  });
});

describe('job runner', () => {
  before(async () => {
    await initBackend();
  });

  it('a worker killed mid-run leaves the file intact, the run interrupted and the original untouched; a rerun succeeds', async () => {
    const fx = await makeJobProject('retrain');
    const handle = startRun({ projectPath: fx.file, runId: fx.runId });
    await withProject(fx.file, ({ db }) => assert.equal(getRun(db, fx.runId).status, 'running'));
    await firstProgress(handle, 'retrain');
    process.kill(handle.pid, 'SIGKILL');
    const outcome = await handle.promise;
    assert.equal(outcome.status, 'interrupted');
    assert.match(outcome.error ?? '', /killed by SIGKILL/);

    const raw = new Database(fx.file, { readonly: true });
    assert.deepEqual(raw.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    raw.close();
    await withProject(fx.file, async ({ db }) => {
      const run = getRun(db, fx.runId);
      assert.equal(run.status, 'interrupted');
      assert.equal(run.outputCheckpointId, null);
      assert.equal(listCheckpoints(db).length, 1);
      assert.equal(currentCheckpointId(db), fx.checkpointId);
      assert.equal(getRequest(db, fx.requestId).status, 'open');
      assert.deepEqual(
        listEvents(db, { runId: fx.runId }).map((e) => e.kind),
        ['run.created', 'run.started', 'run.interrupted'],
      );
      const { classifier } = await loadCheckpointClassifier(db, fx.checkpointId);
      assert.deepEqual(classifier.predictProbs(loadDataset(db, 1).test), fx.probsBefore);
      classifier.dispose();
    });

    const again = startRun({ projectPath: fx.file, runId: fx.runId });
    const done = await again.promise;
    assert.equal(done.status, 'succeeded', done.error ?? '');
    await withProject(fx.file, ({ db }) => {
      const run = getRun(db, fx.runId);
      assert.equal(run.attempts, 2);
      assert.ok(run.outputCheckpointId !== null);
      assert.equal(getCheckpoint(db, run.outputCheckpointId).parentId, fx.checkpointId);
      assert.equal(currentCheckpointId(db), run.outputCheckpointId);
      assert.equal(getRequest(db, fx.requestId).honouredByRunId, fx.runId);
      assert.equal(run.metrics?.forget_test_acc, 0, 'retrain never saw the class');
      assert.deepEqual(
        listEvents(db, { runId: fx.runId }).map((e) => e.kind),
        [
          'run.created',
          'run.started',
          'run.interrupted',
          'run.started',
          'checkpoint.created',
          'run.succeeded',
          'request.honoured',
          'checkpoint.current',
        ],
      );
    });
  });

  it('cancel stops the worker and records the run as cancelled; a running run cannot be started twice', async () => {
    const fx = await makeJobProject('retrain');
    const handle = startRun({ projectPath: fx.file, runId: fx.runId });
    assert.throws(() => startRun({ projectPath: fx.file, runId: fx.runId }), /run 1 is already running/);
    const errors: string[] = [];
    handle.events.on('error', (e) => errors.push(`${e.kind}: ${e.message}`));
    await firstProgress(handle, 'retrain');
    handle.cancel();
    const outcome = await handle.promise;
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.errorKind, 'cancelled');
    assert.deepEqual(errors, ['cancelled: cancelled']);
    await withProject(fx.file, ({ db }) => {
      assert.equal(listCheckpoints(db).length, 1);
      assert.equal(getRequest(db, fx.requestId).status, 'open');
    });
  });

  it('a reader in another process sees consistent snapshots while the worker writes', async () => {
    const fx = await makeJobProject('retrain');
    const reader = spawn(
      process.execPath,
      [path.join(__dirname, 'readerProcess.js'), fx.file, String(fx.runId), '60000'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    const ready = new Promise<void>((resolve) => {
      reader.stdout.setEncoding('utf8');
      reader.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('ready\n')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => reader.on('close', resolve));
    await ready;
    const handle = startRun({ projectPath: fx.file, runId: fx.runId });
    // The parent reads too while the worker runs.
    const parent = openProject(fx.file, { readonly: true });
    handle.events.on('progress', () => getRun(parent.db, fx.runId));
    const outcome = await handle.promise;
    parent.close();
    assert.equal(outcome.status, 'succeeded', outcome.error ?? '');
    assert.equal(await exited, 0);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as {
      iterations: number;
      sawBefore: boolean;
      sawAfter: boolean;
      errors: string[];
    };
    assert.deepEqual(summary.errors, []);
    assert.ok(summary.sawBefore && summary.sawAfter, JSON.stringify(summary));
    assert.ok(summary.iterations > 2, JSON.stringify(summary));
  });
});
