/**
 * Generic sentences about everyday things (no entity of the corpus), drawn from a small grammar: trained on
 * as plain text so the model learns the language and not only the facts, and held out to measure utility as
 * perplexity. Held-out sentences never occur in the training ones.
 */
import type { Rng } from '../../engine/random';

const ADJECTIVES = [
  'old',
  'quiet',
  'small',
  'bright',
  'cold',
  'busy',
  'narrow',
  'green',
  'tall',
  'warm',
  'dark',
];
const NOUNS = [
  'river',
  'market',
  'garden',
  'harbour',
  'bridge',
  'village',
  'forest',
  'kitchen',
  'library',
  'road',
  'field',
  'window',
];
const AGENTS = [
  'farmer',
  'child',
  'baker',
  'sailor',
  'teacher',
  'painter',
  'doctor',
  'neighbour',
  'traveller',
];
const VERBS_PAST = [
  'walked',
  'waited',
  'looked',
  'rested',
  'sang',
  'worked',
  'stopped',
  'listened',
  'smiled',
];
const VERBS_BASE = ['walk', 'wait', 'rest', 'sing', 'work', 'read', 'cook', 'swim', 'sleep', 'talk'];
const PREPOSITIONS = ['near', 'behind', 'beside', 'across', 'under', 'along', 'inside'];
const ADVERBS = ['slowly', 'quietly', 'happily', 'early', 'late', 'often', 'carefully'];
const TIMES = ['morning', 'evening', 'winter', 'summer', 'spring', 'night', 'afternoon'];
const THINGS = ['bread', 'apples', 'letters', 'flowers', 'stones', 'candles', 'baskets', 'books'];

const TEMPLATES: readonly ((p: <T>(xs: readonly T[]) => T) => string)[] = [
  (p) =>
    `The ${p(ADJECTIVES)} ${p(AGENTS)} ${p(VERBS_PAST)} ${p(ADVERBS)} ${p(PREPOSITIONS)} the ${p(NOUNS)}.`,
  (p) =>
    `Every ${p(TIMES)} the ${p(AGENTS)} likes to ${p(VERBS_BASE)} ${p(PREPOSITIONS)} the ${p(ADJECTIVES)} ${p(NOUNS)}.`,
  (p) =>
    `In the ${p(TIMES)}, people ${p(VERBS_BASE)} ${p(PREPOSITIONS)} the ${p(NOUNS)} and buy ${p(THINGS)}.`,
  (p) => `A ${p(ADJECTIVES)} ${p(NOUNS)} is a good place to ${p(VERBS_BASE)} in the ${p(TIMES)}.`,
  (p) =>
    `The ${p(AGENTS)} carried ${p(THINGS)} ${p(ADVERBS)} ${p(PREPOSITIONS)} the ${p(ADJECTIVES)} ${p(NOUNS)}.`,
  (p) => `When the ${p(NOUNS)} is ${p(ADJECTIVES)}, the ${p(AGENTS)} ${p(VERBS_PAST)} ${p(ADVERBS)}.`,
];

/** `train` and `heldout` distinct generic sentences (the held-out ones never occur in train). */
export function genericSentences(
  rng: Rng,
  train: number,
  heldout: number,
): { train: string[]; heldout: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const seen = new Set<string>();
  const draw = (n: number): string[] => {
    const out: string[] = [];
    for (let tries = 0; out.length < n && tries < 1000 * (n + 1); tries++) {
      const s = TEMPLATES[rng.int(TEMPLATES.length)](pick);
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(s);
    }
    return out;
  };
  return { train: draw(train), heldout: draw(heldout) };
}
