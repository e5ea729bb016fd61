/** The demo's corpus (generated, or the user's JSONL) and the tokenizer learnt from its training texts. */
import { factsCorpus } from '../data/factsCorpus';
import { readJsonlCorpus } from '../data/jsonl';
import type { LmCorpus, LmSample } from '../data/types';
import type { Gpt2Tokenizer } from '../tokenizer/gpt2Tokenizer';
import { trainBpe } from '../tokenizer/trainBpe';
import { answerText, promptText } from '../training/sequences';
import type { LlmDemoPreset } from './presets';

/** The user's JSONL corpus when `file` is given, else the generated facts corpus of `seed`. */
export function demoCorpus(preset: LlmDemoPreset, seed: number, file?: string): LmCorpus {
  return file ? readJsonlCorpus(file) : factsCorpus(seed, preset.corpus);
}

/** The text a sample is trained as (without the end-of-text tokens). */
function trainingText(s: LmSample): string {
  return s.kind === 'qa' ? promptText(s.prompt) + answerText(s.response) : s.text;
}

/** A GPT-2-format BPE learnt from the training samples only (held-out text and paraphrases unseen). */
export function demoTokenizer(corpus: LmCorpus, vocabSize: number): Gpt2Tokenizer {
  return trainBpe(corpus.train.map(trainingText), vocabSize);
}
