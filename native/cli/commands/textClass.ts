/** The class of a deletion request on a text dataset: a class with question-answer samples, by name. */
import { resolveForgetClass } from '../../llm/data/forgetClass';
import { type DatasetRow, type Db, loadTextDataset } from '../../store';

/**
 * The index (in the dataset's classes) of the class named `cls`, exactly or ignoring case; a UserError
 * listing the classes that can be forgotten otherwise.
 */
export function resolveTextClass(db: Db, dataset: DatasetRow, cls: string): number {
  const corpus = loadTextDataset(db, dataset.id);
  return corpus.classes.indexOf(resolveForgetClass(corpus, cls));
}
