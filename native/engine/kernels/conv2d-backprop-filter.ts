/**
 * Conv2DBackpropFilter for the wasm backend (tfjs 4.22's wasm backend has none, so conv2d has no
 * filter gradient there).
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xpad[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow, co]
 * is itself a forward convolution, computed by the wasm (XNNPACK) Conv2D kernel:
 *   input  = xpad cropped to (OH-1)*s + KH rows and (OW-1)*s + KW columns, transposed to [Ci, Hp, Wp, N]
 *            (the padding itself is done by the Conv2D kernel, as explicit padding)
 *   filter = dy transposed to [OH, OW, N, Co]
 *   stride 1, dilation s, 'valid'  ->  [Ci, KH, KW, Co]  ->  transposed to [KH, KW, Ci, Co].
 */
import { tf } from '../tf';
import { type TensorInfo, withWasmOps } from './wasm-ops';

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
    return withWasmOps(backend, (ops) => {
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
    });
  },
};
