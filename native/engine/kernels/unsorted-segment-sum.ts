/**
 * UnsortedSegmentSum for the wasm backend (missing from tfjs 4.22's wasm backend, so tf.gather -- and
 * an embedding layer -- has no gradient there).
 *
 * The wasm ScatterNd kernel sums the updates of duplicate indices, so
 * UnsortedSegmentSum(x, ids, k) = ScatterNd(indices = ids as [n, 1], updates = x as [n, ...inner],
 * shape = [k, ...inner]). Negative or out-of-range ids are dropped, as TensorFlow does: they are sent
 * to an extra segment k that is cropped away.
 */
import { tf } from '../tf';
import { type TensorInfo, withWasmOps } from './wasm-ops';

export const unsortedSegmentSumKernel: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
    if (segmentIds.dtype !== 'int32') {
      throw new Error(`UnsortedSegmentSum (wasm): segmentIds must be int32, got ${segmentIds.dtype}`);
    }
    const idsRank = segmentIds.shape.length;
    for (let i = 0; i < idsRank; i++) {
      if (segmentIds.shape[i] !== x.shape[i]) {
        throw new Error(
          `UnsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] is not a prefix of x shape [${x.shape}]`,
        );
      }
    }
    const inner = x.shape.slice(idsRank);
    const n = tf.util.sizeFromShape(segmentIds.shape);
    const outShape = [numSegments, ...inner];
    return withWasmOps(backend, (ops) => {
      if (n === 0 || tf.util.sizeFromShape(outShape) === 0) return ops.zeros(outShape, x.dtype);
      const ids = ops.backend.typedArrayFromHeap(segmentIds) as Int32Array;
      let valid = true;
      for (let i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= numSegments) {
          valid = false;
          break;
        }
      }
      const updates = ops.reshape(x, [n, ...inner]);
      if (valid) {
        const indices = ops.reshape(segmentIds, [n, 1]);
        return ops.run('ScatterNd', { indices, updates }, { shape: outShape });
      }
      const clean = new Int32Array(n);
      for (let i = 0; i < n; i++) clean[i] = ids[i] >= 0 && ids[i] < numSegments ? ids[i] : numSegments;
      const indices = ops.fromValues([n, 1], 'int32', clean);
      const wide = ops.run('ScatterNd', { indices, updates }, { shape: [numSegments + 1, ...inner] });
      return ops.run('Slice', { x: wide }, { begin: outShape.map(() => 0), size: outShape });
    });
  },
};
