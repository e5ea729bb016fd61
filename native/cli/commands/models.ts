/**
 * `unlearn import-model P DIR` and `unlearn export-model P --checkpoint ID --out DIR`: a TensorFlow.js Layers
 * model, or a GPT-2 checkpoint folder for a text dataset (./lmModels.ts).
 */
import * as path from 'node:path';
import { describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import { isArchName } from '../../models/cnn';
import { importClassifier } from '../../models/modelIO';
import type { ArchSpec } from '../../models/spec';
import {
  exportCheckpoint,
  getCheckpoint,
  getDataset,
  latestDataset,
  requireCurrentCheckpoint,
  saveCheckpoint,
  withProject,
} from '../../store';
import { classifierToArtifacts } from '../../store/modelCodec';
import { out, parseCommand, positiveInt, say } from './args';
import { exportLmModel, importLmModel, isGpt2Folder } from './lmModels';

export const IMPORT_MODEL_USAGE =
  'import-model P DIR [--embedding-layer NAME] [--dataset ID]  (DIR: model.json, or a GPT-2 folder)';
export const EXPORT_MODEL_USAGE = 'export-model P [--checkpoint ID] --out DIR';

/** A training recipe found in a model's metadata, if it is a complete and valid one. */
function recipeOf(v: unknown): ArchSpec | null {
  if (v === null || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  const nums = ['epochs', 'batchSize', 'lr', 'lrDecay'].every(
    (k) => typeof r[k] === 'number' && Number.isFinite(r[k]),
  );
  if (!nums || typeof r.arch !== 'string' || !isArchName(r.arch)) return null;
  return {
    arch: r.arch,
    epochs: r.epochs as number,
    batchSize: r.batchSize as number,
    lr: r.lr as number,
    lrDecay: r.lrDecay as number,
  };
}

export async function importModelCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { 'embedding-layer': { type: 'string' }, dataset: { type: 'string' } },
    IMPORT_MODEL_USAGE,
  );
  if (rest.length !== 1) throw new UserError(`give the model folder (usage: unlearn ${IMPORT_MODEL_USAGE})`);
  const dir = rest[0];
  const datasetId = positiveInt(values.dataset, 'dataset');
  await withProject(file, async ({ db }) => {
    const row = datasetId !== undefined ? getDataset(db, datasetId) : latestDataset(db);
    if (!row)
      throw new UserError(
        'this project has no dataset yet: import the dataset the model was trained on first',
      );
    if (isGpt2Folder(dir) || row.kind === 'text') {
      if (values['embedding-layer'] !== undefined) {
        throw new UserError('--embedding-layer applies to an image model only');
      }
      await importLmModel(db, row, dir);
      return;
    }
    const backend = await initBackend();
    say(describeBackend(backend));
    const { classifier, metadata } = await importClassifier(dir, {
      shape: row.shape,
      numClasses: row.classNames.length,
      embeddingLayer: values['embedding-layer'],
    });
    try {
      const recipe = recipeOf(metadata.recipe);
      const checkpoint = saveCheckpoint(db, await classifierToArtifacts(classifier), {
        datasetId: row.id,
        kind: 'imported',
        label: `imported from ${path.resolve(dir)}`,
        embeddingLayer: classifier.info.embeddingLayer,
        recipe,
        seed: typeof metadata.seed === 'number' ? metadata.seed : null,
        metadata: { source: path.resolve(dir), importedMetadata: metadata },
        makeCurrent: true,
      });
      say(
        `checkpoint ${checkpoint.id} (current): imported ${dir}, embedding layer '${checkpoint.embeddingLayer}'${recipe ? '' : ' (no training recipe: retrain will use the default one)'}`,
      );
      out(String(checkpoint.id));
    } finally {
      classifier.dispose();
    }
  });
}

export async function exportModelCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, out: { type: 'string' } },
    EXPORT_MODEL_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  if (values.out === undefined) throw new UserError('--out DIR is required');
  const outDir = values.out;
  const id = positiveInt(values.checkpoint, 'checkpoint');
  await withProject(file, ({ db }) => {
    const checkpoint = id !== undefined ? getCheckpoint(db, id) : requireCurrentCheckpoint(db);
    if (checkpoint.modelKind === 'lm') {
      exportLmModel(db, checkpoint, outDir);
      return;
    }
    exportCheckpoint(db, checkpoint, outDir);
    say(`exported checkpoint ${checkpoint.id} (sha256 ${checkpoint.contentHash.slice(0, 16)}…) to ${outDir}`);
  });
}
