/**
 * Slice and SplitV for the wasm backend, replacing tfjs 4.22's own, which copy the whole input out of
 * the wasm heap (backend.readSync) at every call before slicing it: taking one [1, 64, 32] product out
 * of a [64, 64, 32] batch cost ~2-5 ms, and the batched attention products (BatchMatMul, which slices
 * its batch) were dominated by it. Here the input is read through a view of the heap, so a slice costs
 * what it copies. String tensors go to the original kernels.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf';
import { originalWasmKernel } from './originals';
import type { TensorInfo } from './wasm-ops';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Copies the box [begin, begin + size) of x (row-major, `shape`) into out, from dimension `d` on. */
function copyBox(
  src: Heap,
  out: Heap,
  strides: number[],
  begin: number[],
  size: number[],
  d: number,
  srcOffset: number,
  outOffset: number,
): number {
  const last = size.length - 1;
  if (d === last) {
    const start = srcOffset + begin[d];
    const n = size[d];
    if (n >= 16) out.set(src.subarray(start, start + n), outOffset);
    else for (let i = 0; i < n; i++) out[outOffset + i] = src[start + i];
    return outOffset + n;
  }
  for (let i = 0; i < size[d]; i++) {
    outOffset = copyBox(
      src,
      out,
      strides,
      begin,
      size,
      d + 1,
      srcOffset + (begin[d] + i) * strides[d],
      outOffset,
    );
  }
  return outOffset;
}

/** The slice of x at begin (already normalized, see slice_util.parseSliceParams) of the given size. */
function sliceWasm(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  // Views taken after the allocation (which may grow, and so detach, the heap).
  const outVals = backend.typedArrayFromHeap(out) as Heap;
  const xVals = backend.typedArrayFromHeap(x) as Heap;
  const strides = tf.util.computeStrides(x.shape);
  if (x.shape.length === 0) {
    outVals[0] = xVals[0];
  } else if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = tf.slice_util.computeFlatOffset(begin, strides);
    outVals.set(xVals.subarray(offset, offset + tf.util.sizeFromShape(size)));
  } else {
    copyBox(xVals, outVals, [...strides, 1], begin, size, 0, 0, 0);
  }
  return out;
}

function original(name: string): tf.KernelConfig {
  const config = originalWasmKernel(name);
  if (config == null) throw new Error(`${name} (wasm): the original wasm kernel was not recorded`);
  return config;
}

export const sliceKernel: tf.KernelConfig = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original('Slice').kernelFunc(args);
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin_, size_);
    return sliceWasm(args.backend as BackendWasm, x, begin_, size_);
  },
};

export const splitVKernel: tf.KernelConfig = {
  kernelName: 'SplitV',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original('SplitV').kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[$axis] = s;
      const part = sliceWasm(args.backend as BackendWasm, x, begin, size);
      begin[$axis] += s;
      return part;
    });
  },
};
