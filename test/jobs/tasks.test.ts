/**
 * Tasks of the job protocol (classes, verify, concepts) in real worker processes: their messages are
 * validated, their values arrive checked and equal the in-process computation, errors arrive as the right
 * kind, and a task can be cancelled or its worker killed.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { CancelledError, UserError } from '../../native/errors';
import { parseParentMessage, parseWorkerMessage } from '../../native/jobs/protocol';
import { forkWorker } from '../../native/jobs/runner';
import { startTask } from '../../native/jobs/taskRunner';
import { classList } from '../../native/jobs/tasks/classList';
import { withProject } from '../../native/store';
import { type JobFixture, makeJobProject } from './fixture';

describe('task messages', () => {
  it('accepts the three task kinds and refuses malformed tasks and outputs', () => {
    const tasks = [
      { kind: 'classes', checkpointId: 1 },
      { kind: 'verify' },
      { kind: 'verify', checkpointId: 2, forgetClass: 0 },
      { kind: 'concepts', checkpointId: 1, forgetClass: 3, rebuild: false, nmfConcepts: 8, seed: 1 },
    ];
    for (const task of tasks) {
      const m = { type: 'task', projectPath: '/p', task };
      assert.deepEqual(parseParentMessage(m), m);
    }
    assert.throws(
      () => parseParentMessage({ type: 'task', projectPath: '/p', task: { kind: 'train' } }),
      /invalid parent message 'task'/,
    );
    assert.throws(
      () =>
        parseParentMessage({ type: 'task', projectPath: '/p', task: { kind: 'classes', checkpointId: 0 } }),
      /checkpointId/,
    );
    const classes = { checkpointId: 1, datasetId: 1, testAcc: 0.5, classes: [] };
    assert.deepEqual(parseWorkerMessage({ type: 'output', output: { kind: 'classes', value: classes } }), {
      type: 'output',
      output: { kind: 'classes', value: classes },
    });
    assert.throws(
      () =>
        parseWorkerMessage({
          type: 'output',
          output: { kind: 'classes', value: { ...classes, testAcc: 2 } },
        }),
      /testAcc/,
    );
    assert.throws(
      () => parseWorkerMessage({ type: 'output', output: { kind: 'verify', value: classes } }),
      /invalid worker message 'output'/,
    );
  });
});

describe('tasks in worker processes', () => {
  let fx: JobFixture;
  before(async () => {
    await initBackend();
    fx = await makeJobProject();
  });

  it('computes the per-class accuracy in a worker, as in this process', async () => {
    const h = startTask({
      channel: forkWorker(),
      projectPath: fx.file,
      task: { kind: 'classes', checkpointId: fx.checkpointId },
    });
    const value = await h.promise;
    const here = await withProject(fx.file, ({ db }) => classList(db, fx.checkpointId));
    assert.deepEqual(value, here);
    assert.equal(value.classes.length, 4);
  });

  it('reports a user error as a UserError and an unknown checkpoint in one line', async () => {
    const h = startTask({
      channel: forkWorker(),
      projectPath: fx.file,
      task: { kind: 'verify', checkpointId: 42 },
    });
    await assert.rejects(
      h.promise,
      (e: Error) => e instanceof UserError && e.message === 'no checkpoint 42 in this project',
    );
    const c = startTask({
      channel: forkWorker(),
      projectPath: fx.file,
      task: {
        kind: 'concepts',
        checkpointId: fx.checkpointId,
        forgetClass: 9,
        rebuild: false,
        nmfConcepts: 4,
        seed: 1,
      },
    });
    await assert.rejects(
      c.promise,
      (e: Error) => e instanceof UserError && /class 9 is out of range/.test(e.message),
    );
  });

  it('cancels a task, and reports a worker that dies before answering', async () => {
    const task = {
      kind: 'concepts' as const,
      checkpointId: fx.checkpointId,
      forgetClass: 1,
      rebuild: true,
      nmfConcepts: 4,
      seed: 1,
    };
    const h = startTask({ channel: forkWorker(), projectPath: fx.file, task });
    h.cancel();
    await assert.rejects(h.promise, CancelledError);
    const k = startTask({ channel: forkWorker(), projectPath: fx.file, task });
    await new Promise<void>((resolve) => k.events.on('progress', () => resolve()));
    process.kill(k.pid, 'SIGKILL');
    await assert.rejects(k.promise, /was killed by SIGKILL before it answered the concepts task/);
  });
});
