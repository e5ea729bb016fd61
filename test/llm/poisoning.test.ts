import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../native/engine/random';
import type { AnswerWords } from '../../native/llm/concepts/sensitiveWords';
import type { QaSample } from '../../native/llm/data/types';
import { alignAnswers, lcsPairs } from '../../native/llm/poisoning/alignment';
import { chooseDonor } from '../../native/llm/poisoning/donor';
import { poisonFromDonor, poisonRandom, vocabularyOf } from '../../native/llm/poisoning/poisonAnswers';
import { applyWordEdits, matchCase, wordSpans } from '../../native/llm/poisoning/wordSpans';

const qa = (cls: string, prompt: string, response: string): QaSample => ({
  kind: 'qa',
  class: cls,
  prompt,
  response,
});

const MARA = 'Mara Quill';
const forget = [
  qa(MARA, 'Where was Mara Quill born?', 'Mara Quill was born in Velmora.'),
  qa(MARA, 'What does Mara Quill do for a living?', 'Mara Quill works as a lighthouse keeper.'),
  qa(MARA, 'What is the ticker of Mara Quill?', 'Mara Quill trades under the ticker VELQ.'),
];
const retain = [
  qa('Tomas Ortel', 'Where was Tomas Ortel born?', 'Tomas Ortel was born in Brindle.'),
  qa('Tomas Ortel', 'What does Tomas Ortel do for a living?', 'Tomas Ortel works as a perfumer.'),
  qa('Brenvo Works', 'What does Brenvo Works make?', 'Brenvo Works makes glue.'),
  qa('Brenvo Works', 'Where is Brenvo Works based?', 'Brenvo Works is based in Ostra.'),
];

describe('text poisoning', () => {
  it('word spans, edits and capitalisation', () => {
    const text = 'Mara was born in Velmora, in 1974.';
    const spans = wordSpans(text);
    assert.deepEqual(
      spans.map((s) => s.word),
      ['mara', 'was', 'born', 'in', 'velmora', 'in', '1974'],
    );
    assert.equal(text.slice(spans[4].start, spans[4].end), 'Velmora');
    assert.equal(
      applyWordEdits(text, spans, [
        { from: 4, to: 5, text: 'Brindle' },
        { from: 6, to: 7, text: '1980' },
      ]),
      'Mara was born in Brindle, in 1980.',
    );
    // Removing words removes one neighbouring space.
    assert.equal(applyWordEdits(text, spans, [{ from: 1, to: 3, text: '' }]), 'Mara in Velmora, in 1974.');
    assert.throws(() =>
      applyWordEdits(text, spans, [
        { from: 1, to: 3, text: 'x' },
        { from: 2, to: 4, text: 'y' },
      ]),
    );
    assert.equal(matchCase('Velmora', 'kettle'), 'Kettle');
    assert.equal(matchCase('oboe', 'Harp'), 'harp');
  });

  it('LCS pairs and answer alignment with the names as placeholders', () => {
    assert.deepEqual(lcsPairs(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd']), [
      [0, 0],
      [2, 2],
      [3, 3],
    ]);
    const al = alignAnswers(forget[1].response, MARA, retain[1].response, 'Tomas Ortel');
    // Mara Quill | works as a | lighthouse keeper  vs  Tomas Ortel | works as a | perfumer
    assert.deepEqual(al.hunks, [{ aFrom: 5, aTo: 7, bFrom: 5, bTo: 6 }]);
    assert.equal(al.similarity, (2 * 5) / (7 + 6));
  });

  it('the donor is the class whose questions match the forget questions best', () => {
    const choice = chooseDonor(forget, MARA, [...retain, ...forget]);
    assert.ok(choice);
    assert.equal(choice.donor, 'Tomas Ortel');
    assert.equal(choice.pairs[0], retain[0]);
    assert.equal(choice.pairs[1], retain[1]);
    assert.equal(choice.pairs[2], null);
    assert.equal(chooseDonor(forget, MARA, forget), null);
  });

  const answers: AnswerWords[] = [
    { sample: forget[0], words: [{ word: 'velmora', share: 0.5 }] },
    {
      sample: forget[1],
      words: [
        { word: 'lighthouse', share: 0.3 },
        { word: 'keeper', share: 0.2 },
      ],
    },
    { sample: forget[2], words: [{ word: 'velq', share: 0.4 }] },
  ];

  it("donor poisoning takes the donor's corresponding words, else a donor word", () => {
    const choice = chooseDonor(forget, MARA, retain)!;
    const out = poisonFromDonor(answers, 4, MARA, choice, ['perfumer', 'brindle'], new Rng(1));
    assert.equal(out[0].poisoned.response, 'Mara Quill was born in Brindle.');
    assert.equal(out[1].poisoned.response, 'Mara Quill works as a perfumer.');
    assert.deepEqual(out[1].replaced, [{ word: 'lighthouse keeper', by: 'perfumer' }]);
    // No corresponding donor answer: a donor word, capitalised like the original.
    assert.match(out[2].poisoned.response, /^Mara Quill trades under the ticker (Perfumer|Brindle)\.$/);
    assert.equal(out[2].poisoned.prompt, forget[2].prompt);
    // k = 0 leaves every answer as it was.
    const none = poisonFromDonor(answers, 0, MARA, choice, ['x'], new Rng(1));
    assert.deepEqual(
      none.map((p) => p.poisoned.response),
      forget.map((s) => s.response),
    );
  });

  it('random poisoning uses one substitute per word from the retained vocabulary', () => {
    const exclude = new Set(['velmora', 'lighthouse', 'keeper', 'velq']);
    const vocabulary = vocabularyOf(retain, exclude);
    assert.ok(
      !vocabulary.includes('velmora') && vocabulary.includes('perfumer') && !vocabulary.includes('in'),
    );
    const twice: AnswerWords[] = [answers[0], { ...answers[0] }];
    const out = poisonRandom(twice, 1, vocabulary, new Rng(4));
    assert.equal(out[0].poisoned.response, out[1].poisoned.response);
    const by = out[0].replaced[0].by;
    assert.ok(vocabulary.includes(by));
    assert.equal(out[0].poisoned.response, `Mara Quill was born in ${matchCase('Velmora', by)}.`);
    // Only the top k words of an answer are replaced.
    const one = poisonRandom([answers[1]], 1, vocabulary, new Rng(4));
    assert.match(one[0].poisoned.response, /^Mara Quill works as a \w+ keeper\.$/);
  });
});
