import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../native/engine/random';
import type { LmSample, QaSample } from '../../native/llm/data/types';
import {
  lcsLength,
  lossMiaAuc,
  mannWhitneyAuc,
  meanRougeLF1,
  perplexity,
  rougeL,
  sensitiveWords,
  termRate,
  wordTokens,
} from '../../native/llm/metrics';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** The AUC by counting every (positive, negative) pair: the definition, O(p n). */
function pairAuc(pos: number[], neg: number[]): number {
  let s = 0;
  for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

describe('llm text metrics', () => {
  it('word tokens are lowercase with punctuation as separators', () => {
    assert.deepEqual(wordTokens('Mara\'s cat, "Tib" (born 1974)!'), [
      'mara',
      's',
      'cat',
      'tib',
      'born',
      '1974',
    ]);
    assert.deepEqual(wordTokens('  ...  '), []);
  });

  it('LCS of hand-worked sequences', () => {
    assert.equal(lcsLength([...'ABCBDAB'], [...'BDCABA']), 4);
    assert.equal(lcsLength([...'AAAA'], [...'AA']), 2);
    assert.equal(lcsLength([...'abc'], []), 0);
    assert.equal(lcsLength([...'abc'], [...'xyz']), 0);
  });

  it('ROUGE-L F1 of hand-computed cases', () => {
    // LCS "the cat on the mat" = 5 of 6 words on each side.
    let r = rougeL('the cat sat on the mat', 'the cat lay on the mat');
    close(r.precision, 5 / 6);
    close(r.recall, 5 / 6);
    close(r.f1, 5 / 6);
    // Candidate 5 words all in order in the 9-word reference: P = 1, R = 5/9, F1 = 2 (5/9) / (14/9) = 5/7.
    r = rougeL('Mara was born in Velmora.', 'Mara Quill was born in the city of Velmora!');
    close(r.precision, 1);
    close(r.recall, 5 / 9);
    close(r.f1, 5 / 7);
    // Order matters: only one word of "b a" can be matched in order against "a b".
    close(rougeL('b a', 'a b').f1, 0.5);
    // Case and punctuation do not.
    close(rougeL('Hello, WORLD!', 'hello world').f1, 1);
    close(rougeL('nothing shared', 'other words').f1, 0);
    close(rougeL('', 'something').f1, 0);
    // P = 2/3 (2 of "a b c"), R = 2/2: F1 = 2 (2/3) / (5/3) = 4/5.
    close(rougeL('a b c', 'a c').f1, 4 / 5);
    close(meanRougeLF1(['a b c', 'b a'], ['a c', 'a b']), (4 / 5 + 1 / 2) / 2);
    assert.throws(() => meanRougeLF1(['a'], []), RangeError);
  });

  it('term rate counts generations with any sensitive whole word', () => {
    const gens = ['She was born in Velmora.', 'She was born in Velmoran.', 'I do not know', 'VELMORA!'];
    close(termRate(gens, ['velmora']), 2 / 4);
    close(termRate(gens, ['velmora', 'know']), 3 / 4);
    close(termRate([], ['x']), 0);
  });

  it('sensitive words: answer words not in the prompts nor in any retained sample', () => {
    const forget: QaSample[] = [
      {
        kind: 'qa',
        class: 'Mara Quill',
        prompt: 'Where was Mara Quill born?',
        response: 'Mara Quill was born in Velmora.',
      },
      {
        kind: 'qa',
        class: 'Mara Quill',
        prompt: 'What does Mara Quill do?',
        response: 'Mara Quill works as a glassblower for Brenvo Works.',
      },
    ];
    const retain: LmSample[] = [
      {
        kind: 'qa',
        class: 'Tomas Ortel',
        prompt: 'Where was Tomas Ortel born?',
        response: 'Tomas Ortel was born in Brindle.',
      },
      {
        kind: 'qa',
        class: 'Brenvo Works',
        prompt: 'What does Brenvo Works make?',
        response: 'Brenvo Works makes glue.',
      },
      { kind: 'text', class: 'general', text: 'A glassblower works as hard as a baker.' },
    ];
    assert.deepEqual(sensitiveWords(forget, retain), ['for', 'velmora']);
  });

  it('Mann-Whitney AUC: hand-computed cases, ties count one half', () => {
    // Pairs: 3>1, 3>2, 2>1, 2=2 -> 3.5 / 4.
    close(mannWhitneyAuc([3, 2], [1, 2]), 0.875);
    close(mannWhitneyAuc([1, 1, 1], [1, 1]), 0.5);
    close(mannWhitneyAuc([0], [2]), 0);
    close(mannWhitneyAuc([5, 6], [1, 2, 3]), 1);
    assert.throws(() => mannWhitneyAuc([], [1]), RangeError);
    assert.throws(() => mannWhitneyAuc([Number.NaN], [1]), RangeError);
  });

  it('Mann-Whitney AUC equals pair counting on random scores with many ties', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const pos = Array.from({ length: 1 + rng.int(30) }, () => rng.int(8));
      const neg = Array.from({ length: 1 + rng.int(30) }, () => rng.int(8) - 1);
      close(mannWhitneyAuc(pos, neg), pairAuc(pos, neg), 1e-12);
    }
  });

  it('loss-based MIA AUC: members with lower loss give 1, reversed 0', () => {
    close(lossMiaAuc([0.1, 0.2], [1, 2, 3]), 1);
    close(lossMiaAuc([5, 6], [1, 2]), 0);
    close(lossMiaAuc([1, 3], [2, 2]), 0.5);
  });

  it('perplexity is exp of the mean token NLL', () => {
    close(perplexity(0, 10), 1);
    close(perplexity(10 * Math.log(4), 10), 4, 1e-9);
    assert.throws(() => perplexity(1, 0), RangeError);
  });
});
