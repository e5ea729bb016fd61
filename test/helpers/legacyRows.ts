/**
 * Rows written the way builds before schema 3 wrote them (no `datasets.kind`), for migration tests: the
 * current saveDataset names columns an older schema does not have.
 */
import type { ImageDataset } from '../../native/data/types';
import { writeBlob } from '../../native/store/blobs';
import { datasetHash, encodeLabels } from '../../native/store/datasets';
import type { Db } from '../../native/store/db';

/** Stores an image dataset with the schema 1/2 columns; returns its id. */
export function saveLegacyImageDataset(db: Db, ds: ImageDataset, chunkBytes = 500): number {
  return db
    .transaction(() => {
      const info = db
        .prepare(
          `INSERT INTO datasets (name, class_names, height, width, channels, source, content_hash, created_at)
           VALUES (?, ?, ?, ?, ?, '{"kind":"test"}', ?, '2026-01-01T00:00:00.000Z')`,
        )
        .run(ds.name, JSON.stringify(ds.classNames), ...ds.shape, datasetHash(ds));
      const id = Number(info.lastInsertRowid);
      for (const s of ['train', 'test', 'heldout'] as const) {
        const pixels = writeBlob(db, 'pixels', ds[s].pixels, chunkBytes);
        const labels = writeBlob(db, 'labels', encodeLabels(ds[s].labels), chunkBytes);
        db.prepare(
          'INSERT INTO dataset_splits (dataset_id, split, size, pixels_blob_id, labels_blob_id) VALUES (?, ?, ?, ?, ?)',
        ).run(id, s, ds[s].size, pixels.id, labels.id);
      }
      return id;
    })
    .immediate();
}
