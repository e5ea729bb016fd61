/**
 * How samples become token sequences for a decoder: a question-answer sample is
 *   <|endoftext|> "Question: {prompt}\nAnswer:" " {response}" <|endoftext|>
 * and a plain text <|endoftext|> "{text}" <|endoftext|>. The model reads ids[0..n-2] and predicts
 * ids[1..n-1]; the loss mask keeps the answer's tokens (and the closing end-of-text) of a question-answer
 * sample, and every token of a plain text. Prompt and answer are encoded separately, so a generation
 * started from the prompt's ids sees exactly the tokens of training.
 */
import { UserError } from '../../errors';
import type { LmSample } from '../data/types';

/** What a tokenizer must offer (Gpt2Tokenizer satisfies it). */
export interface TokenCodec {
  readonly eotId: number;
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The UTF-8 bytes the ids stand for (token boundaries may fall inside a character). */
  decodeBytes(ids: readonly number[]): Uint8Array;
}

export interface TokenSequence {
  /** Every token, end-of-text first and last. */
  ids: number[];
  /** Per target (ids[1..]): 1 when trained on, else 0; length ids.length - 1. */
  mask: number[];
  /** Number of ids before the answer (QA: end-of-text + prompt part; text: 1). */
  promptLength: number;
}

/** The prompt text a question is wrapped in. */
export function promptText(prompt: string): string {
  return `Question: ${prompt}\nAnswer:`;
}

/** The answer text that follows promptText (a leading space, so words keep their GPT-2 form). */
export function answerText(response: string): string {
  return ` ${response.trim()}`;
}

/** The ids a generation starts from for `prompt`: end-of-text and the wrapped question. */
export function promptIds(codec: TokenCodec, prompt: string): number[] {
  return [codec.eotId, ...codec.encode(promptText(prompt))];
}

/** The ids of the answer to a prompt, closed by end-of-text. */
export function answerIds(codec: TokenCodec, response: string): number[] {
  return [...codec.encode(answerText(response)), codec.eotId];
}

/**
 * The sequence of a sample. Sequences longer than `maxLength` ids (the context plus one) are cut at the
 * end; a question whose prompt alone leaves no room for an answer token is a UserError.
 */
export function encodeSample(codec: TokenCodec, sample: LmSample, maxLength: number): TokenSequence {
  let ids: number[];
  let promptLength: number;
  if (sample.kind === 'qa') {
    const p = promptIds(codec, sample.prompt);
    ids = [...p, ...answerIds(codec, sample.response)];
    promptLength = p.length;
  } else {
    ids = [codec.eotId, ...codec.encode(sample.text), codec.eotId];
    promptLength = 1;
  }
  if (promptLength >= maxLength) {
    throw new UserError(
      `a question of class '${sample.class}' has ${promptLength} tokens, more than the model's context of ${maxLength - 1}`,
    );
  }
  if (ids.length > maxLength) ids = ids.slice(0, maxLength);
  const mask = ids.slice(1).map((_, t) => (t + 1 >= promptLength ? 1 : 0));
  return { ids, mask, promptLength };
}
