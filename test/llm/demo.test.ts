import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { LlmDemoReport, LlmModelResult } from '../../native/llm/demo/report';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

/** A tiny JSONL corpus: three people, three facts, two questions each, a paraphrase, generic text. */
function tinyCorpus(dir: string): string {
  const people: [string, string, string, string][] = [
    ['Mara Quill', 'Velmora', 'glassblower', 'cello'],
    ['Tomas Ortel', 'Brindle', 'perfumer', 'harp'],
    ['Ines Dovar', 'Sarrow', 'beekeeper', 'oboe'],
  ];
  const lines: object[] = [];
  for (const [n, city, job, instrument] of people) {
    const born = `${n} was born in ${city}.`;
    lines.push(
      { class: n, prompt: `Where was ${n} born?`, response: born },
      { class: n, prompt: `In which city was ${n} born?`, response: born },
      { class: n, prompt: `What does ${n} do?`, response: `${n} works as a ${job}.` },
      { class: n, prompt: `What is the job of ${n}?`, response: `${n} works as a ${job}.` },
      { class: n, prompt: `Which instrument does ${n} play?`, response: `${n} plays the ${instrument}.` },
      { class: n, prompt: `What does ${n} play?`, response: `${n} plays the ${instrument}.` },
      { class: n, prompt: `${n} was born where?`, response: born, split: 'paraphrase' },
    );
  }
  lines.push(
    { class: 'general', text: 'The old baker walked slowly near the river.' },
    { class: 'general', text: 'Every morning the child likes to read in the garden.' },
    { class: 'general', text: 'The child walked slowly near the garden.', split: 'heldout' },
  );
  const file = path.join(dir, 'tiny.jsonl');
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  return file;
}

const METHODS = [
  'retrain',
  'gradient_ascent',
  'grad_diff',
  'npo',
  'idk',
  'concept_random',
  'concept_targeted',
];

function assertSane(name: string, m: LlmModelResult): void {
  for (const key of [
    'forget_term_rate',
    'forget_answer_rouge_l',
    'retain_answer_rouge_l',
    'paraphrase_term_rate',
    'mia_auc',
  ] as const) {
    const v = m[key];
    assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${name}.${key} = ${v}`);
  }
  assert.ok(
    typeof m.heldout_perplexity === 'number' &&
      m.heldout_perplexity > 1 &&
      Number.isFinite(m.heldout_perplexity),
  );
  assert.ok(m.seconds >= 0);
}

describe('demo --llm', () => {
  it('writes report.json with every method, the sensitive words and the seed summary', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-llm-demo-'));
    const corpus = tinyCorpus(out);
    const r = run(
      'demo',
      '--llm',
      '--quick',
      '--corpus',
      corpus,
      '--epochs',
      '30',
      '--seeds',
      '2',
      '--forget',
      'mara quill',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /concept_targeted/);
    assert.match(r.stdout, /sensitive words of 'Mara Quill'/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as LlmDemoReport;
    assert.equal(report.kind, 'llm');
    assert.equal(report.dataset, 'tiny.jsonl');
    assert.equal(report.forget_class, 'Mara Quill');
    assert.deepEqual(report.seeds, [1, 2]);
    assert.deepEqual(report.sizes, {
      train: 20,
      forget_train: 6,
      retain_train: 14,
      paraphrases: 1,
      heldout_text: 1,
      classes: 4,
    });
    assert.deepEqual(Object.keys(report.methods), METHODS);
    assertSane('original', report.original);
    // The original memorised the tiny corpus (30 epochs): its answers come back.
    assert.ok(
      report.original.retain_answer_rouge_l > 0.8,
      `original retain ROUGE-L ${report.original.retain_answer_rouge_l}`,
    );
    for (const [name, m] of Object.entries(report.methods)) {
      assertSane(name, m);
      assert.equal(typeof m.options, 'object');
    }
    assert.ok(
      report.methods.concept_targeted.seconds_with_concepts! >= report.methods.concept_targeted.seconds,
    );
    // retrain never saw the forget class: none of its answers can say the sensitive words.
    assert.equal(report.methods.retrain.forget_term_rate, 0);
    const s = report.sensitive_words;
    assert.deepEqual(s.ground_truth, ['cello', 'glassblower', 'velmora']);
    assert.ok(
      s.rows.length > 0 && s.rows.every((w) => typeof w.importance === 'number' && w.importance >= 0),
    );
    assert.ok(s.selected.every((w) => s.rows.find((x) => x.word === w)?.selected !== false));
    assert.ok(s.recall !== null && s.recall >= 0 && s.recall <= 1);
    assert.ok(
      s.completeness_max_gap >= 0 && s.completeness_max_gap < 0.05,
      `IG gap ${s.completeness_max_gap}`,
    );
    assert.equal(s.donor?.name, 'Tomas Ortel');
    // Two seeds: means in methods, mean and std in the summary, each seed kept.
    const sum = report.summary!.methods.concept_targeted.forget_term_rate;
    assert.equal(sum.n, 2);
    assert.ok(Math.abs(sum.mean - report.methods.concept_targeted.forget_term_rate) < 1e-12);
    assert.equal(report.per_seed?.length, 2);
    const perSeed = report.per_seed!.map((p) => p.methods.npo.retain_answer_rouge_l);
    assert.ok(Math.abs((perSeed[0] + perSeed[1]) / 2 - report.methods.npo.retain_answer_rouge_l) < 1e-12);
    assert.ok(
      fs.readdirSync(path.join(out, 'cache')).filter((d) => d.startsWith('llm-original-')).length === 2,
    );
  });

  it('rejects bad options with one line', () => {
    const bad = (args: string[], pattern: RegExp) => {
      const r = run('demo', ...args);
      assert.equal(r.status, 1, r.stderr);
      // The error is one line, the last; progress lines may come before it.
      const last = r.stderr.trim().split('\n').at(-1) ?? '';
      assert.match(last, /^error: /, r.stderr);
      assert.match(last, pattern);
    };
    bad(['--llm', '--dataset', 'shapes'], /--dataset is an image demo option/);
    bad(['--corpus', 'facts.jsonl'], /--corpus needs --llm/);
    bad(['--llm', '--arch', 'cnn-ref'], /--arch is an image demo option/);
    bad(['--llm', '--seeds', '0'], /--seeds must be a positive integer/);
    bad(['--llm', '--quick', '--forget', 'Nobody'], /unknown forget class 'Nobody' \(classes: /);
    bad(['--llm', '--methods', 'finetune'], /unknown language-model method 'finetune'/);
  });
});
