/** Formatting for people: percentages, durations, stage and method names. */

export function pct(v: number | null | undefined, digits = 1): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : 'n/a';
}

export function duration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '';
  if (seconds < 1) return 'less than a second';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m} min ${s} s`;
}

const STAGES: Record<string, string> = {
  start: 'Starting the worker',
  load: 'Loading the model and the data',
  'evaluate-input': 'Measuring the model before',
  'evaluate-output': 'Measuring the model after',
  done: 'Saving the result',
  retrain: 'Training from scratch without the class',
  random_label: 'Relabelling the class and fine-tuning',
  salun: 'Fine-tuning the salient weights',
  saliency: 'Finding the weights that matter for the class',
  gradient_ascent: 'Pushing the model away from the class',
  finetune: 'Fine-tuning on the other classes',
  concepts: 'Finding the class’s concepts',
  poison: 'Disturbing the class’s concepts',
  discover: 'Discovering concepts in the images (NMF) and storing them',
  analyse: 'Measuring how much each class relies on each concept',
  examples: 'Drawing where each concept appears',
};

/** Phases of a job that are the job itself; any other phase is a method run for comparison. */
const OWN_PHASES = new Set(['', 'unlearn', 'train', 'concepts']);

/** "unlearn:random_label" → a readable label ("random_label:load" → "Comparison (Random labels): …"). */
export function stageLabel(key: string): string {
  const [phase, stage] = key.includes(':') ? key.split(':', 2) : ['', key];
  const label = STAGES[stage] ?? stage.replace(/[_-]/g, ' ');
  if (OWN_PHASES.has(phase)) return label;
  return `Comparison (${methodLabel(phase)}): ${label.charAt(0).toLowerCase()}${label.slice(1)}`;
}

const METHOD_NAMES: Record<string, string> = {
  random_label: 'Random labels',
  salun: 'SalUn (salient weights only)',
  gradient_ascent: 'Gradient ascent (NegGrad+)',
  finetune: 'Fine-tune on the rest',
  retrain: 'Retrain from scratch',
  concept_random: 'Concept poisoning (random labels)',
  concept_targeted: 'Concept poisoning (donor class)',
};

export function methodLabel(name: string): string {
  return METHOD_NAMES[name] ?? name.replace(/_/g, ' ');
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** A number with `digits` significant digits, for tables of importances. */
export function num(v: number | null | undefined, digits = 3): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  return Math.abs(v) >= 10 ** digits ? v.toFixed(0) : Number(v.toPrecision(digits)).toString();
}
