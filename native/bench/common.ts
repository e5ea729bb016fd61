/**
 * Shared pieces of the benchmarks: a seeded model of the built-in family, random batches shaped like
 * MNIST, a timer, and the per-kernel profiler (every wasm kernelFunc wrapped with a timer).
 */
import { forceConv2DBackpropFilterStrategy } from '../engine/kernels/conv2d-backprop-filter';
import { registerWasmKernels, restoreOriginalWasmKernels } from '../engine/kernels/register';
import { Rng } from '../engine/random';
import { tf } from '../engine/tf';
import { Classifier } from '../models/classifier';
import { CNN_ARCHS, type CnnArchName, buildCnn } from '../models/cnn';
import type { Batch } from '../training/samples';

export const MNIST_SHAPE: [number, number, number] = [28, 28, 1];
export const NUM_CLASSES = 10;

export function benchModel(arch: CnnArchName, seed = 1): Classifier {
  return new Classifier(buildCnn(CNN_ARCHS[arch], MNIST_SHAPE, NUM_CLASSES, seed));
}

/** A batch of uniform random images in [0, 1) with random labels (the caller disposes `x`). */
export function randomBatch(n: number, rng: Rng, shape = MNIST_SHAPE, k = NUM_CLASSES): Batch {
  const per = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(n * per);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) targets[i] = rng.int(k);
  return {
    x: tf.tensor4d(x, [n, shape[0], shape[1], shape[2]]),
    targets,
    weights: new Float32Array(n).fill(1),
    uniform: true,
  };
}

/**
 * With `true`, puts the wasm kernels back as they were before the training-speed work (tfjs's own
 * BatchMatMul and MaxPoolGrad, Conv2DBackpropFilter always by one convolution), to measure "before"
 * in the same process; `false` restores the current kernels.
 */
export function useBaselineKernels(baseline: boolean): void {
  if (baseline) {
    restoreOriginalWasmKernels(['BatchMatMul', 'MaxPoolGrad']);
    forceConv2DBackpropFilterStrategy('conv');
  } else {
    registerWasmKernels();
    forceConv2DBackpropFilterStrategy(undefined);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds of each of `reps` calls of `f` (after `warmup` untimed calls). */
export function timeCalls(f: () => void, reps: number, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) f();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Mean CPU milliseconds (user + system, this process) of a call of `f`: unlike wall-clock time, hardly
 * affected by other processes sharing the cores, so kernels can be compared on a busy machine.
 */
export function cpuMsPerCall(f: () => void, reps: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) f();
  const start = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / reps;
}

export interface KernelProfile {
  /** Total CPU milliseconds per kernel name (nested kernel calls are counted in both). */
  ms: Map<string, number>;
  calls: Map<string, number>;
}

/**
 * Wraps every registered wasm kernelFunc with a CPU-time meter (process.cpuUsage: robust to other
 * processes on the machine) while `f` runs, then restores the originals.
 * A kernel that runs other kernels through tf.getKernel (ours do) is counted with its children.
 */
export function profileKernels(f: () => void): KernelProfile {
  const ms = new Map<string, number>();
  const calls = new Map<string, number>();
  const originals = tf.getKernelsForBackend('wasm');
  for (const config of originals) {
    const inner = config.kernelFunc;
    const name = config.kernelName;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const t0 = process.cpuUsage();
        try {
          return inner(args);
        } finally {
          const used = process.cpuUsage(t0);
          ms.set(name, (ms.get(name) ?? 0) + (used.user + used.system) / 1000);
          calls.set(name, (calls.get(name) ?? 0) + 1);
        }
      },
    });
  }
  try {
    f();
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
  return { ms, calls };
}

export { Rng };
