/**
 * Which word each token of a sample belongs to, so token attributions can be merged from sub-words into
 * words. A sample is laid out as in ../training/sequences.ts; each of its text parts is encoded on its
 * own, so a token's bytes lie inside one part. Words are the runs of letters and digits of
 * ../metrics/words.ts (lowercased); a token belongs to the word its bytes overlap (the first one when it
 * spans two), or to none (spaces, punctuation, end-of-text).
 */
import type { LmSample } from '../data/types';
import { type TokenCodec, answerText, promptText } from '../training/sequences';

/** Where a word comes from: the question, the answer (or the text of a plain sample), or the template. */
export type WordOrigin = 'prompt' | 'response' | 'template';

export interface SampleWord {
  /** Lowercased, as the text metrics see it. */
  word: string;
  /** As written. */
  surface: string;
  origin: WordOrigin;
}

export interface TokenWords {
  /** Every id of the sample (end-of-text first and last). */
  ids: number[];
  /** Per id, the index in `words` or -1. */
  wordOf: number[];
  words: SampleWord[];
}

const encoder = new TextEncoder();

interface Part {
  text: string;
  /** Character ranges of the text and their origin (the rest is template). */
  regions: { start: number; end: number; origin: WordOrigin }[];
}

function partsOf(sample: LmSample): Part[] {
  if (sample.kind === 'text') {
    return [{ text: sample.text, regions: [{ start: 0, end: sample.text.length, origin: 'response' }] }];
  }
  const p = promptText(sample.prompt);
  const at = p.indexOf(sample.prompt);
  const a = answerText(sample.response);
  return [
    { text: p, regions: [{ start: at, end: at + sample.prompt.length, origin: 'prompt' }] },
    { text: a, regions: [{ start: 0, end: a.length, origin: 'response' }] },
  ];
}

/** Words of a text with their UTF-8 byte ranges. */
function wordsWithBytes(part: Part): { start: number; end: number; word: SampleWord }[] {
  const out: { start: number; end: number; word: SampleWord }[] = [];
  for (const m of part.text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const index = m.index ?? 0;
    const region = part.regions.find((r) => index >= r.start && index < r.end);
    const start = encoder.encode(part.text.slice(0, index)).length;
    out.push({
      start,
      end: start + encoder.encode(m[0]).length,
      word: { word: m[0].toLowerCase(), surface: m[0], origin: region?.origin ?? 'template' },
    });
  }
  return out;
}

/**
 * The ids of `sample` (the same as encodeSample's, before any cut to the context) and the word of each.
 */
export function tokenWords(codec: TokenCodec, sample: LmSample): TokenWords {
  const ids: number[] = [codec.eotId];
  const wordOf: number[] = [-1];
  const words: SampleWord[] = [];
  for (const part of partsOf(sample)) {
    const spans = wordsWithBytes(part);
    const base = words.length;
    for (const s of spans) words.push(s.word);
    let offset = 0;
    for (const id of codec.encode(part.text)) {
      const len = codec.decodeBytes([id]).length;
      const start = offset;
      const end = offset + len;
      offset = end;
      const w = spans.findIndex((s) => s.start < end && s.end > start);
      ids.push(id);
      wordOf.push(w < 0 ? -1 : base + w);
    }
  }
  ids.push(codec.eotId);
  wordOf.push(-1);
  return { ids, wordOf, words };
}
