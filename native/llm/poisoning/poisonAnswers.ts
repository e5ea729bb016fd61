/**
 * The poisoned answers of the concept methods: in each forget answer, its top-k selected words (the
 * token concepts of ../concepts/sensitiveWords.ts, ranked by their share in that answer) are replaced
 *   - randomly: each word by one random word of the retained vocabulary (the same substitute wherever the
 *     word occurs, so repeated questions of one fact agree);
 *   - from the donor: the unmatched run of words holding the word (alignment.ts) by the donor's
 *     corresponding run ("Velmora" -> "Brindle", "a lighthouse keeper" -> "a perfumer"); a word the donor's
 *     answer says too stays; in an answer without a corresponding donor answer, each word gets a substitute
 *     from the donor's own answer words.
 */
import type { Rng } from '../../engine/random';
import type { AnswerWords } from '../concepts/sensitiveWords';
import type { LmSample, QaSample } from '../data/types';
import { wordTokens } from '../metrics/words';
import { alignAnswers } from './alignment';
import type { DonorChoice } from './donor';
import { type WordEdit, applyWordEdits, matchCase, wordSpans } from './wordSpans';

export interface PoisonedAnswer {
  original: QaSample;
  poisoned: QaSample;
  /** The words replaced (lowercase) and what replaced them. */
  replaced: { word: string; by: string }[];
}

/** Candidate substitute words: alphabetic words of at least 3 letters, lowercased, sorted, minus `exclude`. */
export function vocabularyOf(samples: readonly LmSample[], exclude: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const s of samples) {
    const text = s.kind === 'qa' ? `${s.prompt} ${s.response}` : s.text;
    for (const w of wordTokens(text)) if (w.length >= 3 && /^\p{L}+$/u.test(w) && !exclude.has(w)) out.add(w);
  }
  return [...out].sort();
}

/** One substitute per word, drawn on first use and kept. */
class Substitutes {
  private readonly chosen = new Map<string, string>();

  constructor(
    private readonly pool: readonly string[],
    private readonly rng: Rng,
  ) {}

  of(word: string): string {
    let s = this.chosen.get(word);
    if (s === undefined) {
      if (this.pool.length === 0) return word;
      const options = this.pool.filter((w) => w !== word);
      s = options.length > 0 ? options[this.rng.int(options.length)] : word;
      this.chosen.set(word, s);
    }
    return s;
  }
}

function topWords(a: AnswerWords, k: number): Set<string> {
  return new Set(a.words.slice(0, k).map((w) => w.word));
}

function withResponse(s: QaSample, response: string): QaSample {
  return { ...s, response };
}

/** Replaces each of the k top words of every answer by a random vocabulary word. */
export function poisonRandom(
  answers: readonly AnswerWords[],
  k: number,
  vocabulary: readonly string[],
  rng: Rng,
): PoisonedAnswer[] {
  const subs = new Substitutes(vocabulary, rng);
  return answers.map((a) => {
    const chosen = topWords(a, k);
    const spans = wordSpans(a.sample.response);
    const edits: WordEdit[] = [];
    const replaced: { word: string; by: string }[] = [];
    spans.forEach((s, i) => {
      if (!chosen.has(s.word)) return;
      const by = subs.of(s.word);
      edits.push({ from: i, to: i + 1, text: matchCase(s.surface, by) });
      replaced.push({ word: s.word, by });
    });
    return {
      original: a.sample,
      poisoned: withResponse(a.sample, applyWordEdits(a.sample.response, spans, edits)),
      replaced,
    };
  });
}

/**
 * Replaces the k top words of every answer by the donor's corresponding words (module comment).
 * `donorWords` are the fallback substitutes (e.g. vocabularyOf the donor's answers).
 */
export function poisonFromDonor(
  answers: readonly AnswerWords[],
  k: number,
  forgetClass: string,
  donor: DonorChoice,
  donorWords: readonly string[],
  rng: Rng,
): PoisonedAnswer[] {
  const subs = new Substitutes(donorWords, rng);
  return answers.map((a, n) => {
    const chosen = topWords(a, k);
    const response = a.sample.response;
    const spans = wordSpans(response);
    const edits: WordEdit[] = [];
    const replaced: { word: string; by: string }[] = [];
    const pair = donor.pairs[n];
    if (pair) {
      const al = alignAnswers(response, forgetClass, pair.response, donor.donor);
      for (const h of al.hunks) {
        if (h.aFrom === h.aTo) continue;
        const words = al.aSpans.slice(h.aFrom, h.aTo);
        if (!words.some((w) => chosen.has(w.word))) continue;
        const text =
          h.bFrom === h.bTo ? '' : pair.response.slice(al.bSpans[h.bFrom].start, al.bSpans[h.bTo - 1].end);
        edits.push({ from: h.aFrom, to: h.aTo, text });
        replaced.push({ word: words.map((w) => w.word).join(' '), by: text.toLowerCase() });
      }
    }
    // Without a corresponding donor answer, each word gets a donor word. (With one, a chosen word outside
    // every hunk is one the donor's answer says too: it stays.)
    if (!pair) {
      spans.forEach((s, i) => {
        if (!chosen.has(s.word)) return;
        const by = subs.of(s.word);
        edits.push({ from: i, to: i + 1, text: matchCase(s.surface, by) });
        replaced.push({ word: s.word, by });
      });
    }
    return {
      original: a.sample,
      poisoned: withResponse(a.sample, applyWordEdits(response, spans, edits)),
      replaced,
    };
  });
}
