/**
 * Writing a stored checkpoint out as a TensorFlow.js Layers model folder (model.json + weights.bin), with
 * Unlearn Studio's provenance in its metadata. Shared by `unlearn export-model` and the app.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointRow } from './checkpoints';
import { loadArtifacts } from './checkpoints';
import { getDataset } from './datasets';
import type { Db } from './db';

/** Writes `file` through a temporary file and a rename, so a reader never sees half of it. */
export function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Exports `checkpoint` into `dir` (created); returns the two files written. */
export function exportCheckpoint(
  db: Db,
  checkpoint: CheckpointRow,
  dir: string,
): { modelPath: string; weightsPath: string } {
  const artifacts = loadArtifacts(db, checkpoint.id);
  const dataset = getDataset(db, checkpoint.datasetId);
  fs.mkdirSync(dir, { recursive: true });
  const weightsPath = path.join(dir, 'weights.bin');
  const modelPath = path.join(dir, 'model.json');
  writeAtomically(weightsPath, artifacts.weights);
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'Unlearn Studio',
    modelTopology: artifacts.topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    userDefinedMetadata: {
      embeddingLayer: checkpoint.embeddingLayer,
      classNames: dataset.classNames,
      recipe: checkpoint.recipe,
      seed: checkpoint.seed,
      unlearnStudio: {
        checkpointId: checkpoint.id,
        contentHash: checkpoint.contentHash,
        kind: checkpoint.kind,
        label: checkpoint.label,
        datasetContentHash: dataset.contentHash,
      },
    },
  };
  writeAtomically(modelPath, JSON.stringify(modelJson));
  return { modelPath, weightsPath };
}
