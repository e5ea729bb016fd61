/**
 * Micro-benchmarks of the training-speed kernels against what they replace, on the shapes of a
 * training step of cnn-ref / cnn-small (batch 64): CPU ms per call, best of interleaved rounds, with
 * fresh inputs every call (XNNPACK caches packed weights per tensor: re-using a tensor would flatter
 * the GEMM-based paths).
 *
 *   node dist/native/bench/kernels.js [--rounds 5]
 */
import { initBackend } from '../engine/backend/select';
import {
  type Conv2DBackpropFilterStrategy,
  forceConv2DBackpropFilterStrategy,
} from '../engine/kernels/conv2d-backprop-filter';
import { originalWasmKernel } from '../engine/kernels/originals';
import { tf } from '../engine/tf';

/** Best CPU ms per call of each candidate, over `rounds` interleaved rounds of `reps` calls. */
function compare(candidates: Record<string, () => void>, rounds: number, reps = 2): Record<string, number> {
  const best: Record<string, number> = {};
  for (const f of Object.values(candidates)) f();
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(candidates)) {
      const start = process.cpuUsage();
      for (let i = 0; i < reps; i++) f();
      const used = process.cpuUsage(start);
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, (used.user + used.system) / 1000 / reps);
    }
  }
  return best;
}

/** Runs `kernel` on copies of `inputs` made by a cheap wasm op (so that every call sees new tensors). */
function runFresh(kernel: tf.KernelConfig, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): void {
  tf.tidy(() => {
    const fresh: Record<string, tf.TensorInfo> = {};
    for (const [k, v] of Object.entries(inputs)) fresh[k] = tf.relu(v);
    const out = kernel.kernelFunc({ inputs: fresh, attrs, backend: tf.backend() }) as tf.TensorInfo;
    tf.engine().makeTensorFromTensorInfo(out);
  });
}

function report(what: string, best: Record<string, number>): void {
  const cells = Object.entries(best).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  console.log(`${what.padEnd(46)} ${cells.join('  ')}`);
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--rounds');
  const rounds = i >= 0 ? Number(argv[i + 1]) : 5;
  await initBackend({ prefer: 'wasm' });
  const current = (name: string) => tf.getKernel(name, 'wasm')!;
  const original = (name: string) => originalWasmKernel(name)!;
  const noop = (inputs: Record<string, tf.Tensor>) => () =>
    tf.tidy(() => {
      for (const v of Object.values(inputs)) tf.relu(v);
    });
  console.log('CPU ms per call (best of rounds); "copies" = the cost of the fresh input copies alone');

  const matmuls: [string, number[], number[], boolean, boolean][] = [
    ['dense dx = dy W^T (cnn-small)', [64, 128], [3136, 128], false, true],
    ['dense dW = x^T dy (cnn-small)', [64, 3136], [64, 128], true, false],
    ['dense dx = dy W^T (cnn-ref)', [64, 64], [1568, 64], false, true],
    ['im2col-like A^T B', [12544, 144], [12544, 32], true, false],
    ['batch of 4 products', [4, 300, 200], [4, 200, 400], false, false],
  ];
  for (const [what, as, bs, transposeA, transposeB] of matmuls) {
    const inputs = { a: tf.randomNormal(as), b: tf.randomNormal(bs) };
    const attrs = { transposeA, transposeB };
    report(
      `BatchMatMul ${what}`,
      compare(
        {
          ours: () => runFresh(current('BatchMatMul'), inputs, attrs),
          tfjs: () => runFresh(original('BatchMatMul'), inputs, attrs),
          copies: noop(inputs),
        },
        rounds,
      ),
    );
    tf.dispose(Object.values(inputs));
  }

  for (const shape of [
    [64, 28, 28, 32],
    [64, 14, 14, 64],
    [64, 28, 28, 16],
  ]) {
    const input = tf.relu(tf.randomNormal(shape));
    const output = tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid');
    const inputs = { dy: tf.randomNormal(output.shape), input, output };
    const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
    report(
      `MaxPoolGrad x [${shape}] 2x2/2`,
      compare(
        {
          ours: () => runFresh(current('MaxPoolGrad'), inputs, attrs),
          tfjs: () => runFresh(original('MaxPoolGrad'), inputs, attrs),
          copies: noop(inputs),
        },
        rounds,
      ),
    );
    tf.dispose(Object.values(inputs));
  }

  const convs: [number[], number][] = [
    [[64, 28, 28, 1], 16],
    [[64, 28, 28, 1], 32],
    [[64, 14, 14, 16], 32],
    [[64, 14, 14, 32], 64],
    [[64, 28, 28, 3], 32],
    [[64, 14, 14, 4], 32],
  ];
  for (const [xs, co] of convs) {
    const inputs = { x: tf.randomNormal(xs), dy: tf.randomNormal([...xs.slice(0, 3), co]) };
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, xs[3], co] };
    const strategy = (s: Conv2DBackpropFilterStrategy | undefined) => () => {
      forceConv2DBackpropFilterStrategy(s);
      try {
        runFresh(current('Conv2DBackpropFilter'), inputs, attrs);
      } finally {
        forceConv2DBackpropFilterStrategy(undefined);
      }
    };
    report(
      `Conv2DBackpropFilter x [${xs}] -> ${co}`,
      compare(
        {
          chosen: strategy(undefined),
          conv: strategy('conv'),
          im2col: strategy('im2col'),
          'im2col-t': strategy('im2col-t'),
          copies: noop(inputs),
        },
        rounds,
      ),
    );
    tf.dispose(Object.values(inputs));
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
