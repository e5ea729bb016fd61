/**
 * The service layer over a real project with real worker processes (a 4-class 8x8 dataset, so that every
 * job takes seconds): training with progress, per-class accuracy, a run with a retrain for comparison,
 * the verdict, verification, certificate, export, rollback; cancellation; one job at a time; validation.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type {
  ChartPoint,
  ClassList,
  HistoryView,
  JobSnapshot,
  ProjectSummary,
  RunDetail,
  SavedFiles,
  ServiceEvent,
  VerifyReport,
} from '../../native/services/api';
import { verdictFor } from '../../native/services/guide';
import { StudioService } from '../../native/services/service';
import { createProject, getRun, openProject, saveDataset } from '../../native/store';
import { allMethods } from '../../native/unlearning/registry';
import { barsDataset } from '../helpers/tinyData';

async function failure(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { kind: (e as { kind?: string }).kind ?? (e as Error).name, message: (e as Error).message };
  }
  assert.fail('expected the call to fail');
}

describe('the service layer', () => {
  let dir: string;
  let file: string;
  const service = new StudioService({ cancelGraceMs: 5000 });
  const events: ServiceEvent[] = [];
  service.onEvent((e) => events.push(e));

  const call = <T>(method: string, params: unknown = {}) => service.call(method, params) as Promise<T>;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-service-'));
    file = path.join(dir, 'bars.unlearn');
    const p = createProject(file);
    saveDataset(p.db, barsDataset(4, 3), { kind: 'bars' });
    p.close();
  });

  after(async () => {
    await service.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('needs a project first, and validates every call', async () => {
    assert.equal(await call('project.summary'), null);
    assert.equal((await failure(call('classes.list'))).kind, 'no-project');
    for (const [m, p] of [
      ['project.open', {}],
      ['project.open', { path: '' }],
      ['train.start', { arch: 'cnn-ref', epochs: 0 }],
      ['train.start', { arch: 'cnn-ref', epochs: 1.5 }],
      ['dataset.import', { source: { kind: 'mnist', limit: 5 } }],
      ['run.start', { requestId: 1, method: 'random_label', options: { lr: [1] } }],
      ['nope', {}],
    ] as const) {
      assert.equal((await failure(call(m, p))).kind, 'invalid', `${m} ${JSON.stringify(p)}`);
    }
  });

  it('opens the project and lists the methods of the registry', async () => {
    const s = await call<ProjectSummary>('project.open', { path: file });
    assert.equal(s.file, file);
    assert.equal(s.datasets.length, 1);
    assert.equal(s.currentCheckpoint, null);
    const catalog = await call<{ methods: { name: string; family: string; explanation: string }[] }>(
      'catalog.get',
    );
    assert.deepEqual(
      catalog.methods.map((m) => m.name).sort(),
      allMethods()
        .map((m) => m.name)
        .sort(),
    );
    assert.equal(catalog.methods[0].name, 'random_label', 'the recommended method comes first');
    assert.equal(catalog.methods.find((m) => m.name === 'retrain')?.family, 'reference');
    for (const m of catalog.methods) assert.ok(m.explanation.length > 20, m.name);
  });

  it('previews the dataset as PNG thumbnails per class', async () => {
    const pv = await call<{ classes: { name: string; trainCount: number; thumbnails: string[] }[] }>(
      'dataset.preview',
      { perClass: 3 },
    );
    assert.deepEqual(
      pv.classes.map((c) => [c.name, c.trainCount, c.thumbnails.length]),
      [
        ['bar0', 100, 3],
        ['bar1', 100, 3],
        ['bar2', 100, 3],
        ['bar3', 100, 3],
      ],
    );
    const png = Buffer.from(pv.classes[2].thumbnails[0].replace(/^data:image\/png;base64,/, ''), 'base64');
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 8, 8, 1]);
    // Class 2 is a bright bar in row 2.
    const raw = await sharp(png).toColourspace('b-w').raw().toBuffer();
    assert.ok(raw[2 * 8 + 3] >= 200 && raw[5 * 8 + 3] < 60);
  });

  it('trains in a worker, with loss and accuracy points, and the model becomes current', async () => {
    assert.equal((await failure(call('train.start', { arch: 'resnet-9000', epochs: 1 }))).kind, 'invalid');
    const job = await call<JobSnapshot>('train.start', { arch: 'cnn-ref', epochs: 2, seed: 3 });
    assert.equal(job.kind, 'train');
    assert.equal((await failure(call('train.start', { arch: 'cnn-ref', epochs: 1 }))).kind, 'busy');
    const done = await service.jobs.wait(job.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.checkpointId, 1);
    const points = events
      .filter((e): e is Extract<ServiceEvent, { type: 'job' }> => e.type === 'job' && e.job.id === job.id)
      .map((e) => e.point)
      .filter((p): p is ChartPoint => p !== undefined);
    assert.ok(points.some((p) => p.loss !== undefined));
    assert.ok(points.some((p) => p.accuracy !== undefined));
    assert.ok(points.every((p, i) => i === 0 || p.t >= points[i - 1].t));
    const s = await call<ProjectSummary>('project.summary');
    assert.equal(s.currentCheckpoint?.id, 1);
    assert.equal(s.currentCheckpoint?.kind, 'trained');
    assert.equal((s.currentCheckpoint?.metadata.perClassTestAcc as unknown[]).length, 4);
  });

  it('lists the classes with the current model’s per-class accuracy and confusions', async () => {
    const cl = await call<ClassList>('classes.list');
    assert.equal(cl.checkpointId, 1);
    assert.equal(cl.classes.length, 4);
    for (const c of cl.classes) {
      assert.equal(c.testCount, 30);
      assert.ok(c.testAcc !== null && c.testAcc >= 0 && c.testAcc <= 1);
      assert.ok(c.confusions.every((x) => x.index !== c.index && x.fraction > 0));
      assert.match(c.thumbnail ?? '', /^data:image\/png;base64,/);
    }
    assert.ok(cl.testAcc > 0.5, `the bars are easy (test accuracy ${cl.testAcc})`);
  });

  it('runs an unlearning method and a retrain for comparison, then verifies, certifies and exports', async () => {
    assert.equal((await failure(call('request.create', { classIndex: 4 }))).kind, 'UserError');
    const req = await call<{ id: number; className: string }>('request.create', {
      classIndex: 1,
      requester: 'Ada',
    });
    assert.equal(req.className, 'bar1');
    assert.match(
      (await failure(call('run.start', { requestId: req.id, method: 'random_label', options: { nope: 1 } })))
        .message,
      /has no option 'nope'/,
    );
    const job = await call<JobSnapshot>('run.start', {
      requestId: req.id,
      method: 'random_label',
      options: { epochs: 2 },
      compareWithRetrain: true,
    });
    const done = await service.jobs.wait(job.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.runIds.length, 2);
    assert.deepEqual(done.phases, ['unlearn', 'retrain']);
    for (const stage of [
      'unlearn:load',
      'unlearn:evaluate-input',
      'unlearn:evaluate-output',
      'retrain:retrain',
    ]) {
      assert.ok(done.stagesSeen.includes(stage), stage);
    }
    const [runId, retrainId] = done.runIds;
    const detail = await call<RunDetail>('run.get', { runId });
    assert.equal(detail.run.status, 'succeeded');
    assert.equal(detail.run.parameters.epochs, 2);
    assert.equal(detail.retrain?.id, retrainId);
    assert.equal(detail.isCurrent, true);
    assert.ok(detail.verdict);
    assert.equal(detail.verdict.miaMatchesRetrain === null, false);

    const report = await call<VerifyReport>('verify.checkpoint');
    assert.equal(report.ok, true);
    assert.equal(report.checkpointId, detail.run.outputCheckpointId);
    assert.deepEqual(
      report.comparisons.map((c) => [c.runId, c.as, c.matches]),
      [[runId, 'output', true]],
    );

    const cert = await call<{ html: string; json: { run: { id: number } } }>('certificate.get', { runId });
    assert.match(cert.html, /Ada/);
    assert.equal(cert.json.run.id, runId);
    const saved = await call<SavedFiles>('certificate.save', { runId });
    assert.equal(saved.dir, path.join(dir, 'bars-exports'));
    assert.ok(saved.files.every((f) => fs.existsSync(f)));
    const exported = await call<SavedFiles>('model.export', { dir: path.join(dir, 'model') });
    const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model', 'model.json'), 'utf8'));
    assert.equal(modelJson.userDefinedMetadata.unlearnStudio.checkpointId, detail.run.outputCheckpointId);
    assert.equal(exported.files.length, 2);

    const rb = await call<{ from: number; to: number; undoesRequests: { id: number }[] }>('rollback', {
      checkpointId: 1,
    });
    assert.deepEqual(
      [rb.from, rb.to, rb.undoesRequests.map((r) => r.id)],
      [detail.run.outputCheckpointId, 1, [req.id]],
    );
    const h = await call<HistoryView>('history.get');
    assert.equal(h.currentCheckpointId, 1);
    assert.equal(h.auditTrail.ok, true);
    assert.ok(h.events.some((e) => e.kind === 'checkpoint.rollback'));
  });

  it('cancels a run in the middle: the run ends cancelled and the model in service is unchanged', async () => {
    const req = await call<{ id: number }>('request.create', { classIndex: 2 });
    const job = await call<JobSnapshot>('run.start', {
      requestId: req.id,
      method: 'finetune',
      options: { epochs: 400 },
    });
    await new Promise<void>((resolve) => {
      const off = service.onEvent((e) => {
        if (e.type === 'job' && e.job.id === job.id && e.job.stage === 'finetune') {
          off();
          resolve();
        }
      });
    });
    assert.equal((await failure(call('rollback', { checkpointId: 2 }))).kind, 'busy');
    const cancelling = await call<JobSnapshot>('job.cancel', { jobId: job.id });
    assert.equal(cancelling.cancelRequested, true);
    const done = await service.jobs.wait(job.id);
    assert.equal(done.status, 'cancelled');
    const p = openProject(file, { readonly: true });
    try {
      assert.equal(getRun(p.db, done.runIds[0]).status, 'cancelled');
    } finally {
      p.close();
    }
    const s = await call<ProjectSummary>('project.summary');
    assert.equal(s.currentCheckpoint?.id, 1);
    assert.equal(s.activeJob, null);
  });

  it('cancels training: nothing is stored', async () => {
    const before = (await call<HistoryView>('history.get')).checkpoints.length;
    const job = await call<JobSnapshot>('train.start', { arch: 'cnn-ref', epochs: 200 });
    await new Promise<void>((resolve) => {
      const off = service.onEvent((e) => {
        if (e.type === 'job' && e.job.id === job.id && e.point?.loss !== undefined) {
          off();
          resolve();
        }
      });
    });
    await call('job.cancel', { jobId: job.id });
    const done = await service.jobs.wait(job.id);
    assert.equal(done.status, 'cancelled');
    assert.equal((await call<HistoryView>('history.get')).checkpoints.length, before);
  });
});

describe('the verdict', () => {
  const m = (forget: number, retain: number, mia: number) => ({
    test_acc: null,
    forget_train_acc: forget,
    forget_test_acc: forget,
    retain_train_acc: retain,
    retain_test_acc: retain,
    mia_forget_rate: mia,
    mia_attack_acc: null,
    per_class_test_acc: [],
  });

  it('passes a forgotten class with the others kept and a membership test like the retrained model', () => {
    const v = verdictFor(m(0, 0.97, 0.9), m(0.98, 0.98, 0.2), m(0, 0.98, 0.85), '3');
    assert.equal(v.level, 'pass');
    assert.equal(v.lines.length, 3);
  });

  it('warns when the others lost accuracy or the membership test differs, fails when not forgotten', () => {
    assert.equal(verdictFor(m(0, 0.8, 0.9), m(0.98, 0.98, 0.2), null, '3').level, 'warn');
    assert.equal(verdictFor(m(0, 0.97, 0.3), m(0.98, 0.98, 0.2), m(0, 0.98, 0.9), '3').level, 'warn');
    assert.equal(verdictFor(m(0.5, 0.97, 0.9), m(0.98, 0.98, 0.2), null, '3').level, 'fail');
    assert.equal(verdictFor(m(0, 0.97, 0.9), m(0.98, 0.98, 0.2), null, '3').miaMatchesRetrain, null);
  });
});
