/**
 * Datasets in the project file: one `datasets` row (kind, name, class names, shape, where it came from, a
 * content hash) and, for an image dataset, per split one pixel blob (8-bit NHWC, as in memory) and one
 * label blob (int32 little-endian). Text datasets share the row and keep their samples in
 * `text_dataset_splits` (./textDatasets.ts).
 */
import type { ImageDataset, ImageSplit } from '../data/types';
import { UserError } from '../errors';
import { readBlob, writeBlob } from './blobs';
import { type Db, now, parseJson, sha256, write } from './db';
import { appendEvent } from './events';

export const SPLITS = ['train', 'test', 'heldout'] as const;
export type SplitName = (typeof SPLITS)[number];

/** Where a dataset came from, for people (kind plus the options of the import). */
export type DatasetSource = { kind: string } & Record<string, string | number | boolean | null>;

export type DatasetKind = 'image' | 'text';

export interface DatasetRow {
  id: number;
  kind: DatasetKind;
  name: string;
  classNames: string[];
  /** The image shape; [0, 0, 0] for a text dataset. */
  shape: [number, number, number];
  source: DatasetSource;
  contentHash: string;
  createdAt: string;
  /**
   * Samples per split. For a text dataset: `train` training samples, `test` held-out paraphrases,
   * `heldout` held-out generic texts.
   */
  sizes: Record<SplitName, number>;
}

interface RawDataset {
  id: number;
  kind: DatasetKind;
  name: string;
  class_names: string;
  height: number | null;
  width: number | null;
  channels: number | null;
  source: string;
  content_hash: string;
  created_at: string;
}

interface RawSplit {
  split: SplitName;
  size: number;
  pixels_blob_id: number;
  labels_blob_id: number;
}

export function encodeLabels(labels: Int32Array): Buffer {
  const out = Buffer.alloc(labels.length * 4);
  for (let i = 0; i < labels.length; i++) out.writeInt32LE(labels[i], i * 4);
  return out;
}

export function decodeLabels(bytes: Buffer): Int32Array {
  const out = new Int32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt32LE(i * 4);
  return out;
}

/**
 * The dataset's content hash: sha256 over its class names and shape (as JSON), then for each split in
 * the order train, test, heldout its name and size, its pixels and its labels (int32 LE).
 */
export function datasetHash(ds: ImageDataset): string {
  const parts: (string | Uint8Array)[] = [JSON.stringify({ classNames: ds.classNames, shape: ds.shape })];
  for (const s of SPLITS) {
    const split = ds[s];
    parts.push(`\n${s}:${split.size}\n`, split.pixels, encodeLabels(split.labels));
  }
  return sha256(...parts);
}

function toRow(db: Db, r: RawDataset): DatasetRow {
  const where = `dataset ${r.id}`;
  const sizes = { train: 0, test: 0, heldout: 0 };
  if (r.kind === 'text') {
    const splits = db
      .prepare('SELECT split, size FROM text_dataset_splits WHERE dataset_id = ?')
      .all(r.id) as { split: 'train' | 'paraphrase' | 'heldout'; size: number }[];
    for (const s of splits) sizes[s.split === 'paraphrase' ? 'test' : s.split] = s.size;
  } else {
    const splits = db
      .prepare('SELECT split, size FROM dataset_splits WHERE dataset_id = ?')
      .all(r.id) as RawSplit[];
    for (const s of splits) sizes[s.split] = s.size;
  }
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    classNames: parseJson<string[]>(r.class_names, where) ?? [],
    shape: [r.height ?? 0, r.width ?? 0, r.channels ?? 0],
    source: parseJson<DatasetSource>(r.source, where) ?? { kind: 'unknown' },
    contentHash: r.content_hash,
    createdAt: r.created_at,
    sizes,
  };
}

/** Stores a dataset (one transaction); returns its row. */
export function saveDataset(
  db: Db,
  ds: ImageDataset,
  source: DatasetSource,
  chunkBytes?: number,
): DatasetRow {
  const hash = datasetHash(ds);
  const id = write(db, () => {
    const info = db
      .prepare(
        `INSERT INTO datasets (kind, name, class_names, height, width, channels, source, content_hash, created_at)
         VALUES ('image', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(ds.name, JSON.stringify(ds.classNames), ...ds.shape, JSON.stringify(source), hash, now());
    const datasetId = Number(info.lastInsertRowid);
    const insertSplit = db.prepare(
      'INSERT INTO dataset_splits (dataset_id, split, size, pixels_blob_id, labels_blob_id) VALUES (?, ?, ?, ?, ?)',
    );
    for (const s of SPLITS) {
      const split = ds[s];
      const pixels = writeBlob(db, 'pixels', split.pixels, chunkBytes);
      const labels = writeBlob(db, 'labels', encodeLabels(split.labels), chunkBytes);
      insertSplit.run(datasetId, s, split.size, pixels.id, labels.id);
    }
    appendEvent(db, {
      kind: 'dataset.imported',
      datasetId,
      details: {
        name: ds.name,
        source,
        contentHash: hash,
        sizes: { train: ds.train.size, test: ds.test.size, heldout: ds.heldout.size },
        classes: ds.classNames.length,
      },
    });
    return datasetId;
  });
  return getDataset(db, id);
}

export function getDataset(db: Db, id: number): DatasetRow {
  const r = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as RawDataset | undefined;
  if (!r) throw new UserError(`no dataset ${id} in this project`);
  return toRow(db, r);
}

export function listDatasets(db: Db): DatasetRow[] {
  return (db.prepare('SELECT * FROM datasets ORDER BY id').all() as RawDataset[]).map((r) => toRow(db, r));
}

/** The most recently imported dataset, if any. */
export function latestDataset(db: Db): DatasetRow | undefined {
  const r = db.prepare('SELECT * FROM datasets ORDER BY id DESC LIMIT 1').get() as RawDataset | undefined;
  return r ? toRow(db, r) : undefined;
}

/** Loads a dataset into memory, checking every blob's hash and then the dataset's content hash. */
export function loadDataset(db: Db, id: number): ImageDataset {
  const row = getDataset(db, id);
  if (row.kind !== 'image') throw new UserError(`dataset ${id} is a text dataset, not an image dataset`);
  const splits = db
    .prepare('SELECT split, size, pixels_blob_id, labels_blob_id FROM dataset_splits WHERE dataset_id = ?')
    .all(id) as RawSplit[];
  const bytesPerSample = row.shape[0] * row.shape[1] * row.shape[2];
  const out: Partial<Record<SplitName, ImageSplit>> = {};
  for (const s of SPLITS) {
    const raw = splits.find((x) => x.split === s);
    if (!raw) throw new UserError(`the project file is damaged: dataset ${id} has no ${s} split`);
    const pixels = readBlob(db, raw.pixels_blob_id, `the ${s} images of dataset ${id}`);
    const labels = decodeLabels(readBlob(db, raw.labels_blob_id, `the ${s} labels of dataset ${id}`));
    if (pixels.length !== raw.size * bytesPerSample || labels.length !== raw.size) {
      throw new UserError(`the project file is damaged: the ${s} split of dataset ${id} has the wrong size`);
    }
    out[s] = {
      pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length),
      labels,
      size: raw.size,
    };
  }
  const ds: ImageDataset = {
    name: row.name,
    classNames: row.classNames,
    shape: row.shape,
    train: out.train!,
    test: out.test!,
    heldout: out.heldout!,
  };
  if (datasetHash(ds) !== row.contentHash) {
    throw new UserError(`the project file is damaged: dataset ${id} does not match its content hash`);
  }
  return ds;
}
