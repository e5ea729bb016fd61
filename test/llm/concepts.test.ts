import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { type TokenAttribution, tokenAttributions } from '../../native/llm/concepts/tokenIg';
import { tokenWords } from '../../native/llm/concepts/tokenWords';
import { wordShares } from '../../native/llm/concepts/wordShares';
import type { GptModel } from '../../native/llm/model/gpt';
import { itemsOf } from '../../native/llm/training/fromScratch';
import { LmTrainer } from '../../native/llm/training/trainer';
import { qa, tinyModel, tinySamples, tinyTokenizer } from './tinyLm';

const tok = tinyTokenizer();
const samples = tinySamples();
const decoder = new TextDecoder();

describe('token concepts', () => {
  let model: GptModel;

  before(async () => {
    await initBackend();
    model = tinyModel(tok.vocabSize, 2, 24);
    const trainer = new LmTrainer(model, { lr: 1e-2, batchSize: 8, padId: tok.eotId });
    await trainer.fit(itemsOf(tok, samples, 47), new Rng(1), { epochs: 15 });
    trainer.dispose();
  });

  it("maps every token to its word: sub-words merged, origins from the sample's parts", () => {
    const s = qa('Mara Quill', 'Where was Mara Quill born?', 'Mara Quill was born in Velmora.');
    const tw = tokenWords(tok, s);
    assert.equal(tw.ids[0], tok.eotId);
    assert.equal(tw.ids.at(-1), tok.eotId);
    assert.deepEqual(
      tw.words.map((w) => `${w.origin}:${w.surface}`),
      [
        'template:Question',
        'prompt:Where',
        'prompt:was',
        'prompt:Mara',
        'prompt:Quill',
        'prompt:born',
        'template:Answer',
        'response:Mara',
        'response:Quill',
        'response:was',
        'response:born',
        'response:in',
        'response:Velmora',
      ],
    );
    // The tokens of each word decode to the word (leading space aside); punctuation and end-of-text to none.
    tw.words.forEach((w, wi) => {
      const ids = tw.ids.filter((_, t) => tw.wordOf[t] === wi);
      assert.ok(ids.length >= 1);
      assert.equal(decoder.decode(tok.decodeBytes(ids)).trim(), w.surface);
    });
    const velmora = tw.ids.filter((_, t) => tw.wordOf[t] === tw.words.length - 1);
    assert.ok(velmora.length >= 2, 'an invented word is several sub-words');
    assert.equal(tw.wordOf[0], -1);
    assert.equal(tw.wordOf.at(-1), -1);
  });

  it('IG of a closed-form scorer: each token gets sum_d c_t (sin e - sin e_eot)', () => {
    const part = samples.slice(0, 3);
    const scorer = (emb: tf.Tensor3D, batch: { batch: number; time: number; mask: Float32Array }) =>
      tf.tidy(() => {
        const reps = emb.shape[0] / batch.batch;
        const c = tf.tile(tf.tensor2d(batch.mask, [batch.batch, batch.time]), [reps, 1]).add(0.5);
        return tf.sum(tf.mul(tf.sum(tf.sin(emb), 2), c), 1) as tf.Tensor1D;
      });
    const result = tokenAttributions(model, tok, part, { steps: 12 }, scorer);
    const eot = tf.tidy(() => model.embedTokens(tf.tensor2d([[tok.eotId]], [1, 1], 'int32')).dataSync());
    part.forEach((s, i) => {
      const r = result[i];
      const ids = r.tokens.ids.slice(0, -1);
      const emb = tf.tidy(() => model.embedTokens(tf.tensor2d([ids], [1, ids.length], 'int32')).dataSync());
      const e = model.config.nEmbd;
      const mask = itemsOf(tok, [s], 47)[0].seq.mask;
      ids.forEach((_, t) => {
        let expected = 0;
        for (let d = 0; d < e; d++) expected += Math.sin(emb[t * e + d]) - Math.sin(eot[d]);
        expected *= mask[t] + 0.5;
        assert.ok(
          Math.abs(r.attributions[t] - expected) < 1e-4,
          `sample ${i} token ${t}: ${r.attributions[t]} vs ${expected}`,
        );
      });
      assert.equal(r.attributions[0], 0, 'the first token is the baseline itself');
    });
  });

  it('completeness: the gap of the answer log-probability shrinks with steps and is small', () => {
    const part = samples.slice(0, 6);
    const maxGap = (rs: TokenAttribution[]) => Math.max(...rs.map((r) => r.relativeGap));
    const coarse = tokenAttributions(model, tok, part, { steps: 2, rule: 'midpoint' });
    const fine = tokenAttributions(model, tok, part, { steps: 24 });
    for (const r of fine) {
      const sum = r.attributions.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (r.fx - r.fBaseline) - r.gap) < 1e-3);
      assert.ok(r.fx > r.fBaseline, 'the trained answer is likelier than from the baseline');
    }
    assert.ok(maxGap(fine) < 0.01, `gap with 24 nodes ${maxGap(fine)}`);
    assert.ok(
      maxGap(fine) < maxGap(coarse) / 5,
      `gap 2 midpoints ${maxGap(coarse)} vs 24 nodes ${maxGap(fine)}`,
    );
    const zero = tokenAttributions(model, tok, part.slice(0, 2), { steps: 24, baseline: 'zero' });
    assert.ok(maxGap(zero) < 0.01);
  });

  it('attributions do not depend on the other samples of a batch (padding)', () => {
    const alone = tokenAttributions(model, tok, [samples[12]], { steps: 8 });
    const batched = tokenAttributions(model, tok, [samples[13], samples[12], samples[0]], { steps: 8 });
    assert.equal(alone[0].attributions.length, batched[1].attributions.length);
    alone[0].attributions.forEach((a, t) => assert.ok(Math.abs(a - batched[1].attributions[t]) < 1e-4));
  });

  it('word shares: sub-words and repeats merged, positive parts normalised, template words left out', () => {
    const a: TokenAttribution = {
      tokens: {
        ids: [0, 1, 2, 3, 4, 5, 6, 0],
        wordOf: [-1, 0, 1, 1, 2, 3, -1, -1],
        words: [
          { word: 'question', surface: 'Question', origin: 'template' },
          { word: 'vel', surface: 'Vel', origin: 'prompt' },
          { word: 'born', surface: 'born', origin: 'response' },
          { word: 'vel', surface: 'vel', origin: 'response' },
        ],
      },
      attributions: Float32Array.from([0, 9, 1, 2, -1, 1, 5]),
      fx: 0,
      fBaseline: 0,
      gap: 0,
      relativeGap: 0,
    };
    // vel: 1 + 2 + 1 = 4; born: -1 -> 0; question (template) and the unworded token left out.
    const shares = wordShares(a);
    assert.deepEqual(
      shares.map((w) => [w.word, w.share, w.attribution, w.origins.join('+')]),
      [
        ['vel', 1, 4, 'prompt+response'],
        ['born', 0, -1, 'response'],
      ],
    );
  });
});
