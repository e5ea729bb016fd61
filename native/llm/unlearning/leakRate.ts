/**
 * The stopping rule's measure, cheap enough to take after every epoch: under teacher forcing on the
 * original answers, the share of answers whose every token of the watched words is still the model's
 * most likely next token (the answer would still say those words, given the rest of it). Answers without
 * a watched word are left out; 0 when none has one.
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
  words: ReadonlySet<string>,
  batchSize = 32,
): number {
  const watched = samples
    .map((s) => tokenWords(codec, s))
    .map((tw) => {
      // Target positions t (predicting ids[t + 1]) whose token belongs to a watched answer word.
      const positions: number[] = [];
      for (let t = 0; t + 1 < tw.ids.length && t + 1 < model.config.nPositions + 1; t++) {
        const w = tw.wordOf[t + 1];
        if (w >= 0 && tw.words[w].origin === 'response' && words.has(tw.words[w].word)) positions.push(t);
      }
      return { ids: tw.ids.slice(0, model.config.nPositions + 1), positions };
    })
    .filter((x) => x.positions.length > 0);
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
      if (p.positions.every((t) => values[b * time + t] === p.ids[t + 1])) leaks++;
    });
  }
  return leaks / watched.length;
}
