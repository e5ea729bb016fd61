/** Building the unlearning task of a corpus: the forget class's samples, the retained ones, the references. */
import { resolveForgetClass } from '../data/forgetClass';
import { type LmCorpus, isQa } from '../data/types';
import { sensitiveWords } from '../metrics/sensitiveWords';
import type { LmRecipe } from '../training/recipe';
import type { TokenCodec } from '../training/sequences';
import type { LmTask } from './types';

/** The task of forgetting the class named `forget` (UserError listing the classes when unknown). */
export function makeLmTask(corpus: LmCorpus, forget: string, codec: TokenCodec, recipe: LmRecipe): LmTask {
  const forgetClass = resolveForgetClass(corpus, forget);
  const forgetSamples = corpus.train.filter((s) => s.class === forgetClass);
  const retain = corpus.train.filter((s) => s.class !== forgetClass);
  const forgetQa = forgetSamples.filter(isQa);
  return {
    corpus,
    codec,
    forgetClass,
    forget: forgetSamples,
    forgetQa,
    retain,
    paraphrases: corpus.paraphrases.filter((p) => p.class === forgetClass),
    heldoutText: corpus.heldoutText,
    sensitiveWords: sensitiveWords(forgetQa, retain),
    recipe,
  };
}
