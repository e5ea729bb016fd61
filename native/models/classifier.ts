import type { ImageSplit } from '../data/types';
import { type Tensor, tf } from '../engine/tf';
/**
 * A trained image classifier as the engine uses it: a Layers model plus what the method needs to know
 * about it (its embedding layer, whether it outputs logits or probabilities), with batched inference.
 */
import { UserError } from '../errors';
import { imageBatch } from '../training/batches';

export type OutputKind = 'logits' | 'probabilities';

export interface ClassifierInfo {
  /** Name of the layer whose output is the embedding (the input of the classifier head). */
  embeddingLayer: string;
  outputKind: OutputKind;
  numClasses: number;
  inputShape: [number, number, number];
}

export class Classifier {
  readonly info: ClassifierInfo;
  private embedder: tf.LayersModel | null = null;

  constructor(
    readonly model: tf.LayersModel,
    embeddingLayer?: string,
  ) {
    this.info = describeModel(model, embeddingLayer);
  }

  /** Logits for a batch of images (float NHWC in [0,1]); `training` switches dropout/batch-norm mode. */
  logits(x: Tensor, training = false): Tensor {
    const out = this.model.apply(x, { training }) as Tensor;
    if (this.info.outputKind === 'logits') return out;
    return tf.log(tf.maximum(out, 1e-12));
  }

  /** Softmax probabilities of every sample of a split, row-major n * K. */
  predictProbs(split: ImageSplit, batchSize = 256): Float32Array {
    const k = this.info.numClasses;
    const out = new Float32Array(split.size * k);
    for (let start = 0; start < split.size; start += batchSize) {
      const end = Math.min(split.size, start + batchSize);
      const probs = tf.tidy(() =>
        tf.softmax(this.logits(imageBatch(split, start, end, this.info.inputShape))),
      );
      out.set(probs.dataSync() as Float32Array, start * k);
      probs.dispose();
    }
    return out;
  }

  /** The embedding of every sample, row-major n * D. */
  embed(split: ImageSplit, batchSize = 256): { data: Float32Array; dim: number } {
    if (!this.embedder) {
      const layer = this.model.getLayer(this.info.embeddingLayer);
      this.embedder = tf.model({ inputs: this.model.inputs, outputs: layer.output as tf.SymbolicTensor });
    }
    const shape = this.embedder.outputs[0].shape;
    const dim = shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1);
    const out = new Float32Array(split.size * dim);
    for (let start = 0; start < split.size; start += batchSize) {
      const end = Math.min(split.size, start + batchSize);
      const e = tf.tidy(() => {
        const y = this.embedder!.apply(imageBatch(split, start, end, this.info.inputShape)) as Tensor;
        return y.reshape([end - start, dim]);
      });
      out.set(e.dataSync() as Float32Array, start * dim);
      e.dispose();
    }
    return { data: out, dim };
  }

  /** The trainable variables, in a stable order. */
  variables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Reads the model's structure: the embedding layer (detected or checked) and the kind of output. */
export function describeModel(model: tf.LayersModel, embeddingLayer?: string): ClassifierInfo {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(
      `model must have one input and one output (has ${model.inputs.length} and ${model.outputs.length})`,
    );
  }
  const inShape = model.inputs[0].shape;
  if (inShape.length !== 4 || inShape.slice(1).some((d) => d == null)) {
    throw new UserError(
      `model input must be an image [height, width, channels], got [${inShape.slice(1).join(', ')}]`,
    );
  }
  const outShape = model.outputs[0].shape;
  if (outShape.length !== 2 || outShape[1] == null) {
    throw new UserError(
      `model output must be a vector of class scores, got shape [${outShape.slice(1).join(', ')}]`,
    );
  }
  const layers = model.layers;
  const last = layers[layers.length - 1];
  const lastActivation = String(last.getConfig().activation ?? 'linear');
  const outputKind: OutputKind = lastActivation === 'softmax' ? 'probabilities' : 'logits';
  let name = embeddingLayer;
  if (name !== undefined) {
    if (!layers.some((l) => l.name === name)) {
      throw new UserError(
        `embedding layer '${name}' does not exist in the model (layers: ${layers.map((l) => l.name).join(', ')})`,
      );
    }
  } else {
    // The head is the last layer with weights (a Dense); the embedding is what feeds it.
    let headIndex = layers.length - 1;
    while (headIndex > 0 && layers[headIndex].getWeights().length === 0) headIndex--;
    const head = layers[headIndex];
    const inbound = head.inboundNodes[0]?.inboundLayers ?? [];
    if (headIndex === 0 || inbound.length !== 1) {
      throw new UserError('cannot detect the embedding layer of this model: name it explicitly');
    }
    name = inbound[0].name;
  }
  return {
    embeddingLayer: name,
    outputKind,
    numClasses: outShape[1],
    inputShape: inShape.slice(1) as [number, number, number],
  };
}

/** A deep copy: same topology, copied weights; the original is left untouched. */
export async function cloneClassifier(c: Classifier): Promise<Classifier> {
  const topology = c.model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
  const copy = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
  const weights = c.model.getWeights();
  copy.setWeights(weights);
  return new Classifier(copy, c.info.embeddingLayer);
}
