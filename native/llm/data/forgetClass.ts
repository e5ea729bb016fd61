/** Finding the class to forget by the name the user gave. */
import { UserError } from '../../errors';
import { type LmCorpus, qaClasses } from './types';

/**
 * The class named `name` (exactly, else ignoring case and surrounding spaces) among the classes with
 * question-answer samples; a UserError listing them otherwise.
 */
export function resolveForgetClass(corpus: LmCorpus, name: string): string {
  const classes = qaClasses(corpus);
  if (classes.includes(name)) return name;
  const wanted = name.trim().toLowerCase();
  const match = classes.find((c) => c.toLowerCase() === wanted);
  if (match !== undefined) return match;
  const why = corpus.classes.includes(name) ? ` ('${name}' has no question-answer samples)` : '';
  throw new UserError(`unknown forget class '${name}'${why} (classes: ${classes.join(', ')})`);
}
