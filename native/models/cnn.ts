import { tf } from '../engine/tf';
/**
 * The built-in family of small convolutional classifiers, trainable from scratch on CPU.
 * Every model ends with a Dense layer named `embedding` (the representation the classifier head reads)
 * followed by the head `logits` (linear: the models output logits, not probabilities).
 */
import { UserError } from '../errors';

export interface CnnArch {
  /** Filters of each conv3x3 + relu + maxpool2 stage. */
  convFilters: number[];
  /** Two conv3x3 layers per stage instead of one. */
  doubleConv: boolean;
  /** Width of the embedding layer. */
  embedding: number;
}

export const CNN_ARCHS = {
  /**
   * The default, and the reference CNN of the benchmarks: conv3x3-16, pool, conv3x3-32, pool, dense-64,
   * dense-K (99.0% on MNIST after 4 epochs, 2.3x the training speed of cnn-small).
   */
  'cnn-ref': { convFilters: [16, 32], doubleConv: false, embedding: 64 },
  /** Twice as wide (the default before the training-speed work): conv3x3-32, pool, conv3x3-64, pool, dense-128, dense-K. */
  'cnn-small': { convFilters: [32, 64], doubleConv: false, embedding: 128 },
  /** Deeper, for colour images: two conv3x3 per stage, three stages. */
  'cnn-medium': { convFilters: [32, 64, 128], doubleConv: true, embedding: 128 },
} as const satisfies Record<string, CnnArch>;

export type CnnArchName = keyof typeof CNN_ARCHS;
export const DEFAULT_ARCH: CnnArchName = 'cnn-ref';

export function isArchName(name: string): name is CnnArchName {
  return Object.hasOwn(CNN_ARCHS, name);
}

export function archByName(name: string): CnnArch {
  if (!isArchName(name)) {
    throw new UserError(`unknown model architecture '${name}' (known: ${Object.keys(CNN_ARCHS).join(', ')})`);
  }
  return CNN_ARCHS[name];
}

/** Builds a freshly initialised model; the same seed gives the same weights. */
export function buildCnn(
  arch: CnnArch,
  inputShape: [number, number, number],
  numClasses: number,
  seed: number,
): tf.LayersModel {
  let s = seed * 1000;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const glorot = () => tf.initializers.glorotUniform({ seed: s++ });
  const input = tf.input({ shape: inputShape, name: 'image' });
  let x = input as tf.SymbolicTensor;
  arch.convFilters.forEach((filters, stage) => {
    const convs = arch.doubleConv ? 2 : 1;
    for (let c = 0; c < convs; c++) {
      x = tf.layers
        .conv2d({
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(),
          name: `conv${stage + 1}${convs > 1 ? String.fromCharCode(97 + c) : ''}`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${stage + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const emb = tf.layers
    .dense({ units: arch.embedding, activation: 'relu', kernelInitializer: init(), name: 'embedding' })
    .apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: numClasses, kernelInitializer: glorot(), name: 'logits' })
    .apply(emb) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'classifier' });
}
