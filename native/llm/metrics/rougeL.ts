/**
 * ROUGE-L (Lin, 2004): precision, recall and F1 of the longest common subsequence of word tokens
 * (words.ts) between a generated text and its reference.
 */
import { wordTokens } from './words';

/** Length of the longest common subsequence of two sequences (O(|a| |b|) time, O(|b|) memory). */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

export interface RougeL {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * ROUGE-L of `candidate` against `reference`: precision = LCS / |candidate|, recall = LCS / |reference|,
 * F1 their harmonic mean. An empty side gives 0 everywhere (two empty texts: 1).
 */
export function rougeL(candidate: string, reference: string): RougeL {
  const c = wordTokens(candidate);
  const r = wordTokens(reference);
  if (c.length === 0 && r.length === 0) return { precision: 1, recall: 1, f1: 1 };
  const lcs = lcsLength(c, r);
  if (lcs === 0) return { precision: 0, recall: 0, f1: 0 };
  const precision = lcs / c.length;
  const recall = lcs / r.length;
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

/** Mean ROUGE-L F1 over pairs (0 for none). */
export function meanRougeLF1(candidates: readonly string[], references: readonly string[]): number {
  if (candidates.length !== references.length) {
    throw new RangeError(`${candidates.length} candidates for ${references.length} references`);
  }
  if (candidates.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < candidates.length; i++) s += rougeL(candidates[i], references[i]).f1;
  return s / candidates.length;
}
