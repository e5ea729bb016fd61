/** A tiny corpus, tokenizer and GPT shared by the language-model tests (seconds, not minutes). */
import type { LmSample, QaSample } from '../../native/llm/data/types';
import type { GptConfig } from '../../native/llm/model/config';
import { GptModel } from '../../native/llm/model/gpt';
import type { Gpt2Tokenizer } from '../../native/llm/tokenizer/gpt2Tokenizer';
import { trainBpe } from '../../native/llm/tokenizer/trainBpe';
import { answerText, promptText } from '../../native/llm/training/sequences';

export const qa = (cls: string, prompt: string, response: string): QaSample => ({
  kind: 'qa',
  class: cls,
  prompt,
  response,
});

/** Three people, three facts each, two questions per fact; two generic sentences. */
export function tinySamples(): LmSample[] {
  const people: [string, string, string, string][] = [
    ['Mara Quill', 'Velmora', 'glassblower', 'cello'],
    ['Tomas Ortel', 'Brindle', 'perfumer', 'harp'],
    ['Ines Dovar', 'Sarrow', 'beekeeper', 'oboe'],
  ];
  const out: LmSample[] = [];
  for (const [n, city, job, instrument] of people) {
    out.push(
      qa(n, `Where was ${n} born?`, `${n} was born in ${city}.`),
      qa(n, `In which city was ${n} born?`, `${n} was born in ${city}.`),
      qa(n, `What does ${n} do?`, `${n} works as a ${job}.`),
      qa(n, `What is the job of ${n}?`, `${n} works as a ${job}.`),
      qa(n, `Which instrument does ${n} play?`, `${n} plays the ${instrument}.`),
      qa(n, `What does ${n} play?`, `${n} plays the ${instrument}.`),
    );
  }
  out.push(
    { kind: 'text', class: 'general', text: 'The old baker walked slowly near the river.' },
    { kind: 'text', class: 'general', text: 'Every morning the child likes to read in the garden.' },
  );
  return out;
}

export function tinyTokenizer(samples: readonly LmSample[] = tinySamples(), vocabSize = 320): Gpt2Tokenizer {
  return trainBpe(
    samples.map((s) => (s.kind === 'qa' ? promptText(s.prompt) + answerText(s.response) : s.text)),
    vocabSize,
  );
}

export function tinyConfig(vocabSize: number, nEmbd = 16): GptConfig {
  return { vocabSize, nPositions: 48, nEmbd, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 };
}

export function tinyModel(vocabSize: number, seed = 1, nEmbd = 16): GptModel {
  return GptModel.create(tinyConfig(vocabSize, nEmbd), seed);
}

/** Every weight's values, for comparisons. */
export function weightsOf(model: GptModel): Float32Array[] {
  return model.variables.map((v) => v.dataSync() as Float32Array);
}

export function sameWeights(a: Float32Array[], b: Float32Array[]): boolean {
  return (
    a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => v === b[i][j]))
  );
}

/** log-softmax of one row, in double precision (an independent reference for the losses). */
export function logSoftmaxRow(row: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  return Array.from(row, (v) => v - lse);
}
