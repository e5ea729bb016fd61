/**
 * The stopping rule's measure, cheap enough to take after every epoch: the share of forget answers the
 * model would still say up to their watched words. Under teacher forcing on the original answer, an answer
 * leaks when the model's most likely next token is the answer's own at every position from the start of
 * the answer through the last token of its last watched word: greedy decoding would then reproduce the
 * answer that far. Answers without a watched word are left out; 0 when none has one. `words` is one set for
 * every answer, or one per answer.
 */
import { tf } from '../../engine/tf';
import { tokenWords } from '../concepts/tokenWords';
import type { QaSample } from '../data/types';
import type { GptModel } from '../model/gpt';
import type { TokenCodec } from '../training/sequences';

export function leakRate(
  model: GptModel,
  codec: TokenCodec,
  samples: readonly QaSample[],
  words: ReadonlySet<string> | readonly ReadonlySet<string>[],
  batchSize = 32,
): number {
  const wordsOf = (i: number) =>
    Array.isArray(words) ? (words[i] as ReadonlySet<string>) : (words as ReadonlySet<string>);
  const limit = model.config.nPositions + 1;
  const watched = samples
    .map((s) => tokenWords(codec, s))
    .map((tw, i) => {
      const set = wordsOf(i);
      const ids = tw.ids.slice(0, limit);
      // Target positions t predict ids[t + 1]; the answer's first target is the first response token.
      let first = -1;
      let last = -1;
      for (let t = 0; t + 1 < ids.length; t++) {
        const w = tw.wordOf[t + 1];
        if (w < 0 || tw.words[w].origin !== 'response') continue;
        if (first < 0) first = t;
        if (set.has(tw.words[w].word)) last = t;
      }
      return { ids, first, last };
    })
    .filter((x) => x.last >= 0);
  if (watched.length === 0) return 0;
  let leaks = 0;
  for (let start = 0; start < watched.length; start += batchSize) {
    const part = watched.slice(start, start + batchSize);
    const time = Math.max(...part.map((p) => p.ids.length - 1));
    const input = new Int32Array(part.length * time).fill(codec.eotId);
    part.forEach((p, b) => {
      for (let t = 0; t + 1 < p.ids.length; t++) input[b * time + t] = p.ids[t];
    });
    const pred = tf.tidy(() => tf.argMax(model.logits(tf.tensor2d(input, [part.length, time], 'int32')), -1));
    const values = pred.dataSync();
    pred.dispose();
    part.forEach((p, b) => {
      let same = true;
      for (let t = p.first; t <= p.last && same; t++) same = values[b * time + t] === p.ids[t + 1];
      if (same) leaks++;
    });
  }
  return leaks / watched.length;
}
