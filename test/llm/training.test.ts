import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { CancelledError, UserError } from '../../native/errors';
import { scoreSamples } from '../../native/llm/evaluation/scoring';
import type { GptModel } from '../../native/llm/model/gpt';
import { type LmItem, batchTensors, buildBatch } from '../../native/llm/training/batch';
import { itemsOf, trainLmFromScratch } from '../../native/llm/training/fromScratch';
import { tokenCrossEntropy } from '../../native/llm/training/loss';
import { learningRateAt } from '../../native/llm/training/schedule';
import { answerIds, encodeSample, promptIds } from '../../native/llm/training/sequences';
import { LmTrainer } from '../../native/llm/training/trainer';
import { npoLoss } from '../../native/llm/unlearning/methods/npo';
import { logSoftmaxRow, qa, sameWeights, tinyModel, tinySamples, tinyTokenizer, weightsOf } from './tinyLm';

const tok = tinyTokenizer();
const samples = tinySamples();

/** log p of every masked target of each item, from the model's logits row by row (float64). */
function referenceLogProbs(model: GptModel, items: LmItem[]): number[][] {
  return items.map((it) => {
    const ids = it.seq.ids;
    const logits = tf.tidy(() => model.logits(tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32')));
    const v = model.config.vocabSize;
    const data = logits.dataSync();
    logits.dispose();
    const out: number[] = [];
    for (let t = 0; t + 1 < ids.length; t++) {
      if (it.seq.mask[t] === 0) continue;
      out.push(logSoftmaxRow(data.subarray(t * v, (t + 1) * v))[ids[t + 1]]);
    }
    return out;
  });
}

describe('language-model training', () => {
  before(async () => {
    await initBackend();
  });

  it('a question trains on its answer tokens only, a text on every token', () => {
    const s = qa('Mara Quill', 'Where was Mara Quill born?', 'Mara Quill was born in Velmora.');
    const seq = encodeSample(tok, s, 100);
    const p = promptIds(tok, s.prompt);
    const a = answerIds(tok, s.response);
    assert.deepEqual(seq.ids, [...p, ...a]);
    assert.equal(seq.promptLength, p.length);
    // Target t predicts ids[t + 1]: the mask is 1 exactly on the answer's ids (closing end-of-text included).
    assert.deepEqual(
      seq.mask,
      seq.ids.slice(1).map((_, t) => (t + 1 >= p.length ? 1 : 0)),
    );
    assert.equal(
      seq.mask.reduce((x: number, y: number) => x + y, 0),
      a.length,
    );
    assert.equal(tok.decode(a.slice(0, -1)), ' Mara Quill was born in Velmora.');
    const text = encodeSample(tok, { kind: 'text', class: 'g', text: 'The old baker.' }, 100);
    assert.equal(text.ids[0], tok.eotId);
    assert.ok(text.mask.every((m) => m === 1));
    // Cut to the context; a prompt that leaves no room is a UserError.
    assert.equal(encodeSample(tok, s, p.length + 2).ids.length, p.length + 2);
    assert.throws(() => encodeSample(tok, s, p.length), UserError);
  });

  it('batches are right-padded with masked end-of-text', () => {
    const items = itemsOf(tok, samples.slice(0, 3), 47);
    items[1].weight = -2;
    const b = buildBatch(items, tok.eotId);
    const longest = Math.max(...items.map((i) => i.seq.ids.length)) - 1;
    assert.equal(b.time, longest);
    items.forEach((it, r) => {
      const n = it.seq.ids.length - 1;
      for (let t = 0; t < b.time; t++) {
        const k = r * b.time + t;
        if (t < n) {
          assert.equal(b.input[k], it.seq.ids[t]);
          assert.equal(b.target[k], it.seq.ids[t + 1]);
          assert.equal(b.mask[k], it.seq.mask[t]);
        } else {
          assert.equal(b.input[k], tok.eotId);
          assert.equal(b.mask[k], 0);
        }
      }
    });
    assert.deepEqual(Array.from(b.weight), [1, -2, 1]);
  });

  it('linear warm-up then linear decay', () => {
    const s = { lr: 1, warmupSteps: 4, totalSteps: 14 };
    assert.deepEqual(
      [0, 1, 3, 4, 9, 14, 20].map((k) => learningRateAt(s, k)),
      [0.25, 0.5, 1, 1, 0.5, 0, 0],
    );
    assert.ok(Math.abs(learningRateAt({ ...s, floor: 0.2 }, 14) - 0.2) < 1e-12);
    assert.equal(learningRateAt({ lr: 3, warmupSteps: 1, totalSteps: 1 }, 5), 3);
  });

  it('the weighted token cross-entropy and the scores match a row-by-row reference, padding or not', () => {
    const model = tinyModel(tok.vocabSize, 3);
    const items = itemsOf(tok, samples.slice(4, 9), 47);
    items.forEach((it, i) => {
      it.weight = [1, -0.5, 2, 1, 0.25][i];
    });
    const ref = referenceLogProbs(model, items);
    let num = 0;
    let count = 0;
    ref.forEach((lps, i) => {
      for (const lp of lps) num += (items[i].weight ?? 1) * -lp;
      count += lps.length;
    });
    const loss = tf.tidy(() => tokenCrossEntropy(model, batchTensors(buildBatch(items, tok.eotId))));
    assert.ok(Math.abs(loss.dataSync()[0] - num / count) < 1e-4, `${loss.dataSync()[0]} vs ${num / count}`);
    loss.dispose();
    const scores = scoreSamples(model, tok, samples.slice(4, 9), 2);
    scores.forEach((s, i) => {
      const nll = -ref[i].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s.nll - nll) < 1e-3 * Math.max(1, nll), `${s.nll} vs ${nll}`);
      assert.equal(s.tokens, ref[i].length);
    });
    model.dispose();
  });

  it('the NPO loss matches (2/beta) softplus(beta (log p - log p_ref)) plus the retain cross-entropy', () => {
    const model = tinyModel(tok.vocabSize, 4);
    const items = itemsOf(tok, samples.slice(0, 4), 47);
    items[0].group = 1;
    items[0].ref = -3;
    items[1].group = 1;
    items[1].ref = -40;
    const ref = referenceLogProbs(model, items);
    const beta = 0.7;
    const softplus = (z: number) => Math.log1p(Math.exp(z));
    const forget = [0, 1].map(
      (i) => (2 / beta) * softplus(beta * (ref[i].reduce((a, b) => a + b, 0) - items[i].ref!)),
    );
    const retainTokens = [...ref[2], ...ref[3]];
    const expected =
      (forget[0] + forget[1]) / 2 + 0.5 * (-retainTokens.reduce((a, b) => a + b, 0) / retainTokens.length);
    const loss = tf.tidy(() => npoLoss(beta, 0.5)(model, batchTensors(buildBatch(items, tok.eotId))));
    assert.ok(
      Math.abs(loss.dataSync()[0] - expected) < 1e-3 * expected,
      `${loss.dataSync()[0]} vs ${expected}`,
    );
    loss.dispose();
    model.dispose();
  });

  it('training lowers the loss, is seeded, and leaks no tensor across epochs', async () => {
    const items = itemsOf(tok, samples, 47);
    const run = async (epochs: number, counts?: number[]) => {
      const model = tinyModel(tok.vocabSize, 5);
      const trainer = new LmTrainer(model, { lr: 1e-2, batchSize: 8, padId: tok.eotId, clipNorm: 1 });
      const losses: number[] = [];
      await trainer.fit(items, new Rng(9), {
        epochs,
        reportEvery: 100,
        onStep: (p) => losses.push(p.loss),
        afterEpoch: () => {
          counts?.push(tf.memory().numTensors);
          return false;
        },
      });
      trainer.dispose();
      return { model, losses };
    };
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const a = await run(10, counts);
    assert.ok(a.losses[a.losses.length - 1] < 0.7 * a.losses[0], `${a.losses[0]} -> ${a.losses.at(-1)}`);
    // Adam's state is created in the first epoch; after that the count must not move.
    assert.ok(
      counts.slice(1).every((c) => c === counts[1]),
      `tensors after each epoch: ${counts}`,
    );
    const b = await run(10);
    assert.ok(sameWeights(weightsOf(a.model), weightsOf(b.model)), 'same seed, same weights');
    a.model.dispose();
    b.model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('training from scratch can be cancelled and leaves nothing behind', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const recipe = {
      nEmbd: 16,
      nLayer: 1,
      nHead: 2,
      nPositions: 47,
      epochs: 5,
      lr: 1e-2,
      batchSize: 4,
      warmup: 0,
      clipNorm: 1,
    };
    await assert.rejects(
      trainLmFromScratch(recipe, tok, samples, {
        seed: 1,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      CancelledError,
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
