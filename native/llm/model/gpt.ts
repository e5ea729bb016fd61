/**
 * A GPT-2-style decoder whose weights are tf.Variables (no Layers), so tf.variableGrads and the
 * optimizers train it directly. The math is in forward.ts; the names and shapes in weightLayout.ts.
 *
 * Padding convention: sequences of a batch may be right-padded with any valid id; attention is causal,
 * so the real positions' logits do not depend on the padding. Callers mask padded positions out of
 * their loss.
 */
import { Rng } from '../../engine/random';
import { tf } from '../../engine/tf';
import { UserError } from '../../errors';
import { type GptConfig, validateGptConfig } from './config';
import {
  type ForwardResult,
  type GptBlockWeights,
  type GptWeights,
  type LayerKv,
  gptEmbedTokens,
  gptForward,
} from './forward';
import { type BlockWeightName, type WeightSpec, gptWeightLayout } from './weightLayout';

/** GPT-2's initialisation: normal(0, 0.02); residual projections 0.02 / sqrt(2 * nLayer). */
const INIT_STD = 0.02;

let modelCount = 0;

export class GptModel {
  readonly config: GptConfig;
  /** Every trainable weight, in the canonical order of weightLayout.ts. */
  readonly variables: tf.Variable[];
  private readonly named: Map<string, tf.Variable>;
  private readonly weights: GptWeights;
  private disposed = false;

  private constructor(config: GptConfig, named: Map<string, tf.Variable>) {
    this.config = config;
    this.named = named;
    this.variables = [...named.values()];
    const get = <T extends tf.Tensor>(name: string) => named.get(name)! as unknown as T;
    const block = (i: number): GptBlockWeights => {
      const at = <T extends tf.Tensor>(name: BlockWeightName) => get<T>(`h.${i}.${name}`);
      return {
        ln1Weight: at('ln_1.weight'),
        ln1Bias: at('ln_1.bias'),
        attnWeight: at('attn.c_attn.weight'),
        attnBias: at('attn.c_attn.bias'),
        attnProjWeight: at('attn.c_proj.weight'),
        attnProjBias: at('attn.c_proj.bias'),
        ln2Weight: at('ln_2.weight'),
        ln2Bias: at('ln_2.bias'),
        fcWeight: at('mlp.c_fc.weight'),
        fcBias: at('mlp.c_fc.bias'),
        mlpProjWeight: at('mlp.c_proj.weight'),
        mlpProjBias: at('mlp.c_proj.bias'),
      };
    };
    this.weights = {
      wte: get('wte.weight'),
      wpe: get('wpe.weight'),
      blocks: Array.from({ length: config.nLayer }, (_, i) => block(i)),
      lnfWeight: get('ln_f.weight'),
      lnfBias: get('ln_f.bias'),
    };
  }

  /** A freshly initialised model (GPT-2's scheme), deterministic from `seed`. */
  static create(config: GptConfig, seed: number): GptModel {
    const valid = validateGptConfig(config);
    const rng = new Rng(seed);
    const residualStd = INIT_STD / Math.sqrt(2 * valid.nLayer);
    const values = new Map<string, Float32Array>();
    for (const spec of gptWeightLayout(valid)) {
      const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
      if (spec.init === 'ones') data.fill(1);
      else if (spec.init !== 'zeros') {
        const std = spec.init === 'residual' ? residualStd : INIT_STD;
        for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
      }
      values.set(spec.name, data);
    }
    return GptModel.fromWeights(valid, values);
  }

  /**
   * A model with the given weights (GPT-2 names, row-major float32 values, copied); every weight of the
   * config must be there with the right number of values, and no other.
   */
  static fromWeights(config: GptConfig, values: ReadonlyMap<string, Float32Array>): GptModel {
    const valid = validateGptConfig(config);
    const layout = gptWeightLayout(valid);
    for (const spec of layout) {
      const data = values.get(spec.name);
      if (data == null) throw new UserError(`weight ${spec.name} is missing`);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) {
        throw new UserError(
          `weight ${spec.name} has ${data.length} values, expected [${spec.shape}] = ${size}`,
        );
      }
    }
    const expected = new Set(layout.map((s) => s.name));
    for (const name of values.keys()) {
      if (!expected.has(name)) throw new UserError(`weight ${name} is not part of this GPT config`);
    }
    return GptModel.withVariables(valid, layout, (spec) =>
      tf.tensor(values.get(spec.name)!, spec.shape, 'float32'),
    );
  }

  private static withVariables(
    config: GptConfig,
    layout: WeightSpec[],
    initial: (spec: WeightSpec) => tf.Tensor,
  ): GptModel {
    const prefix = `llm.gpt${modelCount++}.`;
    const named = new Map<string, tf.Variable>();
    try {
      for (const spec of layout) {
        const value = initial(spec);
        named.set(spec.name, tf.variable(value, true, prefix + spec.name, 'float32'));
        value.dispose();
      }
    } catch (err) {
      tf.dispose([...named.values()]);
      throw err;
    }
    return new GptModel({ ...config }, named);
  }

  /** The weights by their GPT-2 names (wte.weight, wpe.weight, h.0.ln_1.weight, ...): a new map. */
  namedWeights(): Map<string, tf.Variable> {
    return new Map(this.named);
  }

  /** Token embeddings [B, T, E] of int32 ids [B, T] (ids must be in [0, vocabSize)). */
  embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    this.assertAlive();
    return gptEmbedTokens(this.weights, ids);
  }

  /**
   * Logits [B, T, V] from token embeddings [B, T, E] (positions are added here). Differentiable with
   * respect to the embeddings, e.g. for Integrated Gradients.
   */
  logitsFromEmbeddings(tokenEmbeddings: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => this.forward(tokenEmbeddings).logits);
  }

  /** Logits [B, T, V] of int32 ids [B, T]. */
  logits(ids: tf.Tensor2D): tf.Tensor3D {
    this.assertAlive();
    return tf.tidy(() => this.logitsFromEmbeddings(this.embedTokens(ids)));
  }

  /**
   * The forward pass with a KV cache: token embeddings of the positions after `past` (the keys and
   * values of earlier positions, from a previous call) -> their logits and the extended cache. The
   * caller disposes both.
   */
  forward(tokenEmbeddings: tf.Tensor3D, past?: LayerKv[]): ForwardResult {
    this.assertAlive();
    if (tokenEmbeddings.rank !== 3)
      throw new UserError(`token embeddings must be [B, T, E], got [${tokenEmbeddings.shape}]`);
    return gptForward(this.weights, this.config, tokenEmbeddings, past);
  }

  /** An independent copy (new variables with the same values). */
  clone(): GptModel {
    this.assertAlive();
    const layout = gptWeightLayout(this.config);
    return GptModel.withVariables(this.config, layout, (spec) => this.named.get(spec.name)!.clone());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.variables);
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('the GPT model was disposed');
  }
}
