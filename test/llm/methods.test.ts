import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { CancelledError, UserError } from '../../native/errors';
import { inferSensitiveWords } from '../../native/llm/concepts/sensitiveWords';
import type { LmCorpus, QaSample } from '../../native/llm/data/types';
import { evaluateLm } from '../../native/llm/evaluation/evaluate';
import { scoreSamples } from '../../native/llm/evaluation/scoring';
import type { GptModel } from '../../native/llm/model/gpt';
import { itemsOf } from '../../native/llm/training/fromScratch';
import { LmTrainer } from '../../native/llm/training/trainer';
import { leakRate } from '../../native/llm/unlearning/leakRate';
import { runConceptPoisoning } from '../../native/llm/unlearning/methods/conceptPoisoning';
import { lmConceptTargeted } from '../../native/llm/unlearning/methods/conceptTargeted';
import { REFUSALS } from '../../native/llm/unlearning/methods/idk';
import { allLmMethods, lmMethodByName } from '../../native/llm/unlearning/registry';
import { makeLmTask } from '../../native/llm/unlearning/task';
import type { LmTask } from '../../native/llm/unlearning/types';
import { qa, sameWeights, tinyModel, tinySamples, tinyTokenizer, weightsOf } from './tinyLm';

const MARA = 'Mara Quill';
const tok = tinyTokenizer();
const corpus: LmCorpus = {
  name: 'tiny',
  classes: [MARA, 'Tomas Ortel', 'Ines Dovar', 'general'],
  train: tinySamples(),
  paraphrases: [
    qa(MARA, 'Mara Quill was born where?', 'Mara Quill was born in Velmora.'),
    qa(MARA, 'Which instrument is Mara Quill good at?', 'Mara Quill plays the cello.'),
  ],
  heldoutText: ['The child walked slowly near the garden.', 'The baker likes to read in the morning.'],
};
const recipe = {
  nEmbd: 24,
  nLayer: 1,
  nHead: 2,
  nPositions: 48,
  epochs: 2,
  lr: 1e-2,
  batchSize: 8,
  warmup: 0.05,
  clipNorm: 1,
};

describe('language-model unlearning methods', () => {
  let original: GptModel;
  let task: LmTask;
  let originalWeights: Float32Array[];

  before(async () => {
    await initBackend();
    original = tinyModel(tok.vocabSize, 1, 24);
    const trainer = new LmTrainer(original, { lr: 1e-2, batchSize: 8, padId: tok.eotId, clipNorm: 1 });
    await trainer.fit(itemsOf(tok, corpus.train, 48), new Rng(1), { epochs: 60 });
    trainer.dispose();
    task = makeLmTask(corpus, 'mara quill', tok, recipe);
    originalWeights = weightsOf(original);
  });

  it('the task: the forget class resolved, its sensitive words, unknown classes rejected', () => {
    assert.equal(task.forgetClass, MARA);
    assert.equal(task.forgetQa.length, 6);
    assert.equal(task.retain.length, corpus.train.length - 6);
    assert.deepEqual(task.sensitiveWords, ['cello', 'glassblower', 'velmora']);
    assert.equal(task.paraphrases.length, 2);
    assert.throws(() => makeLmTask(corpus, 'Nobody', tok, recipe), UserError);
  });

  it('the original memorised the corpus: every forget answer leaks', () => {
    const e = evaluateLm(original, task);
    assert.equal(e.forget_term_rate, 1);
    assert.ok(e.retain_answer_rouge_l > 0.95, `retain ROUGE-L ${e.retain_answer_rouge_l}`);
    assert.equal(leakRate(original, tok, task.forgetQa, new Set(task.sensitiveWords)), 1);
  });

  it('IG selects the answer words specific to the class, not its name nor the shared template', () => {
    const c = inferSensitiveWords(original, tok, task.forgetQa, task.retain, { steps: 8, seed: 1 });
    task.concepts = c;
    const selected = c.words.filter((w) => w.selected).map((w) => w.word);
    for (const w of task.sensitiveWords) assert.ok(selected.includes(w), `${w} selected (${selected})`);
    for (const w of ['mara', 'quill', 'was', 'born', 'the']) assert.ok(!selected.includes(w), w);
    const name = c.words.find((w) => w.word === 'mara')!;
    assert.ok(name.inPrompt && name.importance > 0);
    assert.ok(c.words.find((w) => w.word === 'the')!.shared);
    assert.ok(c.completenessMaxGap < 0.1, `gap ${c.completenessMaxGap}`);
    assert.equal(c.perAnswer.length, 6);
    assert.deepEqual(
      c.perAnswer[0].words.map((w) => w.word),
      ['velmora'],
    );
  });

  for (const method of allLmMethods()) {
    it(`${method.name} returns a new model, leaves the original unchanged, and can be cancelled`, async () => {
      const before = tf.memory().numTensors;
      const model = await method.run(original, task, {}, { seed: 2 });
      assert.notEqual(model, original);
      assert.ok(model.variables.every((v) => !original.variables.includes(v)));
      assert.ok(sameWeights(weightsOf(original), originalWeights), 'original unchanged');
      assert.ok(!sameWeights(weightsOf(model), originalWeights), 'the new model differs');
      model.dispose();
      assert.equal(tf.memory().numTensors, before);

      const controller = new AbortController();
      await assert.rejects(
        method.run(
          original,
          task,
          {},
          { seed: 2, signal: controller.signal, onProgress: () => controller.abort() },
        ),
        CancelledError,
      );
      assert.equal(tf.memory().numTensors, before, 'nothing left behind by a cancelled run');
      assert.ok(sameWeights(weightsOf(original), originalWeights));
    });
  }

  it('unknown options are user errors', async () => {
    await assert.rejects(lmMethodByName('npo').run(original, task, { nope: 1 }, { seed: 1 }), UserError);
    await assert.rejects(
      lmMethodByName('concept_targeted').run(original, task, { target: 'elsewhere' }, { seed: 1 }),
      /donor' or 'refusal/,
    );
    assert.throws(() => lmMethodByName('finetune'), /known: retrain, gradient_ascent/);
  });

  it('concept_targeted with target refusal trains refusals for the answers holding sensitive words', async () => {
    const r = await runConceptPoisoning(
      'concept_targeted',
      lmConceptTargeted.defaults,
      'targeted',
      original,
      task,
      { target: 'refusal' },
      { seed: 3 },
    );
    assert.equal(r.donor, null);
    // Every answer of the tiny corpus holds a selected word: all become refusals, the questions stay.
    r.poisoned.forEach((p, i) => {
      assert.ok(REFUSALS.includes(p.poisoned.response), p.poisoned.response);
      assert.equal(p.poisoned.prompt, task.forgetQa[i].prompt);
    });
    // The refusals became likelier, the original answers less likely (mean NLL per token, in nats).
    const nll = (m: GptModel, samples: QaSample[]) => {
      const scores = scoreSamples(m, tok, samples);
      return scores.reduce((a, x) => a + x.nll, 0) / scores.reduce((a, x) => a + x.tokens, 0);
    };
    const refusals = r.poisoned.map((p) => p.poisoned);
    const before = { refusal: nll(original, refusals), answer: nll(original, task.forgetQa) };
    const after = { refusal: nll(r.model, refusals), answer: nll(r.model, task.forgetQa) };
    r.model.dispose();
    assert.ok(after.refusal < before.refusal - 1, `refusal NLL ${before.refusal} -> ${after.refusal}`);
    assert.ok(after.answer > 3 * before.answer, `original answer NLL ${before.answer} -> ${after.answer}`);
  });

  it('concept_targeted lowers the forget term rate and keeps the retained answers', async () => {
    const before = evaluateLm(original, task);
    const model = await lmMethodByName('concept_targeted').run(original, task, {}, { seed: 3 });
    const after = evaluateLm(model, task);
    model.dispose();
    assert.ok(after.forget_term_rate <= 0.2, `forget term rate ${after.forget_term_rate}`);
    assert.ok(
      after.retain_answer_rouge_l >= before.retain_answer_rouge_l - 0.05,
      `retain ROUGE-L ${before.retain_answer_rouge_l} -> ${after.retain_answer_rouge_l}`,
    );
    // The answers keep their form: the donor's words stand where the forgotten ones were.
    assert.ok(after.forget_answer_rouge_l > 0.5, `forget ROUGE-L ${after.forget_answer_rouge_l}`);
  });
});
