/**
 * Helpers shared by the wasm kernels of this folder: they compose the wasm backend's own kernels
 * (Conv2D, PadV2, Transpose...) on TensorInfos, and free every intermediate they create.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf';

export type TensorInfo = tf.TensorInfo;
export type Attrs = tf.NamedAttrMap;

/** A [before, after] amount per dimension; a negative amount crops instead of padding. */
export type PadOrCrop = [number, number][];

/**
 * Runs wasm kernels inside another kernel's body. Every output is remembered and freed by `dispose()`
 * unless it was handed to `keep()` (the kernel's own result).
 */
export class WasmOps {
  private readonly owned: TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (kernel == null) throw new Error(`the wasm backend has no ${kernelName} kernel`);
    return this.runKernel(kernel, inputs, attrs);
  }

  /** Like `run`, with a given kernel config (e.g. tfjs's original of a kernel we replaced). */
  runKernel(kernel: tf.KernelConfig, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`the wasm ${kernel.kernelName} kernel returned several tensors`);
    this.owned.push(out);
    return out;
  }

  /** A new tensor filled with `values` (kept by the scope like any other intermediate). */
  fromValues(shape: number[], dtype: 'float32' | 'int32', values: Float32Array | Int32Array): TensorInfo {
    const out = this.backend.makeOutput(shape, dtype, undefined, values);
    this.owned.push(out);
    return out;
  }

  /**
   * A new, uninitialized tensor on the wasm heap (kept by the scope like any other intermediate), to be
   * written through `backend.typedArrayFromHeap` -- a view to take after the last allocation, since an
   * allocation may grow, and so detach, the heap.
   */
  alloc(shape: number[], dtype: 'float32' | 'int32' = 'float32'): TensorInfo {
    const out = this.backend.makeOutput(shape, dtype);
    this.owned.push(out);
    return out;
  }

  /** The float32 tensors `parts` (same shape [1, ...rest]) stacked along axis 0: [parts.length, ...rest]. */
  stack0(parts: TensorInfo[]): TensorInfo {
    const size = tf.util.sizeFromShape(parts[0].shape);
    const out = this.alloc([parts.length, ...parts[0].shape.slice(1)]);
    const view = this.backend.typedArrayFromHeap(out) as Float32Array;
    parts.forEach((p, i) => view.set(this.backend.typedArrayFromHeap(p) as Float32Array, i * size));
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /**
   * Swaps the last two axes of a float32 tensor. tfjs's wasm Transpose is a plain loop that slows to
   * ~7 ns per element on large matrices whose both sides are long ([50176, 32] 11.6 ms: cache
   * conflicts); those go through a JS loop over 32x32 tiles instead (~2 ns per element; 2.8 ms).
   * Smaller or thin ones stay with the wasm kernel, faster there.
   */
  transposeLast2(x: TensorInfo): TensorInfo {
    const rank = x.shape.length;
    const rows = x.shape[rank - 2];
    const cols = x.shape[rank - 1];
    const batch = tf.util.sizeFromShape(x.shape.slice(0, -2));
    const perm = Array.from({ length: rank }, (_, i) => i);
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    if (x.dtype !== 'float32' || rows * cols < 262144 || Math.min(rows, cols) < 16) {
      return this.transpose(x, perm);
    }
    const out = this.alloc(perm.map((p) => x.shape[p]));
    const dst = this.backend.typedArrayFromHeap(out) as Float32Array;
    const src = this.backend.typedArrayFromHeap(x) as Float32Array;
    const tile = 32;
    for (let b = 0, base = 0; b < batch; b++, base += rows * cols) {
      for (let r0 = 0; r0 < rows; r0 += tile) {
        const r1 = Math.min(rows, r0 + tile);
        for (let c0 = 0; c0 < cols; c0 += tile) {
          const c1 = Math.min(cols, c0 + tile);
          for (let c = c0; c < c1; c++) {
            let s = base + r0 * cols + c;
            let d = base + c * rows + r0;
            for (let r = r0; r < r1; r++, s += cols) dst[d++] = src[s];
          }
        }
      }
    }
    return out;
  }

  zeros(shape: number[], dtype: tf.DataType = 'float32'): TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype });
  }

  /**
   * Pads (positive amounts) and crops (negative amounts) each dimension with zeros, the result having
   * before + size + after elements along each dimension -- but only does the cropping (a Slice, when
   * needed): returns the cropped tensor and the (non-negative) zero padding still to apply, which a
   * kernel that pads by itself (Conv2D, DepthwiseConv2dNative) does without a copy.
   */
  cropOnly(x: TensorInfo, amounts: PadOrCrop): { cropped: TensorInfo; pads: [number, number][] } {
    const begin: number[] = [];
    const size: number[] = [];
    const pads: [number, number][] = [];
    const outShape: number[] = [];
    let crops = false;
    let empty = false;
    amounts.forEach(([before, after], i) => {
      const n = x.shape[i];
      const total = before + n + after;
      if (total < 0) throw new Error(`cropOnly: negative size along dimension ${i}`);
      // Elements [first, last) of x survive; the rest of the window is zeros.
      const first = Math.min(n, Math.max(0, -before));
      const last = Math.max(first, Math.min(n, total - before));
      const padBefore = Math.min(total, Math.max(0, before));
      begin.push(first);
      size.push(last - first);
      pads.push([padBefore, total - padBefore - (last - first)]);
      outShape.push(total);
      if (first > 0 || last < n) crops = true;
      if (last === first) empty = true;
    });
    if (empty) return { cropped: this.zeros(outShape, x.dtype), pads: amounts.map(() => [0, 0]) };
    return { cropped: crops ? this.run('Slice', { x }, { begin, size }) : x, pads };
  }

  /**
   * Inserts stride-1 zeros after every row / column of an NHWC tensor ("dilates" it by the stride):
   * [N, H, W, C] -> [N, H*sh, W*sw, C], the last sh-1 rows and sw-1 columns being zeros.
   */
  dilateNHWC(x: TensorInfo, strideHeight: number, strideWidth: number): TensorInfo {
    if (strideHeight === 1 && strideWidth === 1) return x;
    const [n, h, w, c] = x.shape;
    const x6 = this.reshape(x, [n, h, 1, w, 1, c]);
    const padded = this.run(
      'PadV2',
      { x: x6 },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, strideHeight - 1],
          [0, 0],
          [0, strideWidth - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    return this.reshape(padded, [n, h * strideHeight, w * strideWidth, c]);
  }

  /**
   * Marks `info` as the kernel's result: `dispose()` will not free it. A kernel must not return one of
   * its inputs as is (without a reference of its own), so an input goes through Identity first (which
   * counts a new reference to the data, see identity.ts).
   */
  keep(info: TensorInfo): TensorInfo {
    let i = this.owned.lastIndexOf(info);
    if (i < 0) {
      info = this.run('Identity', { x: info });
      i = this.owned.length - 1;
    }
    this.owned.splice(i, 1);
    return info;
  }

  /** Frees every intermediate (a reshape shares its input's data: the refcount handles that). */
  dispose(): void {
    for (const info of this.owned) this.backend.disposeData(info.dataId);
    this.owned.length = 0;
  }
}

/** Runs `body` with a fresh WasmOps scope and returns its result, every intermediate freed. */
export function withWasmOps(backend: unknown, body: (ops: WasmOps) => TensorInfo): TensorInfo {
  const ops = new WasmOps(backend as BackendWasm);
  try {
    return ops.keep(body(ops));
  } finally {
    ops.dispose();
  }
}

/** Normalizes a stride / dilation attribute (a number or a pair) to a pair. */
export function pair(v: number | [number, number] | undefined, fallback = 1): [number, number] {
  if (v == null) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : v;
}
