/**
 * The GPT model: configuration checks, GPT-2 names and initialisation, causality and padding, gradients
 * against central finite differences (cpu), wasm against cpu (loss and every gradient, through gather,
 * layer norm, attention and softmax), training steps, cloning and tensor hygiene.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { UserError } from '../../native/errors';
import { type GptConfig, validateGptConfig } from '../../native/llm/model/config';
import { GptModel } from '../../native/llm/model/gpt';
import { maxAbsDiff, randomGpt } from './fixture';

const TINY: GptConfig = {
  vocabSize: 11,
  nPositions: 8,
  nEmbd: 8,
  nLayer: 2,
  nHead: 2,
  layerNormEpsilon: 1e-5,
};
const IDS = [
  [1, 4, 9, 2, 7, 3],
  [10, 0, 5, 5, 6, 8],
];
const TARGETS = [
  [4, 9, 2, 7, 3, 1],
  [0, 5, 5, 6, 8, 2],
];

/** Mean next-token cross-entropy, written out (log-softmax, one-hot pick). */
function loss(model: GptModel): tf.Scalar {
  return tf.tidy(() => {
    const logits = model.logits(tf.tensor2d(IDS, [2, 6], 'int32'));
    const picked = tf.sum(
      tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(TARGETS, [2, 6], 'int32'), TINY.vocabSize)),
      -1,
    );
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

function lossValue(model: GptModel): number {
  const l = loss(model);
  const v = l.dataSync()[0];
  l.dispose();
  return v;
}

/** Loss and gradients (by GPT-2 weight name) on the current backend. */
function lossAndGrads(model: GptModel): { value: number; grads: Map<string, Float32Array> } {
  const { value, grads } = tf.variableGrads(() => loss(model), model.variables);
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.namedWeights()) out.set(name, grads[v.name].dataSync() as Float32Array);
  const result = { value: value.dataSync()[0], grads: out };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

function hostWeights(model: GptModel): Map<string, Float32Array> {
  return new Map([...model.namedWeights()].map(([n, v]) => [n, (v.dataSync() as Float32Array).slice()]));
}

describe('GPT model', () => {
  before(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  it('validates its configuration', () => {
    assert.deepEqual(validateGptConfig({ ...TINY, extra: 1 }), TINY);
    const bad: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ ...TINY, nLayer: undefined }, /has no nLayer/],
      [{ ...TINY, nHead: 0 }, /nHead must be a positive integer, got 0/],
      [{ ...TINY, vocabSize: 2.5 }, /vocabSize must be a positive integer/],
      [{ ...TINY, layerNormEpsilon: -1 }, /layerNormEpsilon must be in \(0, 1\)/],
      [{ ...TINY, nHead: 3 }, /nEmbd \(8\) is not a multiple of nHead \(3\)/],
    ];
    for (const [c, pattern] of bad) {
      assert.throws(
        () => validateGptConfig(c),
        (e: Error) => e instanceof UserError && pattern.test(e.message),
      );
    }
  });

  it("has GPT-2's weight names and shapes, and GPT-2's initialisation, deterministic from the seed", () => {
    const config = { ...TINY, nEmbd: 64, nHead: 4, vocabSize: 300 };
    const model = GptModel.create(config, 7);
    const named = model.namedWeights();
    const shapes = Object.fromEntries([...named].map(([n, v]) => [n, v.shape]));
    assert.deepEqual(Object.keys(shapes).slice(0, 14), [
      'wte.weight',
      'wpe.weight',
      'h.0.ln_1.weight',
      'h.0.ln_1.bias',
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_attn.bias',
      'h.0.attn.c_proj.weight',
      'h.0.attn.c_proj.bias',
      'h.0.ln_2.weight',
      'h.0.ln_2.bias',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_fc.bias',
      'h.0.mlp.c_proj.weight',
      'h.0.mlp.c_proj.bias',
    ]);
    assert.equal(named.size, 2 + 12 * 2 + 2);
    assert.deepEqual(shapes['h.1.attn.c_attn.weight'], [64, 192]);
    assert.deepEqual(shapes['h.1.mlp.c_proj.weight'], [256, 64]);
    assert.deepEqual(model.variables, [...named.values()]);
    assert.ok(model.variables.every((v) => v.trainable && v.dtype === 'float32'));
    const std = (name: string) => {
      const x = Array.from(named.get(name)!.dataSync());
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      return Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    };
    assert.ok(Math.abs(std('wte.weight') - 0.02) < 0.001);
    assert.ok(Math.abs(std('h.0.attn.c_attn.weight') - 0.02) < 0.001);
    assert.ok(Math.abs(std('h.1.mlp.c_proj.weight') - 0.02 / Math.sqrt(4)) < 0.0007);
    assert.ok(
      named
        .get('h.0.ln_1.weight')!
        .dataSync()
        .every((v) => v === 1),
    );
    assert.ok(
      named
        .get('h.0.mlp.c_fc.bias')!
        .dataSync()
        .every((v) => v === 0),
    );
    const same = GptModel.create(config, 7);
    const other = GptModel.create(config, 8);
    assert.deepEqual(hostWeights(same), hostWeights(model));
    assert.notDeepEqual(hostWeights(other).get('wte.weight'), hostWeights(model).get('wte.weight'));
    for (const m of [model, same, other]) m.dispose();
  });

  it('is causal: a position never depends on later tokens (so right padding is harmless)', () => {
    const model = randomGpt(TINY, 1);
    const a = tf.tidy(() => model.logits(tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32')).arraySync()[0]);
    const b = tf.tidy(() => model.logits(tf.tensor2d([[1, 2, 3, 9, 0, 0]], [1, 6], 'int32')).arraySync()[0]);
    const short = tf.tidy(() => model.logits(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')).arraySync()[0]);
    assert.ok(maxAbsDiff(a.slice(0, 3).flat(), b.slice(0, 3).flat()) <= 1e-6);
    assert.ok(maxAbsDiff(a.slice(0, 3).flat(), short.flat()) <= 1e-6);
    assert.ok(maxAbsDiff(a[3], b[3]) > 1e-3); // the changed token does matter where it is seen
    model.dispose();
  });

  it('logits(ids) = logitsFromEmbeddings(embedTokens(ids)), embeddings being rows of wte', () => {
    const model = randomGpt(TINY, 2);
    tf.tidy(() => {
      const ids = tf.tensor2d(IDS, [2, 6], 'int32');
      const emb = model.embedTokens(ids);
      assert.deepEqual(emb.shape, [2, 6, 8]);
      const wte = model.namedWeights().get('wte.weight')!.arraySync() as number[][];
      assert.deepEqual(emb.arraySync()[1][2], wte[IDS[1][2]].map(Math.fround));
      assert.deepEqual(model.logits(ids).dataSync(), model.logitsFromEmbeddings(emb).dataSync());
    });
    assert.throws(
      () => model.logits(tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8, 9]], [1, 9], 'int32')),
      /exceeds the model's context of 8/,
    );
    model.dispose();
  });

  it('has the gradients of central finite differences (cpu backend)', async (t) => {
    await tf.setBackend('cpu');
    const model = randomGpt(TINY, 3);
    const { grads } = lossAndGrads(model);
    const rng = new Rng(11);
    const eps = 1e-2;
    const analytic: number[] = [];
    const numeric: number[] = [];
    for (const [name, variable] of model.namedWeights()) {
      const values = (variable.dataSync() as Float32Array).slice();
      for (let k = 0; k < 3; k++) {
        const i = rng.int(values.length);
        const at = (delta: number) => {
          const moved = values.slice();
          moved[i] += delta;
          variable.assign(tf.tensor(moved, variable.shape));
          return lossValue(model);
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        variable.assign(tf.tensor(values, variable.shape));
        const g = grads.get(name)![i];
        assert.ok(
          Math.abs(fd - g) <= 2e-3 + 3e-2 * Math.abs(g),
          `${name}[${i}]: analytic ${g}, finite differences ${fd}`,
        );
        analytic.push(g);
        numeric.push(fd);
      }
    }
    const norm = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    const rel = norm(analytic.map((g, j) => g - numeric[j])) / norm(analytic);
    t.diagnostic(
      `${analytic.length} sampled weights: relative error of the gradient ${rel.toExponential(2)}`,
    );
    assert.ok(rel < 2e-3, `relative error ${rel}`);
    model.dispose();
    await tf.setBackend('wasm');
  });

  it('has the input-embedding gradient of finite differences (for Integrated Gradients)', async () => {
    await tf.setBackend('cpu');
    const model = randomGpt(TINY, 4);
    const emb = tf.tidy(() => model.embedTokens(tf.tensor2d([IDS[0]], [1, 6], 'int32')));
    const f = (x: tf.Tensor) =>
      tf.tidy(() =>
        tf.sum(
          tf.mul(model.logitsFromEmbeddings(x as tf.Tensor3D), tf.range(0, 66).reshape([1, 6, 11]).div(66)),
        ),
      );
    const grad = tf.grad(f)(emb);
    const g = grad.dataSync();
    const base = emb.dataSync() as Float32Array;
    const eps = 1e-2;
    for (const i of [0, 9, 17, 30, 47]) {
      const at = (d: number) => {
        const moved = base.slice();
        moved[i] += d;
        return tf.tidy(() => f(tf.tensor3d(moved, [1, 6, 8])).dataSync()[0]);
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      assert.ok(
        Math.abs(fd - g[i]) <= 2e-3 + 3e-2 * Math.abs(g[i]),
        `x[${i}]: analytic ${g[i]}, finite differences ${fd}`,
      );
    }
    tf.dispose([emb, grad]);
    model.dispose();
    await tf.setBackend('wasm');
  });

  it('gives the same loss and gradients on wasm as on cpu (gather, layer norm, attention, softmax, gelu)', async () => {
    const host = hostWeights(randomGpt(TINY, 5));
    const results = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const model = GptModel.fromWeights(TINY, host);
      results.push(lossAndGrads(model));
      model.dispose();
    }
    const [cpu, wasm] = results;
    assert.ok(Math.abs(cpu.value - wasm.value) <= 1e-5, `${cpu.value} vs ${wasm.value}`);
    for (const [name, g] of cpu.grads) {
      const scale = Math.max(...g.map(Math.abs));
      assert.ok(scale > 0, `${name} has a zero gradient`);
      assert.ok(maxAbsDiff(wasm.grads.get(name)!, g) <= 1e-5 + 1e-4 * scale, `${name}`);
    }
  });

  it('trains on wasm with an optimizer (loss falls on a repeated batch)', () => {
    const model = GptModel.create(TINY, 9);
    const optimizer = tf.train.adam(1e-2);
    const first = lossValue(model);
    for (let step = 0; step < 40; step++) {
      const l = optimizer.minimize(() => loss(model), true, model.variables);
      l?.dispose();
    }
    const last = lossValue(model);
    assert.ok(last < first * 0.5, `loss ${first} -> ${last}`);
    optimizer.dispose();
    model.dispose();
  });

  it('clones into independent weights', () => {
    const model = randomGpt(TINY, 6);
    const copy = model.clone();
    assert.deepEqual(hostWeights(copy), hostWeights(model));
    assert.notEqual(copy.variables[0].name, model.variables[0].name);
    const before = lossValue(model);
    copy
      .namedWeights()
      .get('wte.weight')!
      .assign(tf.zeros([11, 8]));
    assert.equal(lossValue(model), before);
    model.dispose();
    assert.ok(Number.isFinite(lossValue(copy)));
    assert.throws(() => model.logits(tf.tensor2d([[1]], [1, 1], 'int32')), /disposed/);
    copy.dispose();
  });

  it('leaves no tensor behind: forward passes, gradients, KV-cache passes', () => {
    const model = randomGpt(TINY, 7);
    const ids = tf.tensor2d(IDS, [2, 6], 'int32');
    const backend = tf.backend();
    const run = () => {
      const logits = model.logits(ids);
      const emb = model.embedTokens(ids);
      const again = model.logitsFromEmbeddings(emb);
      lossAndGrads(model);
      const first = model.forward(emb);
      const step = tf.slice(emb, [0, 0, 0], [2, 1, 8]) as tf.Tensor3D;
      const next = model.forward(step, first.present);
      tf.dispose([
        logits,
        emb,
        step,
        again,
        first.logits,
        next.logits,
        ...[first, next].flatMap((r) => r.present.flatMap((kv) => [kv.k, kv.v])),
      ]);
    };
    run();
    const before = { ...tf.memory(), ids: backend.numDataIds() };
    for (let i = 0; i < 3; i++) run();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    assert.equal(backend.numDataIds(), before.ids);
    // Each call returns exactly its result.
    for (const call of [
      () => model.logits(ids),
      () => model.embedTokens(ids),
      () => tf.tidy(() => tf.keep(model.logitsFromEmbeddings(model.embedTokens(ids)))),
    ]) {
      const out = call();
      assert.equal(tf.memory().numTensors, before.numTensors + 1);
      out.dispose();
    }
    ids.dispose();
    model.dispose();
  });
});
