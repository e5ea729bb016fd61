/**
 * Registers the wasm kernels that tfjs 4.22's wasm backend lacks (or implements naively), so that
 * training on wasm has gradients for conv2d, depthwise conv and gather / embedding:
 * Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter,
 * UnsortedSegmentSum (added) and Conv2DBackpropInput (replaced). See docs/kernels.md.
 */
import { tf } from '../tf';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter';
import { conv2DBackpropInputKernel } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterKernel } from './depthwise-backprop-filter';
import { depthwiseConv2dNativeBackpropInputKernel } from './depthwise-backprop-input';
import { unsortedSegmentSumKernel } from './unsorted-segment-sum';

export const wasmKernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterKernel,
  conv2DBackpropInputKernel,
  depthwiseConv2dNativeBackpropInputKernel,
  depthwiseConv2dNativeBackpropFilterKernel,
  unsortedSegmentSumKernel,
];

/**
 * Registers (or re-registers) the kernels of `wasmKernels` for the 'wasm' backend, replacing any kernel
 * of the same name. Idempotent; returns the names of the kernels registered.
 */
export function registerWasmKernels(): string[] {
  for (const kernel of wasmKernels) {
    const current = tf.getKernel(kernel.kernelName, 'wasm');
    if (current?.kernelFunc === kernel.kernelFunc) continue;
    if (current != null) tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel(kernel);
  }
  return wasmKernels.map((k) => k.kernelName);
}
