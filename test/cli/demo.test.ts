import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('demo command', () => {
  it('writes report.json with every method and the documented fields', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-demo-'));
    const r = run(
      'demo',
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
    }
    assert.equal(report.methods.retrain.avg_gap, 0);
    assert.equal(report.methods.retrain.forget_test_acc, 0);
    assert.match(r.stdout, /random_label/);
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

  it('bad input exits 1 with a one-line error', () => {
    const cases: [string[], RegExp][] = [
      [
        ['demo', '--forget', '12', '--limit-train', '200', '--limit-test', '50'],
        /class index 12 is out of range/,
      ],
      [['demo', '--methods', 'magic', '--limit-train', '200'], /unknown method 'magic'/],
      [['demo', '--seed', 'x'], /--seed must be an integer/],
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
