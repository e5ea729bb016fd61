/**
 * BatchMatMul for the wasm backend, wrapping tfjs 4.22's own, which is fast (XNNPACK GEMM) only for a
 * single product without transposes; with transposeA / transposeB, or a batch of several products, it
 * falls back to a slow loop (matMul(a [12544, 144], b, true) ~4x, a batch of 4 [300, 200] x [200, 400]
 * products ~15x slower than needed). The dense layers' gradients are such products (dW = x^T dy,
 * dx = dy W^T).
 *
 * Here the transposed operand is materialized (a cheap copy: wasm Transpose, or a tiled JS loop for
 * large matrices, see WasmOps.transposeLast2) and the original kernel runs without transposes -- or
 * the transposed product is computed, whichever is cheaper (see `singleProduct`); a batch is split into its products (Slice), each run by the
 * original, and stacked (many products against one b without transposeA: a single product of a
 * as [batch * m, k]). Small batched products (where the split's overhead would dominate) and
 * batch shapes broadcast other than "one against many" go to the original as they are.
 */
import { tf } from '../tf';
import { originalWasmKernel } from './originals';
import { type TensorInfo, type WasmOps, withWasmOps } from './wasm-ops';

/**
 * Below this many multiply-adds per product, a batch is left to the original's loop. Splitting costs a
 * Slice, a GEMM call (packing included) and a stack entry per product: for the many small products of
 * attention ([B * heads, T, T] x [B * heads, T, headDim], e.g. 64 products of [32, 32] x [32, 32]) the
 * original was measured 3-10x faster, and it stays faster up to products of ~2-4M multiply-adds (a
 * batch of 16 [128, 128] x [128, 128]: 79 ms vs 219 ms); above, splitting wins (4 [256, 128] x [128, 256]:
 * 60 ms vs 105 ms; 4 [300, 200] x [200, 400]: 94 ms vs 238 ms).
 */
const MIN_SPLIT_MACS = 1 << 22;

function originalBatchMatMul(): tf.KernelConfig {
  const original = originalWasmKernel('BatchMatMul');
  if (original == null) throw new Error('BatchMatMul (wasm): the original wasm kernel was not recorded');
  return original;
}

/** `x` as [batch, rows, cols], materially transposed to [batch, cols, rows] when `transpose`. */
function asPlain3d(ops: WasmOps, x: TensorInfo, transpose: boolean): TensorInfo {
  const rank = x.shape.length;
  const batch = tf.util.sizeFromShape(x.shape.slice(0, -2));
  const x3 = ops.reshape(x, [batch, x.shape[rank - 2], x.shape[rank - 1]]);
  return transpose ? ops.transposeLast2(x3) : x3;
}

export const batchMatMulKernel: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const original = originalBatchMatMul();
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = tf.util.sizeFromShape(outerA);
    const batchB = tf.util.sizeFromShape(outerB);
    const rankA = a.shape.length;
    const rankB = b.shape.length;
    const m = transposeA ? a.shape[rankA - 1] : a.shape[rankA - 2];
    const k = transposeA ? a.shape[rankA - 2] : a.shape[rankA - 1];
    const n = transposeB ? b.shape[rankB - 2] : b.shape[rankB - 1];
    const single = batchA === 1 && batchB === 1;
    const splittable =
      (batchA === batchB || batchA === 1 || batchB === 1) &&
      tf.util.arraysEqual(outerA.length >= outerB.length ? outerA : outerB, broadcastOuter(outerA, outerB)) &&
      m * n * k >= MIN_SPLIT_MACS;
    if (single ? !transposeA && !transposeB : !splittable) return original.kernelFunc(args);
    if (k !== (transposeB ? b.shape[rankB - 1] : b.shape[rankB - 2])) return original.kernelFunc(args); // its error
    const outShape = [...broadcastOuter(outerA, outerB), m, n];
    return withWasmOps(args.backend, (ops) => {
      if (single) return ops.reshape(singleProduct(ops, original, a, b, transposeA, transposeB), outShape);
      const a3 = asPlain3d(ops, a, transposeA); // [batchA, m, k]
      const b3 = asPlain3d(ops, b, transposeB); // [batchB, k, n]
      const plain = { transposeA: false, transposeB: false };
      if (batchB === 1 && !transposeA) {
        // Many against one: a single [batch * m, k] x [k, n] product.
        const a1 = ops.reshape(a3, [1, batchA * m, k]);
        return ops.reshape(ops.runKernel(original, { a: a1, b: b3 }, plain), outShape);
      }
      const batch = Math.max(batchA, batchB);
      const products: TensorInfo[] = [];
      for (let i = 0; i < batch; i++) {
        const ai = batchA === 1 ? a3 : ops.run('Slice', { x: a3 }, { begin: [i, 0, 0], size: [1, m, k] });
        const bi = batchB === 1 ? b3 : ops.run('Slice', { x: b3 }, { begin: [i, 0, 0], size: [1, k, n] });
        products.push(ops.runKernel(original, { a: ai, b: bi }, plain)); // [1, m, n]
      }
      return ops.reshape(ops.stack0(products), outShape);
    });
  },
};

/** The broadcast of two batch shapes (tfjs's rule), or [] when they do not broadcast. */
function broadcastOuter(outerA: number[], outerB: number[]): number[] {
  try {
    return tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return [];
  }
}

/**
 * Cost of packing one element of the GEMM's right operand (XNNPACK packs b, [k, n], at every call: b
 * is a new tensor each time in training), in units of one element copied by a Transpose. Measured:
 * ~3-6 ns vs ~1-2 ns.
 */
const PACK_COST = 3;

/**
 * One product (batch 1) with at least one transpose flag: either C = op(A) op(B) with the transposed
 * operands materialized, or C = (op(B)^T op(A)^T)^T -- a GEMM whose packed operand is op(A)^T
 * ([k, m]) and whose result is transposed back -- whichever copies and packs fewer elements.
 * E.g. dx = dy W^T of a dense layer (dy [64, 128], W [3136, 128]): the first would transpose and pack
 * W (2 x 401k elements), the second packs dy^T (8k) and transposes the [3136, 64] result.
 */
function singleProduct(
  ops: WasmOps,
  original: tf.KernelConfig,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const plain = { transposeA: false, transposeB: false };
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n;
  const swapped = (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + PACK_COST * k * m + m * n;
  if (direct <= swapped) {
    const a3 = asPlain3d(ops, a, transposeA); // [1, m, k]
    const b3 = asPlain3d(ops, b, transposeB); // [1, k, n]
    return ops.runKernel(original, { a: a3, b: b3 }, plain);
  }
  const bt = asPlain3d(ops, b, !transposeB); // op(B)^T: [1, n, k]
  const at = asPlain3d(ops, a, !transposeA); // op(A)^T: [1, k, m]
  const ct = ops.runKernel(original, { a: bt, b: at }, plain); // [1, n, m]
  return ops.transposeLast2(ct);
}
