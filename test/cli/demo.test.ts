import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ConceptsReport } from '../../native/demo/report';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

/** The fields of report.concepts every dataset has. */
function assertConceptFields(c: ConceptsReport): void {
  assert.ok(c, 'report.concepts');
  assert.ok(c.pcbm, 'report.concepts.pcbm');
  assert.equal(typeof c.embedding_layer, 'string');
  for (const key of ['accuracy', 'fidelity', 'model_accuracy', 'nonzero'] as const) {
    assert.equal(typeof c.pcbm[key], 'number', `pcbm.${key}`);
  }
  assert.ok(c.pcbm.accuracy >= 0 && c.pcbm.accuracy <= 1);
  assert.ok(Array.isArray(c.forget_class_top) && c.forget_class_top.length > 0);
  for (const row of c.forget_class_top) {
    assert.equal(typeof row.name, 'string');
    assert.equal(typeof row.importance, 'number');
    assert.equal(typeof row.specificity, 'number');
    assert.equal(typeof row.shared, 'boolean');
  }
  assert.ok(Array.isArray(c.selected));
  assert.ok(c.donor_class === null || typeof c.donor_class.index === 'number');
  assert.ok(c.ig_completeness_max >= 0 && c.ig_completeness_max < 0.05, `IG gap ${c.ig_completeness_max}`);
  assert.ok(c.cav_heldout.every((x) => x.accuracy >= 0.6 && x.accuracy <= 1));
  assert.ok(Array.isArray(c.dropped));
  assert.ok(Array.isArray(c.images));
}

describe('demo command', () => {
  it('writes report.json with every method and the documented fields', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-demo-'));
    const r = run(
      'demo',
      '--quick',
      '--limit-train',
      '1500',
      '--limit-test',
      '300',
      '--epochs',
      '1',
      '--forget',
      '2',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.dataset, 'mnist');
    assert.equal(report.sizes.train, 1500);
    assert.equal(report.forget_class, 2);
    assert.equal(report.backend, 'wasm');
    for (const key of [
      'test_acc',
      'forget_train_acc',
      'forget_test_acc',
      'retain_train_acc',
      'retain_test_acc',
      'seconds',
    ]) {
      assert.equal(typeof report.original[key], 'number', key);
    }
    assert.deepEqual(Object.keys(report.methods), [
      'retrain',
      'finetune',
      'gradient_ascent',
      'random_label',
      'salun',
      'concept_random',
      'concept_targeted',
    ]);
    for (const [name, m] of Object.entries<Record<string, number>>(report.methods)) {
      for (const key of [
        'forget_train_acc',
        'forget_test_acc',
        'retain_train_acc',
        'retain_test_acc',
        'mia_forget_rate',
      ]) {
        assert.ok(m[key] >= 0 && m[key] <= 1, `${name}.${key}=${m[key]}`);
      }
      assert.ok(m.seconds > 0);
      assert.ok(m.cpu_seconds > 0, `${name}.cpu_seconds`);
      // Verification beyond accuracy, for every method.
      assert.ok(m.probe_forget_acc >= 0 && m.probe_forget_acc <= 1, `${name}.probe_forget_acc`);
      // Zero epochs exactly when the class is still recognised (forget-test above the 50% threshold).
      if (m.forget_test_acc > 0.5) assert.equal(m.relearn_epochs, 0, name);
      else {
        assert.ok(
          m.relearn_epochs === null || (Number.isInteger(m.relearn_epochs) && m.relearn_epochs >= 1),
          `${name}.relearn_epochs=${m.relearn_epochs}`,
        );
      }
      assert.equal(typeof m.concept_residue, 'number', `${name}.concept_residue`);
    }
    // The original still knows the class: no relearning needed, residue 1 by definition.
    assert.equal(report.original.relearn_epochs, 0);
    assert.ok(Math.abs(report.original.concept_residue - 1) < 1e-9);
    assert.ok(report.original.probe_forget_acc > 0.5);
    assert.equal(report.seeds, undefined);
    assert.match(r.stdout, /relearn-epochs/);
    assert.equal(report.methods.retrain.avg_gap, 0);
    assert.equal(report.methods.retrain.forget_test_acc, 0);
    assert.match(r.stdout, /random_label/);
    // The concept stage: NMF discovery on MNIST, its PNGs listed in the report.
    const c = report.concepts;
    assertConceptFields(c);
    assert.equal(c.source, 'nmf-discovery');
    assert.equal(c.ground_truth_precision_at_k, undefined);
    assert.equal(c.cav_heldout.length + c.dropped.length, 10);
    assert.ok(
      [...c.cav_heldout, ...c.dropped].every((x: { name: string }) => /^nmf-([1-9]|10)$/.test(x.name)),
    );
    assert.equal(c.discovery.layer, 'conv2');
    assert.ok(
      c.images.filter((f: string) => /^concepts\/nmf-\d+\/(patch|map)-\d+\.png$/.test(f)).length >= 8,
    );
    for (const f of c.images) assert.ok(fs.existsSync(path.join(out, f)), f);
    assert.ok(fs.existsSync(path.join(out, 'concepts', 'concepts.json')));
    assert.match(r.stdout, /concepts of class 2 \('2'\), nmf-discovery/);
    // A second run reuses the cached original model.
    const again = run(
      'demo',
      '--limit-train',
      '1500',
      '--limit-test',
      '300',
      '--epochs',
      '1',
      '--forget',
      '2',
      '--methods',
      'finetune',
      '--out',
      out,
    );
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /loaded from/);
  });

  it("--seeds 2 runs two seeds and reports each metric's mean and std over them", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-demo-seeds-'));
    const r = run(
      'demo',
      '--limit-train',
      '800',
      '--limit-test',
      '200',
      '--epochs',
      '1',
      '--seeds',
      '2',
      '--seed',
      '5',
      '--methods',
      'retrain,concept_targeted',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.deepEqual(report.seeds.seeds, [5, 6]);
    assert.equal(report.seed, 5);
    const runs = report.seeds.runs as { seed: number; methods: Record<string, Record<string, number>> }[];
    assert.deepEqual(
      runs.map((x) => x.seed),
      [5, 6],
    );
    // Different seeds: different original models, so the metrics differ.
    assert.notDeepEqual(runs[0].methods.retrain, runs[1].methods.retrain);
    for (const name of ['retrain', 'concept_targeted']) {
      for (const key of ['retain_test_acc', 'forget_test_acc', 'mia_forget_rate', 'probe_forget_acc']) {
        const v = runs.map((x) => x.methods[name][key]);
        const mean = (v[0] + v[1]) / 2;
        const std = Math.abs(v[0] - v[1]) / Math.SQRT2;
        const s = report.seeds.summary.methods[name][key];
        assert.ok(Math.abs(s.mean - mean) < 1e-12, `${name}.${key} mean`);
        assert.ok(Math.abs(s.std - std) < 1e-12, `${name}.${key} std`);
        assert.equal(s.n, 2);
      }
    }
    // The second seed's concept images go to their own folder.
    assert.ok(fs.existsSync(path.join(out, 'seed-6', 'concepts', 'concepts.json')));
    assert.match(r.stdout, /mean ± std over seeds 5, 6/);
  });

  it('runs on shapes: ground-truth concepts with their precision in report.concepts', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-demo-shapes-'));
    const r = run(
      'demo',
      '--dataset',
      'shapes',
      '--quick',
      '--limit-train',
      '300',
      '--limit-test',
      '120',
      '--epochs',
      '2',
      '--methods',
      'finetune',
      '--forget',
      'magenta-triangle',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.dataset, 'shapes');
    assert.equal(report.forget_class, 4);
    assert.equal(report.forget_class_name, 'magenta-triangle');
    assert.deepEqual(report.sizes, { train: 300, test: 120, heldout: 30, forget_train: 50 });
    assert.equal(report.dataset_options.size, 24);
    assert.deepEqual(Object.keys(report.methods), ['finetune']);
    const c = report.concepts;
    assertConceptFields(c);
    assert.equal(c.source, 'ground-truth');
    assert.deepEqual(c.ground_truth_specific, ['shape:triangle', 'colour:magenta']);
    assert.ok(c.ground_truth_precision_at_k >= 0 && c.ground_truth_precision_at_k <= 1);
    assert.equal(c.cav_heldout.length + c.dropped.length, 19);
    assert.ok(c.images.length > 0);
    for (const f of c.images) assert.ok(fs.existsSync(path.join(out, f)), f);
    assert.match(r.stdout, /concepts of class 4 \('magenta-triangle'\), ground-truth/);
    assert.match(r.stdout, /precision@k/);
  });

  it('bad input exits 1 with a one-line error', () => {
    const cases: [string[], RegExp][] = [
      [
        ['demo', '--forget', '12', '--limit-train', '200', '--limit-test', '50'],
        /class index 12 is out of range/,
      ],
      [['demo', '--methods', 'magic', '--limit-train', '200'], /unknown method 'magic'/],
      [['demo', '--seed', 'x'], /--seed must be an integer/],
      [['demo', '--seeds', '0'], /--seeds must be a positive integer/],
      [['demo', '--arch', 'vgg'], /--arch must be one of cnn-ref, cnn-small, cnn-medium, got 'vgg'/],
      [['demo', '--dataset', 'foo'], /--dataset must be mnist or shapes, got 'foo'/],
      [['demo', '--dataset', 'shapes', '--forget', 'nope', '--limit-train', '60'], /unknown class 'nope'/],
      [['demo', '--frobnicate'], /Unknown option '--frobnicate'/],
      [['launch'], /unknown command 'launch'/],
    ];
    for (const [args, re] of cases) {
      const r = run(...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      assert.equal(errorLines.length, 1, r.stderr);
      assert.match(errorLines[0], re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
