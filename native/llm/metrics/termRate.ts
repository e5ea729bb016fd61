/** forget_term_rate: how often generated answers still say what was to be forgotten. */
import { wordTokens } from './words';

/** Whether `text` contains any of `words` as a whole word (word tokens, words.ts). */
export function containsAnyWord(text: string, words: ReadonlySet<string>): boolean {
  return wordTokens(text).some((w) => words.has(w));
}

/**
 * Share of `generations` that contain any of `sensitive` (lowercase word tokens) as a whole word; 0 for no
 * generation.
 */
export function termRate(generations: readonly string[], sensitive: readonly string[]): number {
  if (generations.length === 0) return 0;
  const set = new Set(sensitive.map((w) => w.toLowerCase()));
  let hits = 0;
  for (const g of generations) if (containsAnyWord(g, set)) hits++;
  return hits / generations.length;
}
