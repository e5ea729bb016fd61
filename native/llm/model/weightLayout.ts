/**
 * The weights of a GPT-2 decoder, by their GPT-2 (Hugging Face) names and shapes, in one canonical
 * order. Linear maps use GPT-2's Conv1D layout, [in, out] (y = x @ W + b): c_attn.weight is
 * [nEmbd, 3 * nEmbd] with the query, key and value columns side by side.
 */
import type { GptConfig } from './config';

export interface WeightSpec {
  name: string;
  shape: number[];
  /** How GPT-2 initializes it. */
  init: 'normal' | 'residual' | 'zeros' | 'ones';
}

/** The per-layer weight names, without the `h.{i}.` prefix. */
export const BLOCK_WEIGHT_NAMES = [
  'ln_1.weight',
  'ln_1.bias',
  'attn.c_attn.weight',
  'attn.c_attn.bias',
  'attn.c_proj.weight',
  'attn.c_proj.bias',
  'ln_2.weight',
  'ln_2.bias',
  'mlp.c_fc.weight',
  'mlp.c_fc.bias',
  'mlp.c_proj.weight',
  'mlp.c_proj.bias',
] as const;

export type BlockWeightName = (typeof BLOCK_WEIGHT_NAMES)[number];

function blockSpecs(layer: number, e: number): WeightSpec[] {
  const specs: Record<BlockWeightName, Omit<WeightSpec, 'name'>> = {
    'ln_1.weight': { shape: [e], init: 'ones' },
    'ln_1.bias': { shape: [e], init: 'zeros' },
    'attn.c_attn.weight': { shape: [e, 3 * e], init: 'normal' },
    'attn.c_attn.bias': { shape: [3 * e], init: 'zeros' },
    'attn.c_proj.weight': { shape: [e, e], init: 'residual' },
    'attn.c_proj.bias': { shape: [e], init: 'zeros' },
    'ln_2.weight': { shape: [e], init: 'ones' },
    'ln_2.bias': { shape: [e], init: 'zeros' },
    'mlp.c_fc.weight': { shape: [e, 4 * e], init: 'normal' },
    'mlp.c_fc.bias': { shape: [4 * e], init: 'zeros' },
    'mlp.c_proj.weight': { shape: [4 * e, e], init: 'residual' },
    'mlp.c_proj.bias': { shape: [e], init: 'zeros' },
  };
  return BLOCK_WEIGHT_NAMES.map((n) => ({ name: `h.${layer}.${n}`, ...specs[n] }));
}

/** Every weight of a model of this config, in canonical order (the order of GptModel.variables). */
export function gptWeightLayout(config: GptConfig): WeightSpec[] {
  const e = config.nEmbd;
  const layers = Array.from({ length: config.nLayer }, (_, i) => blockSpecs(i, e));
  return [
    { name: 'wte.weight', shape: [config.vocabSize, e], init: 'normal' },
    { name: 'wpe.weight', shape: [config.nPositions, e], init: 'normal' },
    ...layers.flat(),
    { name: 'ln_f.weight', shape: [e], init: 'ones' },
    { name: 'ln_f.bias', shape: [e], init: 'zeros' },
  ];
}
