/**
 * Conv2DBackpropFilter for the wasm backend (tfjs 4.22's wasm backend has none, so conv2d has no
 * filter gradient there).
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xpad[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow, co].
 * Two ways to compute it, chosen per shape (see `chooseStrategy`):
 *
 * 'conv' -- it is itself a forward convolution, computed by the wasm (XNNPACK) Conv2D kernel:
 *   input  = xpad cropped to (OH-1)*s + KH rows and (OW-1)*s + KW columns, transposed to [Ci, Hp, Wp, N]
 *            (the padding itself is done by the Conv2D kernel, as explicit padding)
 *   filter = dy transposed to [OH, OW, N, Co]
 *   stride 1, dilation s, 'valid'  ->  [Ci, KH, KW, Co]  ->  transposed to [KH, KW, Ci, Co].
 *   About as fast as the GEMM it amounts to when Ci is large; but with few input channels XNNPACK
 *   runs it far below its GEMM speed (an output of Ci*KH*KW pixels: 9 for the first layer of an
 *   MNIST CNN).
 *
 * 'im2col' -- the patches of x, transposed, are built by a JS loop over the wasm heap as
 *   A [KH*KW*Ci, N*OH*OW] (zeros for the padding), and dW = A x dy as [N*OH*OW, Co] is one plain
 *   matMul (the wasm BatchMatMul kernel without transposes: XNNPACK's GEMM) -> [KH*KW*Ci, Co], which
 *   is dW's layout already.
 *
 * 'im2col-t' -- the same, transposed: dW^T = dy^T x A^T, with A^T built directly (cheaper for XNNPACK
 *   to pack than a large dy, see `chooseStrategy`). Building A costs a pass per (tap, channel) over the output positions, so
 *   this wins only when KH*KW*Ci is small. Any stride and padding.
 */
import { tf } from '../tf';
import { type TensorInfo, type WasmOps, withWasmOps } from './wasm-ops';

export type Conv2DBackpropFilterStrategy = 'conv' | 'im2col' | 'im2col-t';

let forced: Conv2DBackpropFilterStrategy | undefined;

/**
 * Forces one strategy for every shape (tests and benchmarks), or back to the per-shape choice with
 * undefined. Returns the previous setting.
 */
export function forceConv2DBackpropFilterStrategy(
  s: Conv2DBackpropFilterStrategy | undefined,
): Conv2DBackpropFilterStrategy | undefined {
  const previous = forced;
  forced = s;
  return previous;
}

/**
 * The strategy used for a shape: 'im2col' when A is short (KH*KW*Ci <= 36: up to 4 input channels
 * with 3x3 filters) and dy large enough (N*OH*OW*Co >= 2^19) for XNNPACK's convolution to do badly,
 * else 'conv'. Measured (CPU ms, 3x3 'same', batch 64, a fresh dy every call; see docs/bench.md):
 * x 28x28x1 -> 32: im2col 12, conv 27; 28x28x3 -> 64: 32 vs 70; 28x28x4 -> 32: 20 vs 31;
 * 14x14x4 -> 32: 5.1 vs 4.5; 14x14x8 -> 64: 12.5 vs 12.
 */
export function chooseStrategy(info: tf.backend_util.Conv2DInfo): Conv2DBackpropFilterStrategy {
  if (forced) return forced;
  const rows = info.inChannels * info.filterHeight * info.filterWidth;
  const dySize = info.batchSize * info.outHeight * info.outWidth * info.outChannels;
  if (rows > 36 || dySize < 2 ** 19) return 'conv';
  // XNNPACK packs the GEMM's right operand at every call: A x dy packs dy ([m, co]), which gets slow
  // (out of cache) for a large dy; dW^T = dy^T x A^T packs A^T instead, after a transposing copy of
  // dy. Measured: the second way wins when co > t and dy has >= 2^20 elements (28x28x1 -> 32,
  // batch 64: 12 vs 16 ms; 28x28x3 -> 64: 32 vs 54 ms), loses on smaller ones (28x28x1 -> 16: 7.5
  // vs 5.7 ms).
  return info.outChannels > rows && dySize >= 2 ** 20 ? 'im2col-t' : 'im2col';
}

export const conv2DBackpropFilterKernel: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (a.dataFormat === 'NCHW') {
      throw new Error('Conv2DBackpropFilter (wasm): only the NHWC data format is supported, got NCHW');
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const strategy = chooseStrategy(info);
    return withWasmOps(backend, (ops) =>
      strategy === 'conv' ? viaConv(ops, x, dy, info) : viaIm2col(ops, x, dy, info, strategy === 'im2col-t'),
    );
  },
};

function viaConv(ops: WasmOps, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const rows = (info.outHeight - 1) * sh + kh;
  const cols = (info.outWidth - 1) * sw + kw;
  // The zero padding is left to the convolution (no padded copy of x).
  const { cropped, pads } = ops.cropOnly(x, [
    [0, 0],
    [padInfo.top, rows - padInfo.top - info.inHeight],
    [padInfo.left, cols - padInfo.left - info.inWidth],
    [0, 0],
  ]);
  const input = ops.transpose(cropped, [3, 1, 2, 0]); // [Ci, H', W', N]
  const filter = ops.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const dw = ops.run(
    'Conv2D',
    { x: input, filter },
    { strides: [1, 1], dilations: [sh, sw], pad: [[0, 0], pads[1], pads[2], [0, 0]], dataFormat: 'NHWC' },
  ); // [Ci, KH, KW, Co]
  return ops.transpose(dw, [1, 2, 0, 3]);
}

/** 'im2col' (A x dy), or with `transposed` 'im2col-t' (dW^T = dy^T x A^T, A^T built directly). */
function viaIm2col(
  ops: WasmOps,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  transposed: boolean,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const m = n * oh * ow;
  const t = kh * kw * ci;
  // Element (row, col) of A -- row = (i*kw + j)*ci + c, col = an output position -- lives at
  // row * rowStride + col * colStride: A itself, or P = A^T.
  const rowStride = transposed ? 1 : m;
  const colStride = transposed ? t : 1;
  const patches = ops.alloc(transposed ? [1, m, t] : [1, t, m]);
  const av = ops.backend.typedArrayFromHeap(patches) as Float32Array;
  const xv = ops.backend.typedArrayFromHeap(x) as Float32Array;
  const xRow = w * ci;
  const xImage = h * xRow;
  const xStep = sw * ci;
  for (let i = 0; i < kh; i++) {
    // Output rows whose input row r*sh + i - top is inside x.
    const ohLo = Math.min(oh, Math.max(0, Math.ceil((top - i) / sh)));
    const ohHi = Math.max(ohLo, Math.min(oh, Math.floor((h - 1 + top - i) / sh) + 1));
    for (let j = 0; j < kw; j++) {
      const owLo = Math.min(ow, Math.max(0, Math.ceil((left - j) / sw)));
      const owHi = Math.max(owLo, Math.min(ow, Math.floor((w - 1 + left - j) / sw) + 1));
      for (let c = 0; c < ci; c++) {
        let o = ((i * kw + j) * ci + c) * rowStride;
        for (let b = 0; b < n; b++) {
          for (let r = 0; r < oh; r++) {
            if (r < ohLo || r >= ohHi) {
              for (let q = 0; q < ow; q++, o += colStride) av[o] = 0;
              continue;
            }
            // x[b, r*sh + i - top, q*sw + j - left, c] for q in [owLo, owHi)
            const rowBase = b * xImage + (r * sh + i - top) * xRow + (j - left) * ci + c;
            for (let q = 0; q < owLo; q++, o += colStride) av[o] = 0;
            for (let q = owLo, p = rowBase + owLo * xStep; q < owHi; q++, p += xStep, o += colStride)
              av[o] = xv[p];
            for (let q = owHi; q < ow; q++, o += colStride) av[o] = 0;
          }
        }
      }
    }
  }
  const plain = { transposeA: false, transposeB: false };
  const dy3 = ops.reshape(dy, [1, m, co]);
  if (!transposed)
    return ops.reshape(ops.run('BatchMatMul', { a: patches, b: dy3 }, plain), [kh, kw, ci, co]);
  const dwT = ops.run('BatchMatMul', { a: ops.transposeLast2(dy3), b: patches }, plain); // [1, co, t]
  return ops.reshape(ops.transposeLast2(dwT), [kh, kw, ci, co]);
}
