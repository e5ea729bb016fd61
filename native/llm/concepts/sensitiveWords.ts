/**
 * Token concept inference for a class to forget: Integrated Gradients on tokens (tokenIg.ts) over the
 * class's question-answer samples and over a sample of the retained data, word shares per sample
 * (wordShares.ts), aggregated into a ranked list of words.
 *
 *   importance(w)        mean share of w over the forget samples (0 where w is absent)
 *   retainImportance(w)  the same over the retained samples analysed
 *   shared               retainImportance >= sharedRatio * importance: the retained classes rely on the word
 *                        about as much (template words such as "born", "works")
 *   inPrompt             w occurs in a question of the class (the entity's own name: asked about, not revealed)
 *   selected             w occurs in an answer of the class, is neither shared nor inPrompt, importance > 0:
 *                        the words the concept methods replace
 */
import type { IgRule } from '../../concepts/integratedGradients';
import { Rng } from '../../engine/random';
import type { LmSample, QaSample } from '../data/types';
import { wordTokens } from '../metrics/words';
import type { GptModel } from '../model/gpt';
import type { TokenCodec } from '../training/sequences';
import { type TokenBaseline, tokenAttributions } from './tokenIg';
import { wordShares } from './wordShares';

export interface SensitiveWordOptions {
  /** IG quadrature nodes (default 16). */
  steps?: number;
  rule?: IgRule;
  /** Default 'eot'. */
  baseline?: TokenBaseline;
  /** Retained samples analysed (default 48; see retainedToAnalyse). */
  retainSamples?: number;
  /** Default 0.5. */
  sharedRatio?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface SensitiveWordRow {
  word: string;
  importance: number;
  retainImportance: number;
  shared: boolean;
  inPrompt: boolean;
  selected: boolean;
  /** Forget answers the word occurs in. */
  answers: number;
}

/** One forget sample's selected words, by decreasing share in that sample. */
export interface AnswerWords {
  sample: QaSample;
  words: { word: string; share: number }[];
}

export interface TokenConcepts {
  /** Every word of the forget samples' questions and answers, by decreasing importance. */
  words: SensitiveWordRow[];
  perAnswer: AnswerWords[];
  /** Largest relative completeness gap |sum of attributions - (F(x) - F(x'))| / |F(x) - F(x')|. */
  completenessMaxGap: number;
  samples: { forget: number; retain: number };
  options: { steps: number; rule: IgRule; baseline: TokenBaseline; shared_ratio: number };
  seconds: number;
}

export const SENSITIVE_WORD_DEFAULTS = {
  steps: 16,
  rule: 'gauss-legendre' as IgRule,
  baseline: 'eot' as TokenBaseline,
  retainSamples: 48,
  sharedRatio: 0.5,
};

function textOf(s: LmSample): string {
  return s.kind === 'qa' ? `${s.prompt} ${s.response}` : s.text;
}

/**
 * The retained samples IG looks at: for each candidate word (a word of a forget answer that is not in its
 * question), up to two retained samples containing it, so that "do the retained classes rely on it as
 * much" is measured where the word occurs; then random retained samples up to `count` (all seeded).
 */
export function retainedToAnalyse(
  forget: readonly QaSample[],
  retain: readonly LmSample[],
  count: number,
  seed: number,
): LmSample[] {
  const rng = new Rng(seed + 5);
  const order = Array.from(rng.permutation(retain.length), (i) => retain[i]);
  const words = order.map((s) => new Set(wordTokens(textOf(s))));
  const candidates = new Set<string>();
  for (const f of forget) {
    const asked = new Set(wordTokens(f.prompt));
    for (const w of wordTokens(f.response)) if (!asked.has(w)) candidates.add(w);
  }
  const chosen = new Set<number>();
  const sorted = [...candidates].sort();
  // Two passes: one sample per word first, then a second one, so no word is starved by the cap.
  for (let pass = 1; pass <= 2; pass++) {
    for (const w of sorted) {
      let found = 0;
      for (let i = 0; i < order.length && found < pass && chosen.size < count; i++) {
        if (!words[i].has(w)) continue;
        found++;
        chosen.add(i);
      }
    }
  }
  for (let i = 0; i < order.length && chosen.size < count; i++) chosen.add(i);
  return [...chosen].sort((a, b) => a - b).map((i) => order[i]);
}

export function inferSensitiveWords(
  model: GptModel,
  codec: TokenCodec,
  forget: readonly QaSample[],
  retain: readonly LmSample[],
  opts: SensitiveWordOptions = {},
): TokenConcepts {
  const t0 = performance.now();
  const d = SENSITIVE_WORD_DEFAULTS;
  const steps = opts.steps ?? d.steps;
  const rule = opts.rule ?? d.rule;
  const baseline = opts.baseline ?? d.baseline;
  const sharedRatio = opts.sharedRatio ?? d.sharedRatio;
  const retainPick = retainedToAnalyse(forget, retain, opts.retainSamples ?? d.retainSamples, opts.seed ?? 0);
  const nRetain = retainPick.length;
  const all: LmSample[] = [...forget, ...retainPick];
  const attributions = tokenAttributions(model, codec, all, {
    steps,
    rule,
    baseline,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });

  const forgetShares = attributions.slice(0, forget.length).map(wordShares);
  const retainShares = attributions.slice(forget.length).map(wordShares);
  const mean = (lists: ReturnType<typeof wordShares>[]) => {
    const m = new Map<string, number>();
    for (const list of lists)
      for (const w of list) m.set(w.word, (m.get(w.word) ?? 0) + w.share / lists.length);
    return m;
  };
  const importance = mean(forgetShares);
  const retainImportance = mean(retainShares);
  const promptWords = new Set(forget.flatMap((s) => wordTokens(s.prompt)));
  const answerCount = new Map<string, number>();
  for (const s of forget)
    for (const w of new Set(wordTokens(s.response))) answerCount.set(w, (answerCount.get(w) ?? 0) + 1);

  const words: SensitiveWordRow[] = [...importance.entries()].map(([word, imp]) => {
    const ret = retainImportance.get(word) ?? 0;
    const shared = ret >= sharedRatio * imp;
    const inPrompt = promptWords.has(word);
    const answers = answerCount.get(word) ?? 0;
    return {
      word,
      importance: imp,
      retainImportance: ret,
      shared,
      inPrompt,
      selected: answers > 0 && !shared && !inPrompt && imp > 0,
      answers,
    };
  });
  words.sort((a, b) => b.importance - a.importance || (a.word < b.word ? -1 : 1));
  const selected = new Map(words.filter((w) => w.selected).map((w) => [w.word, w.importance]));
  const perAnswer: AnswerWords[] = forget.map((sample, i) => {
    const inAnswer = new Set(wordTokens(sample.response));
    const shares = new Map(forgetShares[i].map((w) => [w.word, w.share]));
    const chosen = [...inAnswer].filter((w) => selected.has(w));
    chosen.sort(
      (a, b) =>
        (shares.get(b) ?? 0) - (shares.get(a) ?? 0) ||
        selected.get(b)! - selected.get(a)! ||
        (a < b ? -1 : 1),
    );
    return { sample, words: chosen.map((word) => ({ word, share: shares.get(word) ?? 0 })) };
  });
  let completenessMaxGap = 0;
  for (const a of attributions) completenessMaxGap = Math.max(completenessMaxGap, a.relativeGap);
  return {
    words,
    perAnswer,
    completenessMaxGap,
    samples: { forget: forget.length, retain: nRetain },
    options: { steps, rule, baseline, shared_ratio: sharedRatio },
    seconds: (performance.now() - t0) / 1000,
  };
}
