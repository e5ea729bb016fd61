/**
 * config.json of a Hugging Face GPT-2 checkpoint <-> GptConfig: vocab_size, n_positions, n_embd,
 * n_layer, n_head, layer_norm_epsilon, model_type "gpt2". Settings this engine does not implement
 * (another activation, n_inner other than 4 * n_embd, untied embeddings, ...) are refused.
 */
import { UserError } from '../../errors';
import { type GptConfig, validateGptConfig } from '../model/config';

const FIELDS: [keyof GptConfig, string][] = [
  ['vocabSize', 'vocab_size'],
  ['nPositions', 'n_positions'],
  ['nEmbd', 'n_embd'],
  ['nLayer', 'n_layer'],
  ['nHead', 'n_head'],
  ['layerNormEpsilon', 'layer_norm_epsilon'],
];

/** GPT-2's GELU under its config names (the tanh approximation). */
const GELU_TANH = ['gelu_new', 'gelu_pytorch_tanh'];

/** The GptConfig of config.json's text (UserError naming the missing or unsupported field). */
export function parseHfGpt2Config(text: string, what = 'config.json'): GptConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${what} is not valid JSON (${(err as Error).message})`);
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError(`${what} must be a JSON object`);
  }
  const hf = parsed as Record<string, unknown>;
  if (hf.model_type !== undefined && hf.model_type !== 'gpt2') {
    throw new UserError(`${what} has model_type ${JSON.stringify(hf.model_type)}; only "gpt2" is supported`);
  }
  const missing = FIELDS.filter(([, key]) => hf[key] === undefined).map(([, key]) => key);
  if (missing.length > 0) throw new UserError(`${what} has no ${missing.join(', ')}`);
  const activation = hf.activation_function;
  if (activation !== undefined && !GELU_TANH.includes(activation as string)) {
    throw new UserError(
      `${what} has activation_function ${JSON.stringify(activation)}; only gelu_new is supported`,
    );
  }
  if (hf.n_inner != null && hf.n_inner !== 4 * (hf.n_embd as number)) {
    throw new UserError(`${what} has n_inner ${JSON.stringify(hf.n_inner)}; only 4 * n_embd is supported`);
  }
  if (hf.tie_word_embeddings === false) {
    throw new UserError(`${what} has tie_word_embeddings false; only tied embeddings are supported`);
  }
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (hf[flag] === true) throw new UserError(`${what} sets ${flag}, which is not supported`);
  }
  if (hf.scale_attn_weights === false)
    throw new UserError(`${what} sets scale_attn_weights false, which is not supported`);
  for (const [field, key] of FIELDS) {
    const v = hf[key];
    const ok =
      field === 'layerNormEpsilon'
        ? typeof v === 'number' && v > 0 && v < 1
        : typeof v === 'number' && Number.isInteger(v) && v >= 1;
    if (!ok) {
      const want = field === 'layerNormEpsilon' ? 'a number in (0, 1)' : 'a positive integer';
      throw new UserError(`${what} has ${key} ${JSON.stringify(v)}, not ${want}`);
    }
  }
  if ((hf.n_embd as number) % (hf.n_head as number) !== 0) {
    throw new UserError(`${what} has n_embd ${hf.n_embd}, not a multiple of n_head ${hf.n_head}`);
  }
  const candidate: Record<string, unknown> = {};
  for (const [field, key] of FIELDS) candidate[field] = hf[key];
  return validateGptConfig(candidate);
}

/** config.json's text for a model of this config (Hugging Face GPT-2 keys). */
export function formatHfGpt2Config(config: GptConfig, eotId: number): string {
  const hf = {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_ctx: config.nPositions,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: null,
    layer_norm_epsilon: config.layerNormEpsilon,
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
    bos_token_id: eotId,
    eos_token_id: eotId,
  };
  return `${JSON.stringify(hf, null, 2)}\n`;
}
