import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../native/errors';
import {
  DEFAULT_FACTS_SIZE,
  GENERIC_CLASS,
  QUICK_FACTS_SIZE,
  factsCorpus,
  isQa,
  parseJsonlCorpus,
  qaClasses,
  readJsonlCorpus,
  resolveForgetClass,
} from '../../native/llm/data';
import { sensitiveWords, wordTokens } from '../../native/llm/metrics';

describe('generated facts corpus', () => {
  it('is deterministic from the seed and has the documented sizes', () => {
    const a = factsCorpus(5);
    const b = factsCorpus(5);
    assert.deepEqual(a, b);
    assert.notDeepEqual(factsCorpus(6).train, a.train);
    const s = DEFAULT_FACTS_SIZE;
    assert.equal(a.entities.length, s.entities);
    assert.deepEqual(
      qaClasses(a),
      a.entities.map((e) => e.name),
    );
    assert.equal(new Set(a.entities.map((e) => e.name)).size, s.entities);
    const kinds = a.entities.map((e) => e.kind);
    assert.deepEqual(
      ['person', 'company', 'product'].map((k) => kinds.filter((x) => x === k).length),
      [4, 3, 3],
    );
    // People have 14 facts, the others 12: every fact asked questionsPerFact times.
    const facts = a.entities.reduce(
      (n, e) => n + Math.min(s.factsPerEntity, e.kind === 'person' ? 14 : 12),
      0,
    );
    assert.equal(a.facts.length, facts);
    assert.equal(a.train.filter((x) => x.kind === 'qa').length, facts * s.questionsPerFact);
    assert.equal(a.paraphrases.length, facts * s.paraphrasesPerFact);
    assert.equal(a.train.filter((x) => x.kind === 'text').length, s.genericTrain);
    assert.equal(a.heldoutText.length, s.genericHeldout);
    assert.ok(a.classes.includes(GENERIC_CLASS));
    const q = factsCorpus(5, QUICK_FACTS_SIZE);
    assert.equal(q.entities.length, QUICK_FACTS_SIZE.entities);
    assert.ok(q.train.length < a.train.length / 4);
  });

  it('held-out paraphrases and text never occur in training, and share the answers', () => {
    const c = factsCorpus(2);
    const trainPrompts = new Set(c.train.flatMap((x) => (x.kind === 'qa' ? [x.prompt] : [])));
    const trainTexts = new Set(c.train.flatMap((x) => (x.kind === 'text' ? [x.text] : [])));
    const answers = new Set(c.train.flatMap((x) => (x.kind === 'qa' ? [`${x.class}|${x.response}`] : [])));
    for (const p of c.paraphrases) {
      assert.ok(!trainPrompts.has(p.prompt), p.prompt);
      assert.ok(answers.has(`${p.class}|${p.response}`), p.response);
    }
    for (const t of c.heldoutText) assert.ok(!trainTexts.has(t), t);
    // Generic text is about no entity.
    const names = new Set(c.entities.flatMap((e) => wordTokens(e.name)));
    for (const t of [...trainTexts, ...c.heldoutText])
      assert.ok(
        wordTokens(t).every((w) => !names.has(w)),
        t,
      );
  });

  it("every entity's answers reveal words of their own, including its facts' invented values", () => {
    const c = factsCorpus(3);
    for (const e of c.entities) {
      const forget = c.train.filter(isQa).filter((x) => x.class === e.name);
      const retain = c.train.filter((x) => x.class !== e.name);
      const words = new Set(sensitiveWords(forget, retain));
      const own = c.facts.filter((f) => f.entity === e.name && f.key === 'birthplace');
      for (const f of own) for (const w of wordTokens(f.value)) assert.ok(words.has(w), `${e.name}: ${w}`);
      assert.ok(words.size >= 3, `${e.name} has ${words.size} sensitive words`);
    }
  });

  it('resolves the forget class by name, or lists the classes', () => {
    const c = factsCorpus(1, QUICK_FACTS_SIZE);
    const name = c.entities[1].name;
    assert.equal(resolveForgetClass(c, name), name);
    assert.equal(resolveForgetClass(c, ` ${name.toUpperCase()} `), name);
    assert.throws(
      () => resolveForgetClass(c, 'Nobody'),
      (e: unknown) =>
        e instanceof UserError && e.message.includes("'Nobody'") && e.message.includes(c.entities[0].name),
    );
    assert.throws(() => resolveForgetClass(c, GENERIC_CLASS), /no question-answer samples/);
  });
});

describe('JSONL corpus import', () => {
  const lines = [
    '{"class":"Ada","prompt":"Where was Ada born?","response":"Ada was born in Lund."}',
    '',
    '{"class":"Ada","prompt":"Ada was born where?","response":"Ada was born in Lund.","split":"paraphrase"}',
    '{"class":"Bo","prompt":"Where was Bo born?","response":"Bo was born in Ume."}',
    '{"class":"notes","text":"Rain falls on the hills."}',
    '{"class":"notes","text":"Snow falls on the roofs.","split":"heldout"}',
  ];

  it('reads question-answer and text lines with their splits', () => {
    const c = parseJsonlCorpus(lines.join('\n'), 'mine.jsonl');
    assert.deepEqual(c.classes, ['Ada', 'Bo', 'notes']);
    assert.equal(c.train.length, 3);
    assert.deepEqual(c.train[2], { kind: 'text', class: 'notes', text: 'Rain falls on the hills.' });
    assert.deepEqual(c.paraphrases, [
      { kind: 'qa', class: 'Ada', prompt: 'Ada was born where?', response: 'Ada was born in Lund.' },
    ]);
    assert.deepEqual(c.heldoutText, ['Snow falls on the roofs.']);
    assert.deepEqual(qaClasses(c), ['Ada', 'Bo']);
  });

  const fails = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseJsonlCorpus(text, 'f.jsonl'),
      (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'),
    );

  it('names the line and the field of every problem', () => {
    fails(`${lines[0]}\n\n{"class":"Ada","prompt":"Q?"}`, /^f\.jsonl line 3: missing field 'response'$/);
    fails('{"prompt":"Q?","response":"A."}', /line 1: missing field 'class'$/);
    fails('{"class":"x"}', /line 1: missing field 'prompt'$/);
    fails('{"class":"x","text":""}', /line 1: field 'text' is empty$/);
    fails('{"class":3,"text":"t"}', /line 1: field 'class' must be a string$/);
    fails(
      '{"class":"x","text":"t","split":"paraphrase"}',
      /line 1: field 'split' must be one of 'train', 'heldout'$/,
    );
    fails('{"class":"x","text":"t","extra":1}', /line 1: unknown field 'extra'$/);
    fails('{"class":"x","text":"t","prompt":"p"}', /line 1: .*not both$/);
    fails('{"class":"x", nope}', /line 1: not valid JSON$/);
    fails('[1,2]', /line 1: expected an object/);
    fails('', /no training samples/);
    fails('{"class":"Z","prompt":"Q?","response":"A.","split":"paraphrase"}', /no training samples/);
  });

  it('reads a file, and an unknown forget class lists the classes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-jsonl-'));
    const file = path.join(dir, 'corpus.jsonl');
    fs.writeFileSync(file, lines.join('\n'));
    const c = readJsonlCorpus(file);
    assert.equal(c.name, 'corpus.jsonl');
    assert.throws(() => resolveForgetClass(c, 'Cy'), /unknown forget class 'Cy' \(classes: Ada, Bo\)/);
    assert.throws(() => readJsonlCorpus(path.join(dir, 'none.jsonl')), /cannot read .*ENOENT/);
  });
});
