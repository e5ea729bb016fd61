/**
 * The shape of a GPT-2-style decoder: vocabulary, context length, width, depth, heads and LayerNorm
 * epsilon (the Hugging Face GPT-2 config's vocab_size, n_positions, n_embd, n_layer, n_head,
 * layer_norm_epsilon; see ../checkpoint/hfConfig.ts for the config.json mapping).
 */
import { UserError } from '../../errors';

export interface GptConfig {
  vocabSize: number;
  /** Context length: the number of learned positions. */
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  layerNormEpsilon: number;
}

const INTEGER_FIELDS = ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'] as const;

/** Checks an untrusted value and returns it as a GptConfig (only its own fields); UserError otherwise. */
export function validateGptConfig(c: unknown): GptConfig {
  if (c == null || typeof c !== 'object' || Array.isArray(c)) {
    throw new UserError('the GPT config must be an object');
  }
  const record = c as Record<string, unknown>;
  for (const field of INTEGER_FIELDS) {
    const v = record[field];
    if (v === undefined) throw new UserError(`the GPT config has no ${field}`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new UserError(`the GPT config's ${field} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  const eps = record.layerNormEpsilon;
  if (eps === undefined) throw new UserError('the GPT config has no layerNormEpsilon');
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0 || eps >= 1) {
    throw new UserError(`the GPT config's layerNormEpsilon must be in (0, 1), got ${JSON.stringify(eps)}`);
  }
  const config: GptConfig = {
    vocabSize: record.vocabSize as number,
    nPositions: record.nPositions as number,
    nEmbd: record.nEmbd as number,
    nLayer: record.nLayer as number,
    nHead: record.nHead as number,
    layerNormEpsilon: eps,
  };
  if (config.nEmbd % config.nHead !== 0) {
    throw new UserError(
      `the GPT config's nEmbd (${config.nEmbd}) is not a multiple of nHead (${config.nHead})`,
    );
  }
  return config;
}
