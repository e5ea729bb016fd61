/**
 * Words of a text with their character positions (runs of letters and digits, as ../metrics/words.ts),
 * and rewriting a text word by word while keeping everything between the words.
 */

export interface WordSpan {
  /** Lowercased. */
  word: string;
  surface: string;
  start: number;
  end: number;
}

export function wordSpans(text: string): WordSpan[] {
  return [...text.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({
    word: m[0].toLowerCase(),
    surface: m[0],
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
}

/** One edit: the words [from, to) of the text (indices into its spans) become `text`. */
export interface WordEdit {
  from: number;
  to: number;
  text: string;
}

/**
 * `text` with the edits applied (non-overlapping; order free). Replacing words by the empty string also
 * removes one space next to them, so no double space is left.
 */
export function applyWordEdits(text: string, spans: readonly WordSpan[], edits: readonly WordEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.from - a.from);
  let out = text;
  let lastFrom = Number.POSITIVE_INFINITY;
  for (const e of sorted) {
    if (e.to > lastFrom || e.from >= e.to)
      throw new RangeError('word edits must be non-empty and must not overlap');
    lastFrom = e.from;
    let start = spans[e.from].start;
    let end = spans[e.to - 1].end;
    if (e.text === '') {
      if (start > 0 && out[start - 1] === ' ') start--;
      else if (out[end] === ' ') end++;
    }
    out = out.slice(0, start) + e.text + out.slice(end);
  }
  return out;
}

/** `replacement` with the capitalisation of `original`'s first letter. */
export function matchCase(original: string, replacement: string): string {
  if (replacement === '') return replacement;
  const upper = original[0] !== original[0].toLowerCase();
  const first = upper ? replacement[0].toUpperCase() : replacement[0].toLowerCase();
  return first + replacement.slice(1);
}
