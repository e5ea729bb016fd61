/**
 * Word alignment of two answers to the same question about different entities ("X was born in Velmora."
 * vs "Y was born in Brindle."): the longest common subsequence of their words, with each entity's own name
 * words standing for one placeholder, and the unmatched runs between matched words as hunks
 * (Velmora <-> Brindle).
 */
import { wordTokens } from '../metrics/words';
import { type WordSpan, wordSpans } from './wordSpans';

const NAME = '\u0000name';

/** The words of a text, the words of `name` (a class name) replaced by one placeholder each. */
function keyed(spans: readonly WordSpan[], name: string): string[] {
  const nameWords = new Set(wordTokens(name));
  return spans.map((s) => (nameWords.has(s.word) ? NAME : s.word));
}

/** A pair of corresponding unmatched runs: words [aFrom, aTo) of a, [bFrom, bTo) of b. */
export interface Hunk {
  aFrom: number;
  aTo: number;
  bFrom: number;
  bTo: number;
}

/** The matched pairs (i, j) of an LCS of a and b, in order (ties resolved towards the earliest match). */
export function lcsPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  // suffix[i][j] = LCS length of a[i..] and b[j..]
  const suffix = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      suffix[i][j] = a[i] === b[j] ? suffix[i + 1][j + 1] + 1 : Math.max(suffix[i + 1][j], suffix[i][j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (suffix[i + 1][j] >= suffix[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

export interface Alignment {
  aSpans: WordSpan[];
  bSpans: WordSpan[];
  hunks: Hunk[];
  /** ROUGE-L F1 of the keyed word sequences. */
  similarity: number;
}

/** Aligns text `a` about class `aName` with text `b` about class `bName`. */
export function alignAnswers(a: string, aName: string, b: string, bName: string): Alignment {
  const aSpans = wordSpans(a);
  const bSpans = wordSpans(b);
  const ka = keyed(aSpans, aName);
  const kb = keyed(bSpans, bName);
  const pairs = lcsPairs(ka, kb);
  const hunks: Hunk[] = [];
  let pi = 0;
  let pj = 0;
  for (const [i, j] of [...pairs, [ka.length, kb.length] as [number, number]]) {
    if (i > pi || j > pj) hunks.push({ aFrom: pi, aTo: i, bFrom: pj, bTo: j });
    pi = i + 1;
    pj = j + 1;
  }
  const lcs = pairs.length;
  const similarity = lcs === 0 ? 0 : (2 * lcs) / (ka.length + kb.length);
  return { aSpans, bSpans, hunks, similarity };
}

/** Similarity of two questions about different entities (ROUGE-L F1 of their keyed words). */
export function questionSimilarity(a: string, aName: string, b: string, bName: string): number {
  return alignAnswers(a, aName, b, bName).similarity;
}
