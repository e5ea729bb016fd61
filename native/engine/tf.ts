/**
 * The one place the engine imports TensorFlow.js from, so every module shares a single engine instance.
 * Backends (wasm, and tensorflow where it loads) are registered by `backend/select.ts`.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type LayersModel = tf.LayersModel;
