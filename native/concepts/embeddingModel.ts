/**
 * A classifier cut at its embedding layer into two differentiable functions: images -> embedding and
 * embedding -> logits (the head). Concept methods work in the embedding space: CAVs are directions in it,
 * concept importance integrates the head's gradients along it, and localisation back-propagates a concept
 * score through the embedder to the pixels.
 */
import type { ImageSplit } from '../data/types';
import { type Tensor, tf } from '../engine/tf';
import { UserError } from '../errors';
import { Classifier } from '../models/classifier';
import { imageBatch } from '../training/batches';

export interface EmbeddingModel {
  /** Name of the embedding layer. */
  layer: string;
  /** Flattened width of the embedding. */
  dim: number;
  numClasses: number;
  inputShape: [number, number, number];
  /** Images (float NHWC in [0, 1]) -> embeddings [n, dim]. */
  embed(x: Tensor): Tensor;
  /** Embeddings [n, dim] -> logits [n, numClasses]. */
  head(e: Tensor): Tensor;
  /** The embedding of every sample of a split, row-major n * dim. */
  embedSplit(split: ImageSplit, batchSize?: number): Float32Array;
}

/**
 * Cuts `classifier` at `layer` (default: its embedding layer). Throws a UserError when the layer does not
 * exist, and when the layers after it are not a simple chain (the head must be a function of the embedding
 * alone).
 */
export function embeddingModel(classifier: Classifier, layer?: string): EmbeddingModel {
  const model = classifier.model;
  // Validates the name (UserError naming the layers when it does not exist).
  const info = layer === undefined ? classifier.info : new Classifier(model, layer).info;
  const name = info.embeddingLayer;
  const layers = model.layers;
  const at = layers.findIndex((l) => l.name === name);
  const embLayer = layers[at];
  const outShape = (embLayer.output as tf.SymbolicTensor).shape;
  const featShape = outShape.slice(1) as number[];
  const dim = featShape.reduce((a, b) => a * b, 1);

  const headLayers = layers.slice(at + 1);
  if (headLayers.length === 0) throw new UserError(`embedding layer '${name}' is the model's output layer`);
  let prev = embLayer;
  for (const l of headLayers) {
    const inbound = l.inboundNodes.flatMap((node) => node.inboundLayers);
    if (inbound.length !== 1 || inbound[0] !== prev || prev.outboundNodes.length !== 1) {
      throw new UserError(
        `the layers after '${name}' are not a simple chain (at '${l.name}'): choose a later embedding layer`,
      );
    }
    prev = l;
  }
  const softmaxOut = info.outputKind === 'probabilities';
  const embedder = tf.model({ inputs: model.inputs, outputs: embLayer.output as tf.SymbolicTensor });

  const embed = (x: Tensor): Tensor =>
    tf.tidy(() => {
      const y = embedder.apply(x) as Tensor;
      return y.reshape([x.shape[0], dim]);
    });
  const head = (e: Tensor): Tensor =>
    tf.tidy(() => {
      let t = featShape.length === 1 ? e : e.reshape([e.shape[0], ...featShape]);
      for (const l of headLayers) t = l.apply(t) as Tensor;
      return softmaxOut ? tf.log(tf.maximum(t, 1e-12)) : t;
    });
  const embedSplit = (split: ImageSplit, batchSize = 256): Float32Array => {
    const out = new Float32Array(split.size * dim);
    for (let start = 0; start < split.size; start += batchSize) {
      const end = Math.min(split.size, start + batchSize);
      const e = tf.tidy(() => embed(imageBatch(split, start, end, info.inputShape)));
      out.set(e.dataSync() as Float32Array, start * dim);
      e.dispose();
    }
    return out;
  };
  return {
    layer: name,
    dim,
    numClasses: info.numClasses,
    inputShape: info.inputShape,
    embed,
    head,
    embedSplit,
  };
}
