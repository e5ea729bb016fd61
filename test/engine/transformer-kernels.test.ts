/**
 * The wasm kernels replaced for transformer training speed (Slice, SplitV, Sum over leading axes,
 * Identity) against the cpu backend's, plus their memory accounting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';

const rng = new Rng(77);

interface Host {
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

function host(shape: number[], dtype: 'float32' | 'int32' = 'float32'): Host {
  const n = tf.util.sizeFromShape(shape);
  const values =
    dtype === 'float32'
      ? Float32Array.from({ length: n }, () => rng.normal())
      : Int32Array.from({ length: n }, () => rng.int(1000) - 500);
  return { shape, dtype, values };
}

/** Runs one kernel on `backend`; returns every output's shape, dtype and values. */
async function run(backend: 'cpu' | 'wasm', kernel: string, x: Host, attrs: tf.NamedAttrMap) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = tf.engine().runKernel(kernel, { x: tf.tensor(x.values, x.shape, x.dtype) }, attrs);
    const list = Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
    return list.map((t) => ({
      shape: t.shape,
      dtype: t.dtype,
      values: Array.from(t.dataSync() as Float32Array),
    }));
  });
}

async function sameAsCpu(kernel: string, x: Host, attrs: tf.NamedAttrMap, tol = 0) {
  const expected = await run('cpu', kernel, x, attrs);
  const actual = await run('wasm', kernel, x, attrs);
  const what = `${kernel} [${x.shape}] ${x.dtype} ${JSON.stringify(attrs)}`;
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => {
    assert.deepEqual(a.shape, expected[i].shape, what);
    assert.equal(a.dtype, expected[i].dtype, what);
    a.values.forEach((v, j) => {
      const e = expected[i].values[j];
      assert.ok(
        Math.abs(v - e) <= tol * (1 + Math.abs(e)),
        `${what}: output ${i} element ${j} is ${v}, expected ${e}`,
      );
    });
  });
}

describe('transformer kernels on wasm match the cpu backend', () => {
  before(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  it('Slice (replaced): contiguous and strided boxes, ranks 1 to 5, int32, size -1, empty', async () => {
    const cases: [Host, number[], number[]][] = [
      [host([10]), [3], [4]],
      [host([64, 8, 4]), [5, 0, 0], [1, 8, 4]],
      [host([6, 40]), [1, 3], [4, 30]],
      [host([6, 5]), [2, 1], [3, -1]],
      [host([4, 6, 5]), [1, 2, 1], [2, 3, 3]],
      [host([3, 4, 5, 6]), [0, 1, 2, 3], [3, 2, 2, 2]],
      [host([2, 3, 4, 5, 20]), [1, 0, 1, 2, 2], [1, 3, 2, 2, 17]],
      [host([5, 7], 'int32'), [1, 2], [3, 4]],
      [host([5, 7]), [2, 0], [0, 7]],
    ];
    for (const [x, begin, size] of cases) await sameAsCpu('Slice', x, { begin, size });
  });

  it('SplitV (replaced): by count and by sizes, on every axis', async () => {
    await sameAsCpu('SplitV', host([4, 96]), { numOrSizeSplits: 3, axis: 1 });
    await sameAsCpu('SplitV', host([6, 5, 4]), { numOrSizeSplits: [1, 2, 3], axis: 0 });
    await sameAsCpu('SplitV', host([2, 7, 3]), { numOrSizeSplits: [4, -1], axis: -2 });
    await sameAsCpu('SplitV', host([3, 8], 'int32'), { numOrSizeSplits: 2, axis: -1 });
  });

  it('Sum (replaced for leading axes): keepDims or not; other reductions still right', async () => {
    const cases: [Host, number[], boolean][] = [
      [host([1024, 37]), [0], false],
      [host([16, 8, 12]), [0, 1], false],
      [host([16, 8, 12]), [1, 0], true],
      [host([5, 6, 7]), [1], false], // not leading: the original
      [host([5, 6, 7]), [0, 2], true],
      [host([5, 6]), [0, 1], false], // every axis: the original
      [host([9, 4], 'int32'), [0], false],
    ];
    for (const [x, axis, keepDims] of cases) await sameAsCpu('Sum', x, { axis, keepDims }, 1e-5);
  });

  it('Identity (replaced) shares the data: a clone outlives its source, memory is released', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const memory = () => ({ ...tf.memory(), ids: backend.numDataIds() });
    const before = memory();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
    y.dispose();
    assert.deepEqual(memory(), before);
    // The gradient tape saves (clones) the inputs of mul: d/dt sum(t[:, 1] * t[:, 0]) = (t[:, 1], t[:, 0]).
    const t = tf.tensor([1, 2, 3, 4], [2, 2]);
    const g = tf.grad((v: tf.Tensor) =>
      tf.sum(tf.mul(tf.slice(v, [0, 1], [2, 1]), tf.slice(v, [0, 0], [2, 1]))),
    )(t);
    assert.deepEqual(Array.from(g.dataSync()), [2, 1, 4, 3]);
    tf.dispose([t, g]);
    assert.deepEqual(memory(), before);
  });

  it('leave no tensor, byte or wasm buffer behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(host([8, 6, 10]).values, [8, 6, 10]);
    const work = () =>
      tf.tidy(() => {
        const parts = tf.split(x, [2, 3, 5], 2);
        const s = tf.sum(tf.slice(x, [1, 1, 1], [6, 4, 8]), [0, 1]);
        const c = tf.clone(parts[1]);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.split(t, 2, 0)[0], 2)))(x);
        return [s, c, g];
      });
    tf.dispose(work());
    const backend = tf.backend();
    const before = { ...tf.memory(), ids: backend.numDataIds() };
    for (let i = 0; i < 3; i++) tf.dispose(work());
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    assert.equal(backend.numDataIds(), before.ids);
    x.dispose();
  });
});
