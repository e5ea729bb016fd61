/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing from tfjs 4.22's wasm backend).
 *
 * dW[kh, kw, c, m] = sum over n, oh, ow of xpad[n, oh*s + kh, ow*s + kw, c] * dy[n, oh, ow, c*M + m].
 * Seeing the batch as channels, this is one depthwise convolution run by the wasm (XNNPACK)
 * DepthwiseConv2dNative kernel, followed by a sum over the batch:
 *   input  = xpad cropped to (OH-1)*s + KH rows / (OW-1)*s + KW columns, as [1, rows, cols, N*C]
 *   filter = dy as [OH, OW, N*C, M] (channel n*C + c, multiplier m)
 *   stride 1, dilation s, 'valid'  ->  [1, KH, KW, N*C*M]  ->  [KH, KW, N, C*M], summed over N.
 * Dilations must be 1 (as in tfjs, whose depthwise gradient rejects dilations).
 */
import { tf } from '../tf';
import { type TensorInfo, pair, withWasmOps } from './wasm-ops';

export const depthwiseConv2dNativeBackpropFilterKernel: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const dilations = pair(a.dilations);
    if (dilations[0] !== 1 || dilations[1] !== 1) {
      throw new Error(`DepthwiseConv2dNativeBackpropFilter (wasm): dilations must be 1, got ${dilations}`);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      true,
    );
    return withWasmOps(backend, (ops) => {
      const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
      const [n, , , c] = info.inShape;
      const m = a.filterShape[3];
      const rows = (info.outHeight - 1) * sh + kh;
      const cols = (info.outWidth - 1) * sw + kw;
      const { cropped, pads } = ops.cropOnly(x, [
        [0, 0],
        [padInfo.top, rows - padInfo.top - info.inHeight],
        [padInfo.left, cols - padInfo.left - info.inWidth],
        [0, 0],
      ]);
      const [, hc, wc] = cropped.shape;
      const input = ops.reshape(ops.transpose(cropped, [1, 2, 0, 3]), [1, hc, wc, n * c]);
      const dyT = ops.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, C*M]
      const filter = ops.reshape(dyT, [info.outHeight, info.outWidth, n * c, m]);
      const dw = ops.run(
        'DepthwiseConv2dNative',
        { x: input, filter },
        { strides: [1, 1], dilations: [sh, sw], pad: [[0, 0], pads[1], pads[2], [0, 0]] },
      ); // [1, KH, KW, N*C*M]
      const perBatch = ops.reshape(dw, [kh, kw, n, c * m]);
      const summed = n === 1 ? perBatch : ops.run('Sum', { x: perBatch }, { axis: [2], keepDims: false });
      return ops.reshape(summed, [kh, kw, c, m]);
    });
  },
};
