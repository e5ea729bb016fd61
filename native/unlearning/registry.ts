/** Every unlearning method by name. */
import { UserError } from '../errors';
import { conceptRandom } from './methods/conceptRandom';
import { conceptTargeted } from './methods/conceptTargeted';
import { finetune } from './methods/finetune';
import { gradientAscent } from './methods/gradientAscent';
import { randomLabel } from './methods/randomLabel';
import { retrain } from './methods/retrain';
import { salun } from './methods/salun';
import type { UnlearningMethod } from './types';

const BASELINES: UnlearningMethod[] = [retrain, finetune, gradientAscent, randomLabel, salun];
/** Concept-guided poisoning (docs/poisoning.md). */
const CONCEPT: UnlearningMethod[] = [conceptRandom, conceptTargeted];
const METHODS: UnlearningMethod[] = [...BASELINES, ...CONCEPT];

export const BASELINE_METHODS = BASELINES.map((m) => m.name);
export const CONCEPT_METHODS = CONCEPT.map((m) => m.name);

export function methodByName(name: string): UnlearningMethod {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new UserError(`unknown method '${name}' (known: ${METHODS.map((x) => x.name).join(', ')})`);
  return m;
}

export function allMethods(): readonly UnlearningMethod[] {
  return METHODS;
}
