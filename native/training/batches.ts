import type { ImageSplit } from '../data/types';
/** Turning 8-bit image splits into float tensors, one batch at a time. */
import { type Tensor, tf } from '../engine/tf';

/** Samples start..end-1 of a split as a float32 NHWC tensor in [0, 1]. */
export function imageBatch(split: ImageSplit, start: number, end: number, shape: readonly number[]): Tensor {
  const per = shape[0] * shape[1] * shape[2];
  const n = end - start;
  const f = new Float32Array(n * per);
  const src = split.pixels.subarray(start * per, end * per);
  for (let i = 0; i < f.length; i++) f[i] = src[i] * (1 / 255);
  return tf.tensor4d(f, [n, shape[0], shape[1], shape[2]]);
}

/** The samples at `indices` (any order) as a float32 NHWC tensor in [0, 1]. */
export function gatherImages(
  split: ImageSplit,
  indices: ArrayLike<number>,
  shape: readonly number[],
): Tensor {
  const per = shape[0] * shape[1] * shape[2];
  const n = indices.length;
  const f = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const off = indices[i] * per;
    const dst = i * per;
    for (let j = 0; j < per; j++) f[dst + j] = split.pixels[off + j] * (1 / 255);
  }
  return tf.tensor4d(f, [n, shape[0], shape[1], shape[2]]);
}
