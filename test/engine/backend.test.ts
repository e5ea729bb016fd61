import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeBackend, initBackend } from '../../native/engine/backend/select';
import { conv2DBackpropInputKernel } from '../../native/engine/kernels/conv2d-backprop-input';
import { tf } from '../../native/engine/tf';
import { UserError } from '../../native/errors';

function installed(module: string): boolean {
  try {
    require.resolve(module);
    return true;
  } catch {
    return false;
  }
}

const hasTensorflow = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

/** Collects console.warn / console.log output while `f` runs. */
async function captureConsole<T>(f: () => Promise<T> | T): Promise<{ result: T; printed: string }> {
  const { warn, log } = console;
  const lines: string[] = [];
  console.warn = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  try {
    return { result: await f(), printed: lines.join('\n') };
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

describe('initBackend', () => {
  it('picks wasm here, recording why tensorflow did not load', { skip: hasTensorflow }, async () => {
    const report = await initBackend();
    assert.equal(report.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(
      report.tried.map((t) => [t.name, t.ok]),
      [
        ['tensorflow', false],
        ['wasm', true],
      ],
    );
    assert.match(report.tried[0].reason ?? '', /@tensorflow\/tfjs-node.* not installed/);
    assert.match(
      describeBackend(report),
      /^backend wasm \(tensorflow: modules? @tensorflow\/tfjs-node.*not installed\)$/,
    );
  });

  it('registers the project kernels on wasm', async () => {
    await initBackend({ prefer: 'wasm' });
    for (const name of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'UnsortedSegmentSum',
    ]) {
      assert.ok(tf.getKernel(name, 'wasm'), `${name} is registered`);
    }
    assert.equal(
      tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc,
      conv2DBackpropInputKernel.kernelFunc,
    );
  });

  it('is harmless to call again', async () => {
    const {
      result: [a, b],
      printed,
    } = await captureConsole(() => Promise.all([initBackend(), initBackend()]));
    const c = await initBackend();
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
    assert.equal(tf.getBackend(), a.name);
    assert.equal(printed, '', 'no warning (e.g. "kernel already registered") on a second call');
    const y = tf.tidy(() =>
      tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid'),
    );
    assert.deepEqual(Array.from(y.dataSync()), Array(9).fill(4));
    y.dispose();
  });

  it("prefer: 'cpu' selects cpu, without the tfjs-node banner", async () => {
    const { result: report, printed } = await captureConsole(async () => {
      const r = await initBackend({ prefer: 'cpu' });
      tf.tidy(() => tf.ones([3]).add(1).dataSync());
      return r;
    });
    assert.deepEqual(report, { name: 'cpu', tried: [{ name: 'cpu', ok: true }] });
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(describeBackend(report), 'backend cpu');
    assert.doesNotMatch(printed, /looks like you are running TensorFlow\.js in Node\.js/);
    assert.equal((await initBackend({ prefer: 'wasm' })).name, 'wasm');
  });

  it("prefer: 'tensorflow' is an error when it does not load", { skip: hasTensorflow }, async () => {
    await assert.rejects(initBackend({ prefer: 'tensorflow' }), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /^the tensorflow backend could not load \(.*not installed\)$/);
      return true;
    });
  });

  it('never falls back to cpu silently when wasm fails', { skip: hasTensorflow }, async () => {
    const factory = tf.findBackendFactory('wasm');
    assert.ok(factory);
    await tf.setBackend('cpu');
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', () => Promise.reject(new Error('simulated wasm failure')), 2);
    try {
      const { result: error } = await captureConsole(() =>
        initBackend().then(
          () => undefined,
          (err: unknown) => err,
        ),
      );
      assert.ok(error instanceof UserError, 'a UserError');
      assert.equal(error.message.includes('\n'), false, 'one line');
      assert.match(error.message, /wasm backend could not load \(.*simulated wasm failure.*\)/);
      assert.match(error.message, /--backend cpu/);
      assert.match(error.message, /100x slower/);

      const { result: report } = await captureConsole(() => initBackend({ allowCpu: true }));
      assert.equal(report.name, 'cpu');
      assert.deepEqual(
        report.tried.map((t) => [t.name, t.ok]),
        [
          ['tensorflow', false],
          ['wasm', false],
          ['cpu', true],
        ],
      );
      assert.match(
        describeBackend(report),
        /^backend cpu \(tensorflow: .*; wasm: .*simulated wasm failure.*\)$/,
      );
    } finally {
      tf.removeBackend('wasm');
      tf.registerBackend('wasm', factory, 2);
    }
    const report = await initBackend({ prefer: 'wasm' });
    assert.equal(report.name, 'wasm');
    const y = tf.tidy(() => tf.ones([2]).add(1).dataSync());
    assert.deepEqual(Array.from(y), [2, 2]);
  });
});
