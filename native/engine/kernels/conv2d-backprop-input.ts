/**
 * Conv2DBackpropInput for the wasm backend, replacing tfjs 4.22's own (a naive loop, ~10x slower than
 * the forward convolution).
 *
 * dx is a convolution of dy with the spatially flipped filter, channels swapped ([KH, KW, Co, Ci]),
 * run by the wasm (XNNPACK) Conv2D kernel. With stride 1 that is one 'valid' convolution of dy padded
 * by KH-1-top above (cropped where negative). With stride s, convolving dy dilated by s (s-1 zeros
 * between rows) would spend (s*s-1)/(s*s) of the work on zeros, so the rows / columns of dx are split
 * by phase instead: the rows h with (h + top) % s == r only see the filter rows r, r+s, r+2s..., so
 * each of the s*s phases is one stride-1 convolution of dy (not dilated) with a sub-filter, and the
 * phases are interleaved into dx. Total work: about one forward convolution.
 */
import { tf } from '../tf';
import { type TensorInfo, withWasmOps } from './wasm-ops';

interface Phase {
  /** Rows r, r+s, r+2s... of the filter are the taps of this phase. */
  r: number;
  /** Number of taps (0 when the filter is smaller than the stride). */
  taps: number;
  /** Padding (negative: cropping) of dy before / after, for a 'valid' convolution giving `m` rows. */
  before: number;
  after: number;
}

/**
 * Along one spatial dimension (input size `size`, filter `k`, stride `s`, padding `top`, dy size `outSize`):
 * each phase computes rows i = i0 .. i0+m-1 of its output, i.e. dx rows h = i*s + r - top.
 */
function phasePlan(size: number, k: number, s: number, top: number, outSize: number) {
  const i0 = Math.floor(top / s);
  const m = Math.floor((size - 1 + top) / s) - i0 + 1;
  const phases: Phase[] = [];
  for (let r = 0; r < s; r++) {
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    // out[i] = sum_t dy[i - t] * w[r + s*t]: a 'valid' correlation of dy padded by taps-1-i0 above.
    const before = taps - 1 - i0;
    phases.push({ r, taps, before, after: m + taps - 1 - before - outSize });
  }
  return { i0, m, phases };
}

export const conv2DBackpropInputKernel: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (a.dataFormat === 'NCHW') {
      throw new Error('Conv2DBackpropInput (wasm): only the NHWC data format is supported, got NCHW');
    }
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    return withWasmOps(backend, (ops) => {
      const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
      const rows = phasePlan(h, kh, sh, padInfo.top, dy.shape[1]);
      const cols = phasePlan(w, kw, sw, padInfo.left, dy.shape[2]);
      // A copy: the heap view would not survive the allocations below.
      const wv = (ops.backend.typedArrayFromHeap(filter) as Float32Array).slice();

      const outs: { pr: Phase; pc: Phase; out: TensorInfo }[] = [];
      for (const pr of rows.phases) {
        for (const pc of cols.phases) {
          if (pr.taps === 0 || pc.taps === 0) continue; // this phase of dx is all zeros
          // Sub-filter [taps_r, taps_c, Co, Ci]: flipped, every s-th row / column, channels swapped.
          const sub = new Float32Array(pr.taps * pc.taps * co * ci);
          let o = 0;
          for (let t = 0; t < pr.taps; t++) {
            const fr = pr.r + sh * (pr.taps - 1 - t);
            for (let u = 0; u < pc.taps; u++) {
              const fc = pc.r + sw * (pc.taps - 1 - u);
              const base = (fr * kw + fc) * ci * co;
              for (let oc = 0; oc < co; oc++) {
                for (let ic = 0; ic < ci; ic++) sub[o++] = wv[base + ic * co + oc];
              }
            }
          }
          const f = ops.fromValues([pr.taps, pc.taps, co, ci], 'float32', sub);
          // Cropping is a copy; the zero padding is left to the convolution.
          const { cropped, pads } = ops.cropOnly(dy, [
            [0, 0],
            [pr.before, pr.after],
            [pc.before, pc.after],
            [0, 0],
          ]);
          const out = ops.run(
            'Conv2D',
            { x: cropped, filter: f },
            {
              strides: [1, 1],
              dilations: [1, 1],
              pad: [[0, 0], pads[1], pads[2], [0, 0]],
              dataFormat: 'NHWC',
            },
          ); // [N, m_rows, m_cols, Ci]
          outs.push({ pr, pc, out });
        }
      }
      if (sh === 1 && sw === 1 && outs.length === 1) return outs[0].out; // exactly [N, H, W, Ci]

      // Interleave the phases into dx (rows of a phase outside [0, H) are dropped).
      const dx = ops.zeros([n, h, w, ci]);
      const dxv = ops.backend.typedArrayFromHeap(dx) as Float32Array;
      for (const { pr, pc, out } of outs) {
        const ov = ops.backend.typedArrayFromHeap(out) as Float32Array;
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < rows.m; i++) {
            const y = (rows.i0 + i) * sh + pr.r - padInfo.top;
            if (y < 0 || y >= h) continue;
            for (let j = 0; j < cols.m; j++) {
              const x = (cols.i0 + j) * sw + pc.r - padInfo.left;
              if (x < 0 || x >= w) continue;
              const src = ((b * rows.m + i) * cols.m + j) * ci;
              const dst = ((b * h + y) * w + x) * ci;
              if (ci === 1) dxv[dst] = ov[src];
              else dxv.set(ov.subarray(src, src + ci), dst);
            }
          }
        }
      }
      return dx;
    });
  },
};
