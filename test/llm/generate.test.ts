/**
 * Generation with the KV cache against recomputing the whole forward pass every step (greedy tokens
 * identical, per-step logits equal), stop ids, seeded sampling against the softmax it samples from,
 * option checks and tensor hygiene.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { UserError } from '../../native/errors';
import type { GptConfig } from '../../native/llm/model/config';
import type { LayerKv } from '../../native/llm/model/forward';
import { argmax, generate, sample } from '../../native/llm/model/generate';
import type { GptModel } from '../../native/llm/model/gpt';
import { maxAbsDiff, randomGpt } from './fixture';

const CONFIG: GptConfig = {
  vocabSize: 29,
  nPositions: 16,
  nEmbd: 16,
  nLayer: 2,
  nHead: 4,
  layerNormEpsilon: 1e-5,
};

/** Greedy decoding without a cache: the whole sequence runs through the model for every new token. */
function greedyByRecomputing(model: GptModel, prompt: number[], count: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < count; i++) {
    const last = tf.tidy(() => {
      const logits = model.logits(tf.tensor2d(seq, [1, seq.length], 'int32'));
      return logits.slice([0, seq.length - 1, 0], [1, 1, CONFIG.vocabSize]).dataSync();
    });
    seq.push(argmax(last));
  }
  return seq.slice(prompt.length);
}

describe('generate (KV cache)', () => {
  before(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('gives exactly the greedy tokens of recomputing the full forward pass each step', () => {
    const model = randomGpt(CONFIG, 21, 0.5);
    for (const prompt of [[3], [1, 2, 3], [28, 0, 7, 7, 7, 14, 2]]) {
      const count = CONFIG.nPositions - prompt.length;
      const cached = generate(model, prompt, { maxNewTokens: count });
      assert.equal(cached.length, count);
      assert.deepEqual(cached, greedyByRecomputing(model, prompt, count), `prompt ${prompt}`);
      assert.ok(new Set(cached).size > 1, 'a degenerate model would prove little');
    }
    model.dispose();
  });

  it('appends keys and values step by step with the logits of the full pass', () => {
    const model = randomGpt(CONFIG, 22, 0.5);
    const seq = [4, 8, 15, 16, 23, 0, 11, 2, 9];
    const full = tf.tidy(() => model.logits(tf.tensor2d(seq, [1, seq.length], 'int32')).arraySync()[0]);
    let past: LayerKv[] | undefined;
    const prefix = 3;
    const stepRows: number[][] = [];
    for (let start = 0; start < seq.length; ) {
      const chunk = start === 0 ? seq.slice(0, prefix) : [seq[start]];
      const { logits, present } = model.forward(
        model.embedTokens(tf.tensor2d(chunk, [1, chunk.length], 'int32')),
        past,
      );
      assert.deepEqual(present[0].k.shape, [1, 4, start + chunk.length, 4]);
      stepRows.push(...(logits.arraySync()[0] as number[][]));
      tf.dispose([logits, ...(past ?? []).flatMap((kv) => [kv.k, kv.v])]);
      past = present;
      start += chunk.length;
    }
    tf.dispose((past ?? []).flatMap((kv) => [kv.k, kv.v]));
    assert.ok(maxAbsDiff(stepRows.flat(), full.flat()) <= 1e-5);
    model.dispose();
  });

  it('stops after a stop id, which it includes', () => {
    const model = randomGpt(CONFIG, 21, 0.5);
    const all = generate(model, [1, 2, 3], { maxNewTokens: 12 });
    const stopAt = all.findIndex((id, i) => i >= 1 && all.indexOf(id) === i); // a token new at i
    assert.ok(stopAt > 0, `${all}`);
    const stop = all[stopAt];
    assert.deepEqual(
      generate(model, [1, 2, 3], { maxNewTokens: 12, stopIds: [stop, 999] }),
      all.slice(0, stopAt + 1),
    );
    assert.deepEqual(generate(model, [1, 2, 3], { maxNewTokens: 0 }), []);
    model.dispose();
  });

  it('samples reproducibly from the seed; topK 1 is greedy', () => {
    const model = randomGpt(CONFIG, 24, 0.2);
    const opts = { maxNewTokens: 10, temperature: 1.5, seed: 3 };
    const a = generate(model, [1, 2], opts);
    assert.deepEqual(generate(model, [1, 2], opts), a);
    const others = [4, 5, 6].map((seed) => generate(model, [1, 2], { ...opts, seed }).join(','));
    assert.ok(
      others.some((o) => o !== a.join(',')),
      'different seeds should give different samples',
    );
    assert.deepEqual(
      generate(model, [1, 2], { ...opts, topK: 1 }),
      generate(model, [1, 2], { maxNewTokens: 10 }),
    );
    model.dispose();
  });

  it('samples from softmax(logits / temperature), restricted to the top k', () => {
    const logits = [0.5, 2, -1, 1.2, 2];
    const draws = 20000;
    const check = (temperature: number, topK: number | undefined, allowed: number[]) => {
      const rng = new Rng(99);
      const counts = new Array(logits.length).fill(0);
      for (let i = 0; i < draws; i++) counts[sample(logits, temperature, topK, rng)]++;
      const weights = logits.map((l, i) => (allowed.includes(i) ? Math.exp(l / temperature) : 0));
      const total = weights.reduce((x, y) => x + y, 0);
      weights.forEach((w, i) => {
        const p = w / total;
        const sd = Math.sqrt((p * (1 - p)) / draws);
        assert.ok(
          Math.abs(counts[i] / draws - p) <= 5 * sd + 1e-9,
          `T=${temperature} k=${topK} token ${i}: ${counts[i] / draws} vs ${p}`,
        );
      });
    };
    check(1, undefined, [0, 1, 2, 3, 4]);
    check(0.5, undefined, [0, 1, 2, 3, 4]);
    check(2, 3, [1, 3, 4]);
    check(1, 1, [1]); // ties go to the lower index
  });

  it('refuses bad prompts and options with a UserError', () => {
    const model = randomGpt(CONFIG, 25);
    const cases: [number[], Parameters<typeof generate>[2], RegExp][] = [
      [[], { maxNewTokens: 1 }, /prompt is empty/],
      [[1, 29], { maxNewTokens: 1 }, /prompt token 29 is not an id of this vocabulary \(0\.\.28\)/],
      [[1.5], { maxNewTokens: 1 }, /prompt token 1\.5/],
      [[1, 2, 3], { maxNewTokens: 14 }, /3 tokens plus 14 new tokens exceeds the model's context of 16/],
      [[1], { maxNewTokens: -1 }, /maxNewTokens must be a non-negative integer/],
      [[1], { maxNewTokens: 2, temperature: -1 }, /temperature must be/],
      [[1], { maxNewTokens: 2, temperature: 1, topK: 0 }, /topK must be a positive integer/],
    ];
    for (const [prompt, opts, pattern] of cases) {
      assert.throws(
        () => generate(model, prompt, opts),
        (e: Error) => e instanceof UserError && pattern.test(e.message),
      );
    }
    model.dispose();
  });

  it('leaves no tensor behind (greedy, sampling, stop ids, errors)', () => {
    const model = randomGpt(CONFIG, 26);
    const backend = tf.backend();
    const run = () => {
      generate(model, [1, 2, 3], { maxNewTokens: 8 });
      generate(model, [4], { maxNewTokens: 5, temperature: 0.8, topK: 5, seed: 1 });
      generate(model, [4], { maxNewTokens: 15, stopIds: [...Array(29).keys()] });
      assert.throws(() => generate(model, [1], { maxNewTokens: 99 }));
    };
    run();
    const before = { ...tf.memory(), ids: backend.numDataIds() };
    for (let i = 0; i < 3; i++) run();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    assert.equal(backend.numDataIds(), before.ids);
    model.dispose();
  });
});
