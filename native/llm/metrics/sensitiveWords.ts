/**
 * The words a forget class's answers reveal, the reference for forget_term_rate: the word tokens of its
 * answers that occur in none of its prompts (the entity's own name is asked about, not revealed) and in no
 * retained sample (prompt, answer or text: words the model may say for other reasons).
 */
import type { LmSample, QaSample } from '../data/types';
import { wordTokens } from './words';

function sampleWords(s: LmSample): string[] {
  return s.kind === 'qa' ? [...wordTokens(s.prompt), ...wordTokens(s.response)] : wordTokens(s.text);
}

/** Sorted, without repetition. */
export function sensitiveWords(forget: readonly QaSample[], retain: readonly LmSample[]): string[] {
  const excluded = new Set<string>();
  for (const s of forget) for (const w of wordTokens(s.prompt)) excluded.add(w);
  for (const s of retain) for (const w of sampleWords(s)) excluded.add(w);
  const out = new Set<string>();
  for (const s of forget) for (const w of wordTokens(s.response)) if (!excluded.has(w)) out.add(w);
  return [...out].sort();
}
