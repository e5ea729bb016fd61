/**
 * Text datasets in the project file: a `datasets` row of kind 'text' (the corpus name, its classes, where
 * it came from, a content hash) and three `text_dataset_splits` rows, each a UTF-8 JSON blob: the training
 * samples (`{kind: 'qa', class, prompt, response}` or `{kind: 'text', class, text}`), the held-out
 * paraphrases (question-answer samples never trained on) and the held-out generic texts (strings). The
 * forget/retain split is by class: a task takes a class's training samples as the forget set and every
 * other one as the retain set (../llm/unlearning/task.ts).
 */
import { UserError } from '../errors';
import type { LmCorpus, LmSample, QaSample } from '../llm/data/types';
import { readBlob, writeBlob } from './blobs';
import { type DatasetRow, type DatasetSource, getDataset } from './datasets';
import { type Db, now, sha256, write } from './db';
import { appendEvent } from './events';

export const TEXT_SPLITS = ['train', 'paraphrase', 'heldout'] as const;
export type TextSplitName = (typeof TEXT_SPLITS)[number];

function splitBytes(corpus: LmCorpus): Record<TextSplitName, { size: number; bytes: Buffer }> {
  const enc = (v: unknown[]) => ({ size: v.length, bytes: Buffer.from(JSON.stringify(v), 'utf8') });
  return { train: enc(corpus.train), paraphrase: enc(corpus.paraphrases), heldout: enc(corpus.heldoutText) };
}

function hashOf(classes: readonly string[], splits: Record<TextSplitName, { size: number; bytes: Buffer }>) {
  const parts: (string | Uint8Array)[] = [JSON.stringify({ kind: 'text', classes })];
  for (const s of TEXT_SPLITS) parts.push(`\n${s}:${splits[s].size}\n`, splits[s].bytes);
  return sha256(...parts);
}

/**
 * A text dataset's content hash: sha256 over `{"kind":"text","classes":[…]}`, then for train, paraphrase
 * and heldout in that order `"\n<split>:<size>\n"` and the split's JSON bytes.
 */
export function textDatasetHash(corpus: LmCorpus): string {
  return hashOf(corpus.classes, splitBytes(corpus));
}

/** Stores a text corpus as a dataset (one transaction with its event); returns its row. */
export function saveTextDataset(
  db: Db,
  corpus: LmCorpus,
  source: DatasetSource,
  chunkBytes?: number,
): DatasetRow {
  const splits = splitBytes(corpus);
  const hash = hashOf(corpus.classes, splits);
  const id = write(db, () => {
    const info = db
      .prepare(
        `INSERT INTO datasets (kind, name, class_names, height, width, channels, source, content_hash, created_at)
         VALUES ('text', ?, ?, NULL, NULL, NULL, ?, ?, ?)`,
      )
      .run(corpus.name, JSON.stringify(corpus.classes), JSON.stringify(source), hash, now());
    const datasetId = Number(info.lastInsertRowid);
    const insert = db.prepare(
      'INSERT INTO text_dataset_splits (dataset_id, split, size, samples_blob_id) VALUES (?, ?, ?, ?)',
    );
    for (const s of TEXT_SPLITS) {
      const blob = writeBlob(db, 'text_samples', splits[s].bytes, chunkBytes);
      insert.run(datasetId, s, splits[s].size, blob.id);
    }
    appendEvent(db, {
      kind: 'dataset.imported',
      datasetId,
      details: {
        kind: 'text',
        name: corpus.name,
        source,
        contentHash: hash,
        sizes: {
          train: splits.train.size,
          paraphrase: splits.paraphrase.size,
          heldout: splits.heldout.size,
        },
        classes: corpus.classes.length,
      },
    });
    return datasetId;
  });
  return getDataset(db, id);
}

function parseSplit<T>(bytes: Buffer, what: string): T[] {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (Array.isArray(v)) return v as T[];
  } catch {
    // reported below
  }
  throw new UserError(`the project file is damaged: ${what} is not a JSON array`);
}

/** Loads a text dataset, checking every blob's hash and then the dataset's content hash. */
export function loadTextDataset(db: Db, id: number): LmCorpus {
  const row = getDataset(db, id);
  if (row.kind !== 'text') throw new UserError(`dataset ${id} is an image dataset, not a text dataset`);
  const raws = db
    .prepare('SELECT split, size, samples_blob_id FROM text_dataset_splits WHERE dataset_id = ?')
    .all(id) as { split: TextSplitName; size: number; samples_blob_id: number }[];
  const splits = {} as Record<TextSplitName, { size: number; bytes: Buffer }>;
  for (const s of TEXT_SPLITS) {
    const raw = raws.find((x) => x.split === s);
    if (!raw) throw new UserError(`the project file is damaged: dataset ${id} has no ${s} split`);
    splits[s] = {
      size: raw.size,
      bytes: readBlob(db, raw.samples_blob_id, `the ${s} samples of dataset ${id}`),
    };
  }
  if (hashOf(row.classNames, splits) !== row.contentHash) {
    throw new UserError(`the project file is damaged: dataset ${id} does not match its content hash`);
  }
  const train = parseSplit<LmSample>(splits.train.bytes, `the train samples of dataset ${id}`);
  const paraphrases = parseSplit<QaSample>(splits.paraphrase.bytes, `the paraphrases of dataset ${id}`);
  const heldoutText = parseSplit<string>(splits.heldout.bytes, `the held-out texts of dataset ${id}`);
  for (const s of TEXT_SPLITS) {
    const n = s === 'train' ? train.length : s === 'paraphrase' ? paraphrases.length : heldoutText.length;
    if (n !== splits[s].size) {
      throw new UserError(`the project file is damaged: the ${s} split of dataset ${id} has the wrong size`);
    }
  }
  return { name: row.name, classes: row.classNames, train, paraphrases, heldoutText };
}
