/**
 * From token attributions to word shares: a word's attribution in a sample is the sum of its tokens'
 * attributions (sub-words merged, every occurrence of the word in the sample together); its share is its
 * positive part divided by the sum of the positive parts of all the sample's words (prompt and answer;
 * template words and tokens outside any word left out), so every sample weighs the same.
 */
import type { TokenAttribution } from './tokenIg';
import type { WordOrigin } from './tokenWords';

export interface WordShare {
  word: string;
  /** In [0, 1]; the shares of a sample sum to 1 (or are all 0). */
  share: number;
  /** The raw attribution summed over the word's tokens. */
  attribution: number;
  /** Where the word occurs in the sample. */
  origins: WordOrigin[];
  /** The word as written at its first occurrence. */
  surface: string;
}

/** The sample's words (prompt and answer) by decreasing share. */
export function wordShares(a: TokenAttribution): WordShare[] {
  const byWord = new Map<string, WordShare>();
  a.tokens.words.forEach((w) => {
    if (w.origin === 'template') return;
    const entry = byWord.get(w.word);
    if (entry) {
      if (!entry.origins.includes(w.origin)) entry.origins.push(w.origin);
    } else {
      byWord.set(w.word, { word: w.word, share: 0, attribution: 0, origins: [w.origin], surface: w.surface });
    }
  });
  for (let t = 0; t < a.attributions.length; t++) {
    const wi = a.tokens.wordOf[t];
    if (wi < 0) continue;
    const entry = byWord.get(a.tokens.words[wi].word);
    if (entry) entry.attribution += a.attributions[t];
  }
  const list = [...byWord.values()];
  const total = list.reduce((s, w) => s + Math.max(0, w.attribution), 0);
  for (const w of list) w.share = total > 0 ? Math.max(0, w.attribution) / total : 0;
  return list.sort((x, y) => y.share - x.share || (x.word < y.word ? -1 : 1));
}
