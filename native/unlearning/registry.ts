/** Every unlearning method by name. */
import { UserError } from '../errors';
import { finetune } from './methods/finetune';
import { gradientAscent } from './methods/gradientAscent';
import { randomLabel } from './methods/randomLabel';
import { retrain } from './methods/retrain';
import { salun } from './methods/salun';
import type { UnlearningMethod } from './types';

const METHODS: UnlearningMethod[] = [retrain, finetune, gradientAscent, randomLabel, salun];

export const BASELINE_METHODS = METHODS.map((m) => m.name);

export function methodByName(name: string): UnlearningMethod {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new UserError(`unknown method '${name}' (known: ${METHODS.map((x) => x.name).join(', ')})`);
  return m;
}

export function allMethods(): readonly UnlearningMethod[] {
  return METHODS;
}
