/** Every language-model unlearning method by name, in the demo's order. */
import { UserError } from '../../errors';
import { lmConceptRandom } from './methods/conceptRandom';
import { lmConceptTargeted } from './methods/conceptTargeted';
import { lmGradDiff } from './methods/gradDiff';
import { lmGradientAscent } from './methods/gradientAscent';
import { lmIdk } from './methods/idk';
import { lmNpo } from './methods/npo';
import { lmRetrain } from './methods/retrain';
import type { LmUnlearningMethod } from './types';

const METHODS: readonly LmUnlearningMethod[] = [
  lmRetrain,
  lmGradientAscent,
  lmGradDiff,
  lmNpo,
  lmIdk,
  lmConceptRandom,
  lmConceptTargeted,
];

export const LM_METHODS = METHODS.map((m) => m.name);

export function lmMethodByName(name: string): LmUnlearningMethod {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new UserError(`unknown language-model method '${name}' (known: ${LM_METHODS.join(', ')})`);
  return m;
}

export function allLmMethods(): readonly LmUnlearningMethod[] {
  return METHODS;
}
