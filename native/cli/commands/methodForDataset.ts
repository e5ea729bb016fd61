/**
 * Which unlearning method a run uses, by the kind of its dataset: the image methods
 * (../../unlearning/registry.ts) for an image dataset, the language-model methods
 * (../../llm/unlearning/registry.ts) for a text dataset. A method of the other kind is a UserError.
 */
import { UserError } from '../../errors';
import { LM_METHODS, lmMethodByName } from '../../llm/unlearning/registry';
import type { DatasetRow } from '../../store';
import { allMethods, methodByName } from '../../unlearning/registry';
import type { MethodOptions } from '../../unlearning/types';

export const DEFAULT_IMAGE_METHOD = 'random_label';
export const DEFAULT_LM_METHOD = 'idk';

export interface RunMethod {
  name: string;
  defaults: MethodOptions;
}

/** Throws a UserError unless `name` is a method of either kind (checked before the project is opened). */
export function checkMethodName(name: string | undefined): void {
  if (name === undefined) return;
  const imageNames = allMethods().map((m) => m.name);
  if (!imageNames.includes(name) && !LM_METHODS.includes(name)) {
    throw new UserError(
      `unknown method '${name}' (image methods: ${imageNames.join(', ')}; language-model methods: ${LM_METHODS.join(', ')})`,
    );
  }
}

/** The method `name` (or the kind's default) for a run on `dataset`. */
export function methodForDataset(
  dataset: Pick<DatasetRow, 'id' | 'kind'>,
  name: string | undefined,
): RunMethod {
  const imageNames = allMethods().map((m) => m.name);
  if (dataset.kind === 'text') {
    const wanted = name ?? DEFAULT_LM_METHOD;
    if (!LM_METHODS.includes(wanted) && imageNames.includes(wanted)) {
      throw new UserError(
        `method '${wanted}' is an image method but dataset ${dataset.id} is a text dataset (language-model methods: ${LM_METHODS.join(', ')})`,
      );
    }
    const m = lmMethodByName(wanted);
    return { name: m.name, defaults: m.defaults };
  }
  const wanted = name ?? DEFAULT_IMAGE_METHOD;
  if (!imageNames.includes(wanted) && LM_METHODS.includes(wanted)) {
    throw new UserError(
      `method '${wanted}' is a language-model method but dataset ${dataset.id} is an image dataset (image methods: ${imageNames.join(', ')})`,
    );
  }
  const m = methodByName(wanted);
  return { name: m.name, defaults: m.defaults };
}
