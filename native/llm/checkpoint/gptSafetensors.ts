/**
 * A GptModel's weights <-> safetensors bytes, under GPT-2's names (wte.weight, h.0.attn.c_attn.weight,
 * ...; Conv1D layout, [in, out]). Reading accepts names with or without Hugging Face's `transformer.`
 * prefix and skips what GPT-2 files carry besides the weights: the attention-mask buffers
 * (h.N.attn.bias, h.N.attn.masked_bias) and lm_head.weight (tied to wte.weight).
 */
import { UserError } from '../../errors';
import { type GptConfig, validateGptConfig } from '../model/config';
import { GptModel } from '../model/gpt';
import { gptWeightLayout } from '../model/weightLayout';
import { type NamedTensor, readSafetensors, writeSafetensors } from './safetensors';

const PREFIX = 'transformer.';
const SKIPPED = /^(h\.\d+\.attn\.(bias|masked_bias)|lm_head\.weight)$/;

/** The model's weights as a safetensors file (F32, GPT-2 names, no prefix). */
export function gptToSafetensors(model: GptModel): Uint8Array {
  const tensors: NamedTensor[] = [];
  for (const [name, variable] of model.namedWeights()) {
    tensors.push({ name, shape: [...variable.shape], data: variable.dataSync() as Float32Array });
  }
  return writeSafetensors(tensors, { format: 'pt' });
}

/**
 * A model of `config` with the weights of a safetensors file; UserError for a malformed file, a missing
 * tensor, a shape that does not match the config, or a weight the config has no place for.
 */
export function gptFromSafetensors(
  bytes: Uint8Array,
  config: GptConfig,
  what = 'model.safetensors',
): GptModel {
  config = validateGptConfig(config);
  const byName = new Map<string, NamedTensor>();
  const unprefixed = (raw: string) => (raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : raw);
  for (const [raw, tensor] of readSafetensors(bytes, what, (raw) => !SKIPPED.test(unprefixed(raw)))) {
    const name = unprefixed(raw);
    if (byName.has(name))
      throw new UserError(`${what} has tensor ${name} twice (with and without "${PREFIX}")`);
    byName.set(name, tensor);
  }
  const values = new Map<string, Float32Array>();
  for (const spec of gptWeightLayout(config)) {
    const tensor = byName.get(spec.name);
    if (tensor === undefined) throw new UserError(`${what} has no tensor ${spec.name}`);
    if (!sameShape(tensor.shape, spec.shape)) {
      throw new UserError(
        `${what}: tensor ${spec.name} has shape [${tensor.shape}], the config needs [${spec.shape}]`,
      );
    }
    values.set(spec.name, tensor.data);
  }
  for (const name of byName.keys()) {
    if (!values.has(name)) {
      throw new UserError(
        `${what} has tensor ${name}, which a ${config.nLayer}-layer GPT-2 config has no place for`,
      );
    }
  }
  return GptModel.fromWeights(config, values);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
