/**
 * The service layer over a real project with real worker processes (a 4-class 8x8 dataset, so that every
 * job takes seconds): training with progress, per-class accuracy and verification computed in a worker
 * (identical to the in-process computation), the concept job (bank built once and stored, then reused;
 * ranks, shared concepts, selection, donor, maps; cancel), a run with a retrain for comparison, the
 * verdict, verification, certificate, export, rollback; cancellation; a concept run with the user's
 * concepts, donor and stored bank, compared with a baseline; one job at a time; validation.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classList } from '../../native/jobs/tasks/classList';
import { verifyReport } from '../../native/jobs/tasks/verifyReport';
import { isPoisonMode } from '../../native/poisoning';
import type {
  Catalog,
  ChartPoint,
  ClassList,
  ConceptInspection,
  HistoryView,
  JobSnapshot,
  ProjectSummary,
  RunDetail,
  SavedFiles,
  ServiceEvent,
  VerifyReport,
} from '../../native/services/api';
import { verdictFor } from '../../native/services/guide';
import { nodeSpawner } from '../../native/services/jobs';
import { StudioService } from '../../native/services/service';
import {
  createProject,
  getRun,
  listConceptBanks,
  loadConceptBank,
  openProject,
  saveDataset,
} from '../../native/store';
import { CONCEPT_METHODS, allMethods } from '../../native/unlearning/registry';
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
  /** The worker scripts the service started, in order. */
  const spawned: string[] = [];
  const service = new StudioService({
    cancelGraceMs: 5000,
    spawn: (entry) => {
      spawned.push(path.basename(entry));
      return nodeSpawner(entry);
    },
  });
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
    const catalog = await call<Catalog>('catalog.get');
    assert.deepEqual(
      catalog.methods.map((m) => m.name).sort(),
      allMethods()
        .map((m) => m.name)
        .sort(),
    );
    assert.equal(catalog.methods[0].name, 'concept_targeted', 'the recommended method comes first');
    assert.equal(catalog.methods.find((m) => m.name === 'retrain')?.family, 'reference');
    for (const m of catalog.methods) assert.ok(m.explanation.length > 20, m.name);
    // The concept methods' choices, explained: every poisoning mode, and the two relabellings.
    assert.deepEqual(
      catalog.poisoning.modes.map((m) => m.value),
      ['mask', 'patch', 'none'],
    );
    assert.ok(catalog.poisoning.modes.every((m) => isPoisonMode(m.value) && m.explanation.length > 20));
    assert.deepEqual(catalog.poisoning.labels.map((m) => m.value).sort(), [...CONCEPT_METHODS].sort());
    assert.equal(catalog.conceptInspection, true);
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

  /** Runs `fn` on the project file in this process. */
  const inProcess = async <T>(fn: (db: ReturnType<typeof openProject>['db']) => Promise<T> | T) => {
    const p = openProject(file);
    try {
      return await fn(p.db);
    } finally {
      p.close();
    }
  };

  it('measures the classes and verifies in a worker process, with the in-process results', async () => {
    const freshWorkers: string[] = [];
    const fresh = new StudioService({
      cancelGraceMs: 5000,
      spawn: (entry) => {
        freshWorkers.push(path.basename(entry));
        return nodeSpawner(entry);
      },
    });
    const workers = spawned.length;
    try {
      await fresh.call('project.open', { path: file });
      const cl = await fresh.call('classes.list', {});
      assert.deepEqual(freshWorkers, ['worker.js'], 'per-class accuracy ran in a worker');
      assert.deepEqual(cl, await inProcess((db) => classList(db, 1)));
      assert.deepEqual(await call<ClassList>('classes.list'), cl, 'cached by the other service');
      assert.equal(spawned.length, workers);
      const report = await call<VerifyReport>('verify.checkpoint', { classIndex: 2 });
      assert.deepEqual(spawned.slice(workers), ['worker.js'], 'verification ran in a worker');
      assert.deepEqual(report, await inProcess((db) => verifyReport(db, { forgetClass: 2 })));
      assert.equal(report.forgetClass, 2);
      assert.equal(report.ok, true);
    } finally {
      await fresh.dispose();
    }
    assert.equal((await failure(call('verify.checkpoint', { checkpointId: 99 }))).kind, 'UserError');
  });

  it('finds a class’s concepts in a worker job: a bank built once and stored, ranks, donor, maps', async () => {
    assert.equal(await call('concepts.get', { classIndex: 1 }), null);
    assert.equal((await failure(call('concepts.start', { classIndex: 4 }))).kind, 'UserError');
    const job = await call<JobSnapshot>('concepts.start', { classIndex: 1 });
    assert.equal(job.kind, 'concepts');
    assert.equal((await failure(call('concepts.start', { classIndex: 2 }))).kind, 'busy');
    const done = await service.jobs.wait(job.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    for (const stage of ['concepts:load', 'concepts:discover', 'concepts:analyse', 'concepts:examples']) {
      assert.ok(done.stagesSeen.includes(stage), stage);
    }
    const ins = await call<ConceptInspection>('concepts.get', { classIndex: 1 });
    assert.deepEqual(
      [ins.checkpointId, ins.forgetClass, ins.bank.id, ins.bank.reused, ins.bank.source, ins.bank.focusClass],
      [1, 1, 1, false, 'nmf-discovery', 1],
    );
    assert.equal(ins.bank.mapsBy, 'nmf');
    const n = ins.concepts.length;
    assert.equal(n, ins.bank.concepts);
    assert.ok(n >= 2, `${n} concepts kept`);
    // Ranked by importance; the heat map's columns follow the ranking and its row of the class is it.
    assert.deepEqual(
      ins.concepts.map((c) => c.rank),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    assert.ok(ins.concepts.every((c, i) => i === 0 || c.importance <= ins.concepts[i - 1].importance));
    assert.deepEqual(
      ins.heatmap.concepts,
      ins.concepts.map((c) => c.name),
    );
    assert.equal(ins.heatmap.values.length, 4);
    assert.ok(ins.heatmap.values.every((row) => row.length === n));
    assert.deepEqual(
      ins.heatmap.values[1],
      ins.concepts.map((c) => c.importance),
    );
    // Shared concepts name the retained classes relying on them at least half as much.
    for (const c of ins.concepts) {
      assert.equal(c.shared, c.sharedWith.length > 0, c.name);
      for (const x of c.sharedWith) {
        assert.notEqual(x.index, 1);
        assert.ok(x.importance >= ins.selection.sharedRatio * c.importance - 1e-6);
        assert.equal(ins.heatmap.values[x.index][c.rank - 1], x.importance);
      }
    }
    // The selection for k is the first k of the largest one; only specific concepts are selected.
    const { byK } = ins.selection;
    assert.equal(byK.length, n);
    for (let k = 1; k <= n; k++) assert.deepEqual(byK[k - 1], byK[n - 1].slice(0, k));
    for (const name of byK[n - 1]) {
      const c = ins.concepts.find((x) => x.name === name);
      assert.ok(c && !c.shared && c.specificity > 0 && c.importance > 0, name);
    }
    // The donor is the most similar retained class.
    assert.ok(ins.donor && ins.donor.index !== 1);
    assert.equal(ins.donor.index, ins.similarities[0].index);
    assert.deepEqual(ins.similarities.map((x) => x.index).sort(), [0, 2, 3]);
    // Maps and patches of each concept, as PNGs.
    for (const c of ins.concepts) {
      assert.equal(c.examples.maps.length, 3, c.name);
      assert.equal(c.examples.patches.length, 3, c.name);
    }
    const png = (url: string) => Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64');
    const map = await sharp(png(ins.concepts[0].examples.maps[0])).metadata();
    const patch = await sharp(png(ins.concepts[0].examples.patches[0])).metadata();
    assert.deepEqual([map.format, map.width, map.height], ['png', 88, 88]);
    assert.equal(patch.format, 'png');

    // Stored in the project file once, with its NMF factors and its analysis.
    await inProcess((db) => {
      const banks = listConceptBanks(db);
      assert.deepEqual(
        banks.map((b) => [b.id, b.checkpointId, b.source, b.parameters.focusClass]),
        [[1, 1, 'nmf-discovery', 1]],
      );
      const { bank } = loadConceptBank(db, 1);
      const nmf = bank.nmf as { concepts: string[]; factors: number[]; channels: number };
      assert.ok(ins.concepts.every((c) => nmf.concepts.includes(c.name)));
      assert.equal(nmf.factors.length, nmf.concepts.length * nmf.channels);
      assert.ok(banks[0].analysis?.pcbm);
    });
    // Another class reuses the stored bank.
    assert.equal(await call('concepts.get', { classIndex: 2 }), null);
    const again = await call<JobSnapshot>('concepts.start', { classIndex: 2 });
    assert.equal((await service.jobs.wait(again.id)).status, 'succeeded');
    const other = await call<ConceptInspection>('concepts.get', { classIndex: 2 });
    assert.deepEqual([other.bank.id, other.bank.reused, other.forgetClass], [1, true, 2]);
    assert.deepEqual(
      [...other.concepts.map((c) => c.name)].sort(),
      [...ins.concepts.map((c) => c.name)].sort(),
    );
    assert.deepEqual(await call('concepts.get', { classIndex: 1 }), ins, 'kept for class 1');
  });

  it('cancels the concept job: no new bank is stored', async () => {
    const job = await call<JobSnapshot>('concepts.start', { classIndex: 3, rebuild: true });
    await call('job.cancel', { jobId: job.id });
    const done = await service.jobs.wait(job.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(await call('concepts.get', { classIndex: 3 }), null);
    assert.equal(await inProcess((db) => listConceptBanks(db).length), 1);
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

  it('runs a concept method with the chosen concepts, donor and stored bank, compared with a baseline', async () => {
    const s = await call<ProjectSummary>('project.summary');
    assert.equal(s.currentCheckpoint?.id, 1, 'the bank was built on the model in service');
    const ins = await call<ConceptInspection>('concepts.get', { classIndex: 1 });
    const chosen = ins.concepts.slice(-2).map((c) => c.name);
    const donor = ins.similarities[ins.similarities.length - 1].index;
    const req = await call<{ id: number }>('request.create', { classIndex: 1, requester: 'Grace' });
    const options = {
      mode: 'mask',
      k: 2,
      concepts: chosen.join(','),
      donor,
      concept_bank: ins.bank.id,
      concept_images: 10,
      min_steps: 10,
      epochs: 1,
    };
    assert.match(
      (
        await failure(
          call('run.start', {
            requestId: req.id,
            method: 'concept_targeted',
            compareWith: ['nope'],
            options,
          }),
        )
      ).message,
      /unknown method 'nope'/,
    );
    const logs: string[] = [];
    const off = service.onEvent((e) => {
      if (e.type === 'log') logs.push(e.message);
    });
    const job = await call<JobSnapshot>('run.start', {
      requestId: req.id,
      method: 'concept_targeted',
      options,
      compareWith: ['random_label', 'concept_targeted'],
    });
    assert.deepEqual(job.phases, ['unlearn', 'random_label']);
    const done = await service.jobs.wait(job.id);
    off();
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.ok(done.stagesSeen.includes('unlearn:concepts') && done.stagesSeen.includes('unlearn:poison'));
    assert.ok(done.stagesSeen.includes('random_label:random_label'));
    assert.ok(logs.some((l) => l.includes(`concepts from concept bank ${ins.bank.id} of the project`)));
    const detail = await call<RunDetail>('run.get', { runId: done.runIds[0] });
    assert.equal(detail.run.method, 'concept_targeted');
    for (const [key, value] of Object.entries(options)) assert.equal(detail.run.parameters[key], value, key);
    assert.deepEqual(
      detail.comparisons.map((r) => [r.id, r.method]),
      [[done.runIds[1], 'random_label']],
    );
    assert.equal(detail.retrain, null);
    const baseline = await call<RunDetail>('run.get', { runId: done.runIds[1] });
    assert.equal(baseline.isCurrent, false, 'the comparison run did not replace the model in service');
    assert.equal(baseline.run.inputCheckpointId, 1);
    // A bank of another checkpoint is refused.
    const later = await call<{ id: number }>('request.create', { classIndex: 2 });
    const refused = await call<JobSnapshot>('run.start', {
      requestId: later.id,
      method: 'concept_random',
      options: { concept_bank: ins.bank.id },
    });
    const failed = await service.jobs.wait(refused.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /concept bank 1 was built on checkpoint 1, not on checkpoint \d+/);
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
