/**
 * MaxPoolGrad for the wasm backend, replacing tfjs 4.22's own (a naive loop over every input position
 * and every window that may contain it: 3-4x slower than this one on a training step's pools).
 *
 * One pass over the output windows, reading x and dy straight from the wasm heap: for each window
 * (NHWC, all channels at once) the position of the maximum is found -- the first maximum in row-major
 * window order wins, padding never does, as in the cpu backend -- and dy is added to dx there
 * (overlapping windows accumulate).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf';
import type { TensorInfo } from './wasm-ops';

export const maxPoolGradKernel: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as tf.MaxPoolGradAttrs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
      throw new Error(`MaxPoolGrad (wasm): float32 tensors only, got ${input.dtype} and ${dy.dtype}`);
    }
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const wasm = backend as BackendWasm;
    const dx = wasm.makeOutput(input.shape, 'float32');
    // Views taken after the allocation (which may grow, and so detach, the heap).
    const dxv = wasm.typedArrayFromHeap(dx) as Float32Array;
    const xv = wasm.typedArrayFromHeap(input) as Float32Array;
    const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    const { strideHeight: sh, strideWidth: sw } = info;
    const fh = info.effectiveFilterHeight;
    const fw = info.effectiveFilterWidth;
    const { top, left } = info.padInfo;
    const tiles2x2 =
      fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * oh <= h && 2 * ow <= w;
    if (tiles2x2) {
      // The common case (pool 2, stride 2, every window inside x): each window writes its 4 positions.
      if (2 * oh !== h || 2 * ow !== w) dxv.fill(0); // rows / columns no window covers
      maxPoolGrad2x2(xv, dyv, dxv, n, h, w, c, oh, ow);
    } else {
      dxv.fill(0);
      maxPoolGradGeneral(xv, dyv, dxv, info);
    }
    return dx;
  },
};

/**
 * 2x2 windows, stride 2, all inside x: the gradient goes to the first maximum of a0 a1 / a2 a3
 * (row-major), every other position of the window gets 0.
 */
function maxPoolGrad2x2(
  xv: Float32Array,
  dyv: Float32Array,
  dxv: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
): void {
  const row = w * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      let p0 = (b * h + 2 * i) * row;
      for (let j = 0; j < ow; j++, p0 += c) {
        for (let d = 0; d < c; d++, p0++, o++) {
          const p1 = p0 + c;
          const p2 = p0 + row;
          const p3 = p2 + c;
          const a0 = xv[p0];
          const a1 = xv[p1];
          const a2 = xv[p2];
          const a3 = xv[p3];
          // Index of the first maximum; NaN never wins (as with the cpu backend's '>'), an all-NaN
          // window gets no gradient.
          let k = -1;
          let m = Number.NEGATIVE_INFINITY;
          if (a0 > m) {
            m = a0;
            k = 0;
          }
          if (a1 > m) {
            m = a1;
            k = 1;
          }
          if (a2 > m) {
            m = a2;
            k = 2;
          }
          if (a3 > m) k = 3;
          const g = dyv[o];
          dxv[p0] = k === 0 ? g : 0;
          dxv[p1] = k === 1 ? g : 0;
          dxv[p2] = k === 2 ? g : 0;
          dxv[p3] = k === 3 ? g : 0;
        }
      }
    }
  }
}

/** Any window size, stride and padding; dx must be zeroed (overlapping windows accumulate). */
function maxPoolGradGeneral(
  xv: Float32Array,
  dyv: Float32Array,
  dxv: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  // Offsets (in x) of the taps of a window, for the window's clipped extent.
  const taps = new Int32Array(fh * fw);
  let o = 0; // offset of the current dy window
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(h, r0 + fh);
      for (let j = 0; j < ow; j++, o += c) {
        const c0 = j * sw - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(w, c0 + fw);
        let t = 0;
        for (let r = rMin; r < rMax; r++) {
          for (let q = cMin; q < cMax; q++) taps[t++] = ((b * h + r) * w + q) * c;
        }
        for (let d = 0; d < c; d++) {
          let bestP = -1;
          let bestV = Number.NEGATIVE_INFINITY;
          for (let k = 0; k < t; k++) {
            const p = taps[k] + d;
            const v = xv[p];
            if (v > bestV) {
              bestV = v;
              bestP = p;
            }
          }
          if (bestP >= 0) dxv[bestP] += dyv[o + d];
        }
      }
    }
  }
}
