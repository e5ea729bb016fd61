import { generate } from '../model/generate';
/** Greedy answers of a model to questions, as text. */
import type { GptModel } from '../model/gpt';
import { type TokenCodec, promptIds } from '../training/sequences';

/**
 * The greedy answer to `prompt` (prompt format of sequences.ts), up to `maxNewTokens` tokens or the
 * end-of-text token, trimmed. Throws CancelledError through `signal` between answers.
 */
export function greedyAnswer(
  model: GptModel,
  codec: TokenCodec,
  prompt: string,
  maxNewTokens: number,
): string {
  const ids = promptIds(codec, prompt);
  const room = model.config.nPositions - ids.length;
  const out = generate(model, ids, {
    maxNewTokens: Math.max(0, Math.min(maxNewTokens, room)),
    stopIds: [codec.eotId],
  });
  const body = out[out.length - 1] === codec.eotId ? out.slice(0, -1) : out;
  return codec.decode(body).trim();
}

/** A generation budget for answers like `references`: the longest one's tokens plus a margin. */
export function answerBudget(codec: TokenCodec, references: readonly string[], margin = 8): number {
  let longest = 0;
  for (const r of references) longest = Math.max(longest, codec.encode(` ${r}`).length);
  return longest + 1 + margin;
}
