/**
 * The generated corpus of question-answer facts about fictitious entities (people, companies, products),
 * deterministic from a seed: every fact is asked with several training questions (same answer) and has
 * held-out paraphrases; generic sentences are added as plain text (class GENERIC_CLASS) and held out for
 * perplexity.
 */
import { Rng } from '../../engine/random';
import { UserError } from '../../errors';
import {
  type Entity,
  type EntityKind,
  FACTS_BY_KIND,
  type FactContext,
  POOLS,
  type PoolName,
  fill,
} from './facts';
import { genericSentences } from './genericText';
import { NameForge, Pool } from './names';
import type { LmCorpus, LmSample, QaSample } from './types';

/** The class of the generic plain-text samples. */
export const GENERIC_CLASS = 'general';

export interface FactsCorpusSize {
  /** Number of entities (people, companies and products in the ratio 4 : 3 : 3). */
  entities: number;
  /** Facts per entity (at most the number of fact kinds of its type: 14 people, 12 others). */
  factsPerEntity: number;
  /** Training questions per fact (1 to 3). */
  questionsPerFact: number;
  /** Held-out paraphrases per fact (0 to 2). */
  paraphrasesPerFact: number;
  /** Generic sentences trained on, and held out. */
  genericTrain: number;
  genericHeldout: number;
}

export const DEFAULT_FACTS_SIZE: FactsCorpusSize = {
  entities: 10,
  factsPerEntity: 14,
  questionsPerFact: 3,
  paraphrasesPerFact: 2,
  genericTrain: 150,
  genericHeldout: 40,
};

export const QUICK_FACTS_SIZE: FactsCorpusSize = {
  entities: 4,
  factsPerEntity: 6,
  questionsPerFact: 2,
  paraphrasesPerFact: 1,
  genericTrain: 30,
  genericHeldout: 12,
};

/** One generated fact, kept for reference (the ground truth of what an entity's answers reveal). */
export interface GeneratedFact {
  entity: string;
  key: string;
  value: string;
  answer: string;
}

export interface FactsCorpus extends LmCorpus {
  entities: Entity[];
  facts: GeneratedFact[];
}

const COMPANY_SUFFIXES = ['Works', 'Labs', 'Industries', 'Guild', 'Trading', 'Company'];
const PRODUCT_SUFFIXES = ['Mini', 'Pro', 'One', 'Lite', 'Max', 'Classic'];

/** The kinds of `n` entities: people, companies, products in the ratio 4 : 3 : 3, interleaved. */
function entityKinds(n: number): EntityKind[] {
  const order: EntityKind[] = [
    'person',
    'company',
    'product',
    'person',
    'company',
    'product',
    'person',
    'person',
  ];
  const counts = { person: 0, company: 0, product: 0 };
  const target = {
    person: Math.ceil((4 * n) / 10),
    company: Math.round((3 * n) / 10),
    product: 0,
  };
  target.product = n - target.person - target.company;
  const out: EntityKind[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = order[i % order.length];
    if (counts[k] < target[k]) {
      counts[k]++;
      out.push(k);
    }
  }
  return out;
}

function checkSize(s: FactsCorpusSize): void {
  const whole = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new UserError(`corpus size: ${name} must be a whole number in [${lo}, ${hi}], got ${v}`);
    }
  };
  whole(s.entities, 'entities', 2, 200);
  whole(s.factsPerEntity, 'factsPerEntity', 1, 14);
  whole(s.questionsPerFact, 'questionsPerFact', 1, 3);
  whole(s.paraphrasesPerFact, 'paraphrasesPerFact', 0, 2);
  whole(s.genericTrain, 'genericTrain', 0, 100000);
  whole(s.genericHeldout, 'genericHeldout', 0, 100000);
}

/** The corpus for `seed` (the same seed and size always give the same corpus). */
export function factsCorpus(seed: number, size: FactsCorpusSize = DEFAULT_FACTS_SIZE): FactsCorpus {
  checkSize(size);
  const rng = new Rng(seed * 7919 + 101);
  const forge = new NameForge(rng);
  const pools = new Map<PoolName, Pool>();
  const pool = (name: PoolName): Pool => {
    let p = pools.get(name);
    if (!p) {
      p = new Pool(POOLS[name], rng);
      pools.set(name, p);
    }
    return p;
  };
  const entities: Entity[] = entityKinds(size.entities).map((kind) => {
    if (kind === 'person') return { kind, name: `${forge.word(2)} ${forge.word()}` };
    const suffixes = kind === 'company' ? COMPANY_SUFFIXES : PRODUCT_SUFFIXES;
    return { kind, name: `${forge.word()} ${suffixes[rng.int(suffixes.length)]}` };
  });

  const train: LmSample[] = [];
  const paraphrases: QaSample[] = [];
  const facts: GeneratedFact[] = [];
  for (const self of entities) {
    const kinds = FACTS_BY_KIND[self.kind];
    const chosen = rng.permutation(kinds.length).subarray(0, Math.min(size.factsPerEntity, kinds.length));
    const ctx: FactContext = { self, entities, forge, rng, pool };
    for (const k of Array.from(chosen).sort((a, b) => a - b)) {
      const kind = kinds[k];
      const value = kind.value(ctx);
      const response = fill(kind.answer, self.name, value);
      facts.push({ entity: self.name, key: kind.key, value, answer: response });
      for (const q of kind.questions.slice(0, size.questionsPerFact)) {
        train.push({ kind: 'qa', class: self.name, prompt: fill(q, self.name), response });
      }
      for (const q of kind.paraphrases.slice(0, size.paraphrasesPerFact)) {
        paraphrases.push({ kind: 'qa', class: self.name, prompt: fill(q, self.name), response });
      }
    }
  }
  const generic = genericSentences(rng, size.genericTrain, size.genericHeldout);
  for (const text of generic.train) train.push({ kind: 'text', class: GENERIC_CLASS, text });
  const classes = [...entities.map((e) => e.name), ...(generic.train.length > 0 ? [GENERIC_CLASS] : [])];
  return { name: 'facts', classes, train, paraphrases, heldoutText: generic.heldout, entities, facts };
}
