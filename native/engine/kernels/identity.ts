/**
 * Identity for the wasm backend, replacing tfjs 4.22's own, which copies its input. Identity runs for
 * every tensor the gradient tape saves (engine.clone), hundreds of times per training step of a
 * transformer; like the cpu backend's (and wasm's own Reshape), this one shares the input's data and
 * counts a reference to it. Tensors are immutable, so sharing is safe. String tensors go to the original.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../tf';
import { originalWasmKernel } from './originals';
import type { TensorInfo } from './wasm-ops';

export const identityKernel: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') {
      const original = originalWasmKernel('Identity');
      if (original == null) throw new Error('Identity (wasm): the original wasm kernel was not recorded');
      return original.kernelFunc(args);
    }
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};
