/**
 * Learns a GPT-2-format byte-level BPE from a corpus: the 256 byte symbols (ids 0..255, in GPT-2's
 * order), then merges of the most frequent adjacent pair within pre-tokens (counted over the corpus),
 * ties broken by the lowest (left id, right id), until the vocabulary has `vocabSize` tokens including
 * `<|endoftext|>` (the last id) -- or no pair occurs `minFrequency` times. `<|endoftext|>` in a text
 * separates documents and is not learnt from.
 */
import { UserError } from '../../errors';
import { BYTE_SYMBOLS_IN_VOCAB_ORDER, bytesToSymbols } from './byteSymbols';
import { END_OF_TEXT, Gpt2Tokenizer } from './gpt2Tokenizer';
import { pretokenize } from './pretokenize';

export interface TrainBpeOptions {
  /** A pair must occur at least this often (weighted by pre-token counts) to be merged (default 2). */
  minFrequency?: number;
}

interface Word {
  symbols: number[];
  count: number;
}

/** Pair keys: left * PAIR_BASE + right (exact in a double for ids below 2^26). */
const PAIR_BASE = 2 ** 26;

export function trainBpe(
  texts: readonly string[],
  vocabSize: number,
  opts: TrainBpeOptions = {},
): Gpt2Tokenizer {
  const minFrequency = opts.minFrequency ?? 2;
  if (!Number.isInteger(vocabSize) || vocabSize < 257) {
    throw new UserError(
      `the BPE vocabulary size must be an integer >= 257 (256 bytes + ${END_OF_TEXT}), got ${vocabSize}`,
    );
  }
  if (vocabSize >= PAIR_BASE) throw new UserError(`the BPE vocabulary size ${vocabSize} is too large`);
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new UserError(`minFrequency must be a positive integer, got ${minFrequency}`);
  }
  const vocab = [...BYTE_SYMBOLS_IN_VOCAB_ORDER];
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const words = countWords(texts, ids);

  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1) => {
    const { symbols, count } = words[w];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = symbols[i] * PAIR_BASE + symbols[i + 1];
      const total = (pairCounts.get(key) ?? 0) + sign * count;
      if (total === 0) pairCounts.delete(key);
      else pairCounts.set(key, total);
      if (sign > 0) {
        const set = where.get(key);
        if (set) set.add(w);
        else where.set(key, new Set([w]));
      }
    }
  };
  words.forEach((_, w) => addPairs(w, 1));

  const merges: [string, string][] = [];
  while (vocab.length + 1 < vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minFrequency) break;
    const left = Math.floor(bestKey / PAIR_BASE);
    const right = bestKey % PAIR_BASE;
    const text = vocab[left] + vocab[right];
    let merged = ids.get(text);
    if (merged === undefined) {
      merged = vocab.length;
      vocab.push(text);
      ids.set(text, merged);
    }
    merges.push([vocab[left], vocab[right]]);
    for (const w of where.get(bestKey) ?? []) {
      addPairs(w, -1);
      words[w].symbols = mergePair(words[w].symbols, left, right, merged);
      addPairs(w, 1);
    }
    where.delete(bestKey);
  }
  vocab.push(END_OF_TEXT);
  return Gpt2Tokenizer.fromVocab(vocab, merges);
}

/** The distinct pre-tokens of the corpus as symbol ids, with their counts, in order of first appearance. */
function countWords(texts: readonly string[], ids: Map<string, number>): Word[] {
  const encoder = new TextEncoder();
  const index = new Map<string, number>();
  const words: Word[] = [];
  for (const text of texts) {
    for (const doc of text.split(END_OF_TEXT)) {
      for (const piece of pretokenize(doc)) {
        const w = index.get(piece);
        if (w !== undefined) {
          words[w].count++;
          continue;
        }
        index.set(piece, words.length);
        const symbols = [...bytesToSymbols(encoder.encode(piece))].map((s) => ids.get(s)!);
        words.push({ symbols, count: 1 });
      }
    }
  }
  return words;
}

/** `symbols` with every (left, right) occurrence, left to right, replaced by `merged`. */
function mergePair(symbols: number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}
