/**
 * Registers the wasm kernels that tfjs 4.22's wasm backend lacks (or implements slowly), so that
 * training on wasm has gradients for conv2d, depthwise conv and gather / embedding, at a decent speed:
 * Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter,
 * UnsortedSegmentSum (added), Conv2DBackpropInput, BatchMatMul, MaxPoolGrad, Slice, SplitV, Sum and Identity (replaced; the
 * originals are remembered, see originals.ts). See docs/kernels.md and, for the training-speed
 * kernels (BatchMatMul, MaxPoolGrad, Conv2DBackpropFilter's strategies), docs/bench.md.
 */
import { tf } from '../tf';
import { batchMatMulKernel } from './batch-mat-mul';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter';
import { conv2DBackpropInputKernel } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterKernel } from './depthwise-backprop-filter';
import { depthwiseConv2dNativeBackpropInputKernel } from './depthwise-backprop-input';
import { identityKernel } from './identity';
import { maxPoolGradKernel } from './max-pool-grad';
import { originalWasmKernel, rememberOriginal, rememberedOriginals } from './originals';
import { sliceKernel, splitVKernel } from './slice';
import { sumKernel } from './sum';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum';

export const wasmKernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterKernel,
  conv2DBackpropInputKernel,
  depthwiseConv2dNativeBackpropInputKernel,
  depthwiseConv2dNativeBackpropFilterKernel,
  unsortedSegmentSumKernel,
  batchMatMulKernel,
  maxPoolGradKernel,
  sliceKernel,
  splitVKernel,
  sumKernel,
  identityKernel,
];

/**
 * Registers (or re-registers) the kernels of `wasmKernels` for the 'wasm' backend, replacing any kernel
 * of the same name (the replaced one is remembered). Idempotent; returns the names of the kernels
 * registered.
 */
export function registerWasmKernels(): string[] {
  for (const kernel of wasmKernels) {
    const current = tf.getKernel(kernel.kernelName, 'wasm');
    if (current?.kernelFunc === kernel.kernelFunc) continue;
    if (current != null) {
      if (!wasmKernels.some((k) => k.kernelFunc === current.kernelFunc)) rememberOriginal(current);
      tf.unregisterKernel(kernel.kernelName, 'wasm');
    }
    // The backend runs the setupFunc of the kernels registered when it initializes: the original's
    // (which binds its wasm function) must still run, for ours to delegate to it or for a restore.
    const original = originalWasmKernel(kernel.kernelName);
    const setups = [original?.setupFunc, kernel.setupFunc].filter((f) => f != null);
    tf.registerKernel(
      setups.length === 0 ? kernel : { ...kernel, setupFunc: (backend) => setups.forEach((f) => f(backend)) },
    );
  }
  return wasmKernels.map((k) => k.kernelName);
}

/**
 * Puts tfjs's own wasm kernels back in place of ours, for the names given (default: every replaced one),
 * to benchmark the "before" state; `registerWasmKernels()` undoes it. Returns the names restored.
 * (BatchMatMul's original stays reachable: ours delegates to it.)
 */
export function restoreOriginalWasmKernels(names?: readonly string[]): string[] {
  const restored: string[] = [];
  for (const [name, config] of rememberedOriginals()) {
    if (names && !names.includes(name)) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
    restored.push(name);
  }
  return restored;
}
