/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing from tfjs 4.22's wasm backend).
 *
 * With a channel multiplier M (filter [KH, KW, C, M], dy [N, OH, OW, C*M]):
 * dx[n, h, w, c] = sum over m of a depthwise convolution of dy -- dilated by the stride (s-1 zeros
 * between rows / columns) and padded by KH-1-top above (cropped where negative) so that the result is
 * H x W -- with the spatially flipped filter seen as [KH, KW, C*M, 1]; the sum over m is a Sum over the
 * last axis of [N, H, W, C, M]. The padding is done by the convolution kernel itself.
 * The convolution runs in the wasm (XNNPACK) DepthwiseConv2dNative kernel. Dilations must be 1 (as in
 * tfjs, whose depthwise gradient rejects dilations).
 */
import { tf } from '../tf';
import { type TensorInfo, pair, withWasmOps } from './wasm-ops';

export const depthwiseConv2dNativeBackpropInputKernel: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const dilations = pair(a.dilations);
    if (dilations[0] !== 1 || dilations[1] !== 1) {
      throw new Error(`DepthwiseConv2dNativeBackpropInput (wasm): dilations must be 1, got ${dilations}`);
    }
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      true,
    );
    return withWasmOps(backend, (ops) => {
      const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
      const [n, h, w, c] = info.inShape;
      const m = filter.shape[3];
      const dyd = ops.dilateNHWC(dy, sh, sw);
      const top = kh - 1 - padInfo.top;
      const left = kw - 1 - padInfo.left;
      const { cropped, pads } = ops.cropOnly(dyd, [
        [0, 0],
        [top, h + kh - 1 - top - dyd.shape[1]],
        [left, w + kw - 1 - left - dyd.shape[2]],
        [0, 0],
      ]);
      const flipped = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
      const f = ops.reshape(flipped, [kh, kw, c * m, 1]);
      const out = ops.run(
        'DepthwiseConv2dNative',
        { x: cropped, filter: f },
        { strides: [1, 1], dilations: [1, 1], pad: [[0, 0], pads[1], pads[2], [0, 0]] },
      ); // [N, H, W, C*M]
      if (m === 1) return out;
      const out5 = ops.reshape(out, [n, h, w, c, m]);
      return ops.run('Sum', { x: out5 }, { axis: [4], keepDims: false });
    });
  },
};
