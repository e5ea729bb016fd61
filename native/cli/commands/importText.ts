/**
 * The text half of `unlearn import-dataset`: `--jsonl FILE` (the user's corpus, ../../llm/data/jsonl.ts)
 * or `--builtin facts` (the generated facts corpus, deterministic from `--seed`; `--quick` for the small
 * size, `--entities N` and `--facts N` to size it further). Stores it as a text dataset.
 */
import * as path from 'node:path';
import { UserError } from '../../errors';
import {
  DEFAULT_FACTS_SIZE,
  type FactsCorpusSize,
  QUICK_FACTS_SIZE,
  factsCorpus,
  readJsonlCorpus,
} from '../../llm/data';
import type { LmCorpus } from '../../llm/data/types';
import { type DatasetRow, type DatasetSource, saveTextDataset, withProject } from '../../store';
import { positiveInt } from './args';

export const BUILTIN_TEXT_DATASETS = ['facts'] as const;

export interface TextImportOptions {
  jsonl?: string;
  builtin?: string;
  seed: number;
  quick: boolean;
  entities?: string;
  facts?: string;
  name?: string;
}

/** The corpus the options name, and where it came from. */
export function textCorpusOf(o: TextImportOptions): { corpus: LmCorpus; source: DatasetSource } {
  if (o.jsonl !== undefined) {
    if (o.quick || o.entities !== undefined || o.facts !== undefined) {
      throw new UserError('--quick, --entities and --facts apply to --builtin facts only');
    }
    return {
      corpus: readJsonlCorpus(o.jsonl),
      source: { kind: 'jsonl', path: path.resolve(o.jsonl) },
    };
  }
  if (o.builtin !== 'facts') {
    throw new UserError(
      `unknown built-in dataset '${o.builtin}' (known: ${BUILTIN_TEXT_DATASETS.join(', ')})`,
    );
  }
  const base = o.quick ? QUICK_FACTS_SIZE : DEFAULT_FACTS_SIZE;
  const size: FactsCorpusSize = {
    ...base,
    entities: positiveInt(o.entities, 'entities') ?? base.entities,
    factsPerEntity: positiveInt(o.facts, 'facts') ?? base.factsPerEntity,
  };
  const { entities: _e, facts: _f, ...corpus } = factsCorpus(o.seed, size);
  return { corpus, source: { kind: 'builtin-facts', seed: o.seed, ...size } };
}

/** Imports the text corpus the options name into the project; returns the dataset row. */
export async function importTextDataset(file: string, o: TextImportOptions): Promise<DatasetRow> {
  const { corpus, source } = textCorpusOf(o);
  const named = o.name !== undefined ? { ...corpus, name: o.name } : corpus;
  return withProject(file, ({ db }) => saveTextDataset(db, named, source));
}
