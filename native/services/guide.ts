/**
 * Words for people who do not program: what each unlearning method and model architecture does, and the
 * verdict on a finished run. Methods come from the registry (native/unlearning/registry.ts); a method
 * without an entry here is shown with its registry summary.
 */
import { allMethods } from '../unlearning/registry';
import type { ArchInfo, ChoiceInfo, MethodInfo, Metrics, Verdict } from './api';

const EXPLANATIONS: Record<string, string> = {
  random_label:
    'Shows the model the images of the class with wrong, random labels while reminding it of the other classes, until it no longer recognises the class. Fast and reliable.',
  salun:
    'Like random labels, but changes only the half of the model’s weights that matter most for the class, so the rest of what it knows is disturbed less.',
  gradient_ascent:
    'Pushes the model away from its answers on the class’s images while training on the other classes. Quick, but can be unstable: check the other classes afterwards.',
  finetune:
    'Keeps training on every class except the removed one and relies on the model gradually forgetting it. Gentle, but the class may not be fully forgotten.',
  retrain:
    'Trains a new model from scratch without the class. The slowest, and the reference the other methods are compared with: a model that never saw the class.',
  concept_random:
    'Finds the visual parts (concepts) the model relies on for this class only, edits those parts in the class’s images and teaches the model to answer a random other class for them, while reminding it of the other classes.',
  concept_targeted:
    'Finds the visual parts (concepts) the model relies on for this class only, edits those parts in the class’s images and teaches the model to answer the most similar other class (the donor) for them, while reminding it of the other classes. The recommended choice: the class is forgotten without disturbing the classes that share its other parts.',
};

const RECOMMENDED = 'concept_targeted';

/** The concept methods' `mode` values, for people. */
export const POISONING_MODES: ChoiceInfo[] = [
  {
    value: 'mask',
    title: 'Mask the concepts',
    explanation:
      'Covers the places where the class’s concepts appear with the average colour of the images, so the model can no longer see them there. The default: it removes the evidence without adding any.',
  },
  {
    value: 'patch',
    title: 'Replace them with the donor’s',
    explanation:
      'Pastes the same places from images of the donor class over them, so the model sees the donor’s parts where the class’s parts were.',
  },
  {
    value: 'none',
    title: 'Leave the images as they are',
    explanation:
      'Changes only the labels of the class’s images. The concepts then matter only for choosing the donor.',
  },
];

/** The two concept methods as a choice of the new labels. */
export const RELABELLING: ChoiceInfo[] = [
  {
    value: 'concept_targeted',
    title: 'The donor class',
    explanation:
      'Every image of the class is labelled as the donor, the retained class whose images show the most similar concepts: the model learns to answer what it would have answered had it never seen the class.',
  },
  {
    value: 'concept_random',
    title: 'Random other classes',
    explanation: 'Each image of the class gets a random other class as its label, drawn again every epoch.',
  },
];

export function methodFamily(name: string): MethodInfo['family'] {
  if (name === 'retrain') return 'reference';
  return name.startsWith('concept') ? 'concept' : 'baseline';
}

export function methodCatalog(): MethodInfo[] {
  const order = (m: MethodInfo) =>
    m.recommended ? 0 : m.family === 'baseline' ? 1 : m.family === 'concept' ? 2 : 3;
  return allMethods()
    .map((m) => ({
      name: m.name,
      summary: m.summary,
      explanation: EXPLANATIONS[m.name] ?? m.summary,
      family: methodFamily(m.name),
      defaults: { ...m.defaults },
      recommended: m.name === RECOMMENDED,
    }))
    .sort((a, b) => order(a) - order(b));
}

export const ARCH_DESCRIPTIONS: Record<string, string> = {
  'cnn-ref':
    'The default: small and fast (two small convolution layers), about 99% on MNIST after a few epochs.',
  'cnn-small': 'Twice as wide: a little more accurate on harder images, about 2.5 times slower to train.',
  'cnn-medium': 'Deeper, for colour images; slower to train.',
};

export function archCatalog(names: readonly string[]): ArchInfo[] {
  return names.map((name) => ({ name, description: ARCH_DESCRIPTIONS[name] ?? '' }));
}

/** Largest forget-test accuracy still counted as "forgotten". */
export const FORGOTTEN_AT = 0.05;
/** Largest drop of retained test accuracy still counted as "kept". */
export const RETAIN_DROP = 0.05;
/** Largest difference of MIA forget rates still counted as "like the retrained model". */
export const MIA_TOLERANCE = 0.1;

function pct(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a';
}

/** The verdict on an unlearning run from its metrics, its input's, and a retrain's if there is one. */
export function verdictFor(
  after: Metrics,
  before: Metrics,
  retrain: Metrics | null,
  className: string,
): Verdict {
  const lines: string[] = [];
  const forgetAcc = after.forget_test_acc ?? 1;
  const forgotten = forgetAcc <= Math.max(FORGOTTEN_AT, (retrain?.forget_test_acc ?? 0) + FORGOTTEN_AT);
  lines.push(
    forgotten
      ? `The model no longer recognises class '${className}': ${pct(after.forget_test_acc)} of its new images (was ${pct(before.forget_test_acc)}).`
      : `The model still recognises ${pct(after.forget_test_acc)} of the new images of class '${className}' (was ${pct(before.forget_test_acc)}).`,
  );
  const drop = (before.retain_test_acc ?? 0) - (after.retain_test_acc ?? 0);
  const retained = drop <= RETAIN_DROP;
  lines.push(
    retained
      ? `The other classes are kept: ${pct(after.retain_test_acc)} accuracy (was ${pct(before.retain_test_acc)}).`
      : `The other classes lost ${(100 * drop).toFixed(1)} points of accuracy: ${pct(after.retain_test_acc)} (was ${pct(before.retain_test_acc)}).`,
  );
  let miaMatchesRetrain: boolean | null = null;
  if (retrain && after.mia_forget_rate !== null && retrain.mia_forget_rate !== null) {
    miaMatchesRetrain = Math.abs(after.mia_forget_rate - retrain.mia_forget_rate) <= MIA_TOLERANCE;
    lines.push(
      miaMatchesRetrain
        ? `A membership test sees the removed images like a model that never saw them would (${pct(after.mia_forget_rate)} judged unseen; retrained model ${pct(retrain.mia_forget_rate)}).`
        : `A membership test still tells the removed images apart: ${pct(after.mia_forget_rate)} judged unseen, the retrained model ${pct(retrain.mia_forget_rate)}.`,
    );
  } else {
    lines.push(
      `Without a retrained model to compare with, the membership test is shown but not judged (${pct(after.mia_forget_rate)} of the removed images judged unseen).`,
    );
  }
  const level: Verdict['level'] = !forgotten
    ? 'fail'
    : retained && miaMatchesRetrain !== false
      ? 'pass'
      : 'warn';
  return { level, forgotten, retained, miaMatchesRetrain, lines };
}
