/**
 * The GPT-2 forward pass as TensorFlow.js ops (differentiable, no Layers): learned positions, pre-norm
 * blocks (LayerNorm -> causal multi-head self-attention with a fused qkv projection; LayerNorm -> MLP
 * 4x with GELU "gelu_new"), final LayerNorm, output head tied to the token embedding.
 *
 * The keys and values of earlier positions can be passed in (`past`, a KV cache) and the ones of this
 * call are returned, so generation appends one position at a time without recomputing the prefix.
 *
 * Padding: attention is causal, so a position never sees the positions after it; a right-padded
 * sequence's real positions get exactly the logits they would get unpadded. Callers mask the padded
 * positions out of their loss.
 */
import { tf } from '../../engine/tf';
import { UserError } from '../../errors';
import type { GptConfig } from './config';

/** A block's weights (GPT-2 Conv1D layout: matrices are [in, out]). */
export interface GptBlockWeights {
  ln1Weight: tf.Tensor1D;
  ln1Bias: tf.Tensor1D;
  attnWeight: tf.Tensor2D; // [E, 3E]
  attnBias: tf.Tensor1D;
  attnProjWeight: tf.Tensor2D; // [E, E]
  attnProjBias: tf.Tensor1D;
  ln2Weight: tf.Tensor1D;
  ln2Bias: tf.Tensor1D;
  fcWeight: tf.Tensor2D; // [E, 4E]
  fcBias: tf.Tensor1D;
  mlpProjWeight: tf.Tensor2D; // [4E, E]
  mlpProjBias: tf.Tensor1D;
}

export interface GptWeights {
  wte: tf.Tensor2D; // [V, E]
  wpe: tf.Tensor2D; // [P, E]
  blocks: GptBlockWeights[];
  lnfWeight: tf.Tensor1D;
  lnfBias: tf.Tensor1D;
}

/**
 * One layer's attention keys and values, [B, nHead, positions, headDim] (a type, not an interface, so
 * that tf.tidy accepts it as a TensorContainer).
 */
export type LayerKv = {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
};

export interface ForwardResult {
  logits: tf.Tensor3D;
  /** The keys and values of every layer, past and new positions together (the next call's `past`). */
  present: LayerKv[];
}

/** Added to the attention scores of masked (future) positions: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (GPT-2's "gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function geluNew(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), GELU_C);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, weight), bias);
  });
}

/** x [B, T, in] @ w [in, out] + b -> [B, T, out]. */
function linear(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor3D {
  const [batch, time, inner] = x.shape;
  const y = tf.add(tf.matMul(tf.reshape(x, [batch * time, inner]), w), b);
  return tf.reshape(y, [batch, time, w.shape[1]]);
}

/** [B, T, E] -> [B, H, T, D]. */
function splitHeads(x: tf.Tensor3D, nHead: number): tf.Tensor4D {
  const [batch, time, e] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, time, nHead, e / nHead]), [0, 2, 1, 3]);
}

/** [B, H, T, D] -> [B, T, E]. */
function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [batch, heads, time, d] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, time, heads * d]);
}

/**
 * The additive causal mask for `time` new queries after `past` cached positions: query i sees keys
 * 0..past+i. [time, past + time]; undefined when nothing is masked (a single new position).
 */
function causalMask(time: number, past: number): tf.Tensor2D | undefined {
  if (time === 1) return undefined;
  const keys = past + time;
  const values = new Float32Array(time * keys);
  for (let i = 0; i < time; i++) values.fill(MASKED, i * keys + past + i + 1, (i + 1) * keys);
  return tf.tensor2d(values, [time, keys]);
}

function attention(
  h: tf.Tensor3D,
  w: GptBlockWeights,
  nHead: number,
  past: LayerKv | undefined,
  mask: tf.Tensor2D | undefined,
): { out: tf.Tensor3D; kv: LayerKv } {
  const e = h.shape[2];
  const qkv = linear(h, w.attnWeight, w.attnBias);
  const [q, k, v] = tf.split(qkv, [e, e, e], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const headDim = e / nHead;
  const qh = tf.mul(splitHeads(q, nHead), 1 / Math.sqrt(headDim)) as tf.Tensor4D;
  let kh = splitHeads(k, nHead);
  let vh = splitHeads(v, nHead);
  if (past) {
    kh = tf.concat([past.k, kh], 2);
    vh = tf.concat([past.v, vh], 2);
  }
  let scores: tf.Tensor4D = tf.matMul(qh, kh, false, true); // [B, H, T, past + T]
  if (mask) scores = tf.add(scores, mask);
  const probs = tf.softmax(scores);
  const y = mergeHeads(tf.matMul(probs, vh));
  return { out: linear(y, w.attnProjWeight, w.attnProjBias), kv: { k: kh, v: vh } };
}

function mlp(h: tf.Tensor3D, w: GptBlockWeights): tf.Tensor3D {
  const hidden = geluNew(linear(h, w.fcWeight, w.fcBias)) as tf.Tensor3D;
  return linear(hidden, w.mlpProjWeight, w.mlpProjBias);
}

/**
 * Logits [B, T, V] for token embeddings [B, T, E] at positions past..past+T-1, where `past` is the
 * number of positions in the cache (0 without one). Differentiable with respect to the embeddings and
 * the weights.
 */
export function gptForward(
  weights: GptWeights,
  config: GptConfig,
  tokenEmbeddings: tf.Tensor3D,
  past?: LayerKv[],
): ForwardResult {
  const [batch, time, e] = tokenEmbeddings.shape;
  if (e !== config.nEmbd) {
    throw new UserError(`token embeddings have width ${e}, the model expects ${config.nEmbd}`);
  }
  if (past && past.length !== config.nLayer) {
    throw new Error(`KV cache has ${past.length} layers, the model ${config.nLayer}`);
  }
  const start = past ? past[0].k.shape[2] : 0;
  if (time < 1) throw new UserError('the sequence is empty');
  if (start + time > config.nPositions) {
    throw new UserError(
      `sequence of ${start + time} positions exceeds the model's context of ${config.nPositions}`,
    );
  }
  return tf.tidy(() => {
    const positions = tf.slice(weights.wpe, [start, 0], [time, e]);
    let x: tf.Tensor3D = tf.add(tokenEmbeddings, positions);
    const mask = causalMask(time, start);
    const present: LayerKv[] = [];
    weights.blocks.forEach((w, i) => {
      const eps = config.layerNormEpsilon;
      const attn = attention(
        layerNorm(x, w.ln1Weight, w.ln1Bias, eps) as tf.Tensor3D,
        w,
        config.nHead,
        past?.[i],
        mask,
      );
      present.push(attn.kv);
      x = tf.add(x, attn.out);
      x = tf.add(x, mlp(layerNorm(x, w.ln2Weight, w.ln2Bias, eps) as tf.Tensor3D, w));
    });
    const final = layerNorm(x, weights.lnfWeight, weights.lnfBias, config.layerNormEpsilon);
    const flat = tf.reshape(final, [batch * time, e]);
    const logits = tf.reshape(tf.matMul(flat, weights.wte, false, true), [batch, time, config.vocabSize]);
    return { logits: logits as tf.Tensor3D, present };
  });
}

/** Token embeddings [B, T, E] of int32 ids [B, T] (a row gather of wte). */
export function gptEmbedTokens(weights: GptWeights, ids: tf.Tensor2D): tf.Tensor3D {
  if (ids.dtype !== 'int32') throw new UserError(`token ids must be int32, got ${ids.dtype}`);
  const [batch, time] = ids.shape;
  const e = weights.wte.shape[1];
  return tf.tidy(() => tf.reshape(tf.gather(weights.wte, tf.reshape(ids, [batch * time])), [batch, time, e]));
}
