/** A small project for job tests: a 4-class 8x8 dataset, an untrained cnn-ref as the original, a request. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageDataset } from '../../native/data/types';
import { initBackend } from '../../native/engine/backend/select';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import type { ArchSpec } from '../../native/models/spec';
import { createProject, createRequest, createRun, saveCheckpoint, saveDataset } from '../../native/store';
import { classifierToArtifacts } from '../../native/store/modelCodec';
import type { MethodOptions } from '../../native/unlearning/types';
import { barsDataset } from '../helpers/tinyData';

export interface JobFixture {
  file: string;
  dataset: ImageDataset;
  checkpointId: number;
  requestId: number;
  runId: number;
  /** The original's test-set probabilities, computed before anything ran. */
  probsBefore: Float32Array;
}

/** Retrain repeats this recipe: a few epochs of small batches, so a run lasts a little while. */
export const RECIPE: ArchSpec = { arch: 'cnn-ref', epochs: 4, batchSize: 16, lr: 2e-3, lrDecay: 0.7 };

export async function makeJobProject(
  method = 'retrain',
  parameters: MethodOptions = {},
): Promise<JobFixture> {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-jobs-'));
  const file = path.join(dir, 'project.unlearn');
  const dataset = barsDataset(4, 3);
  const project = createProject(file);
  try {
    const ds = saveDataset(project.db, dataset, { kind: 'bars' });
    const classifier = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], dataset.shape, 4, 5));
    const probsBefore = classifier.predictProbs(dataset.test);
    const checkpoint = saveCheckpoint(project.db, await classifierToArtifacts(classifier), {
      datasetId: ds.id,
      kind: 'trained',
      label: 'original (untrained cnn-ref)',
      embeddingLayer: classifier.info.embeddingLayer,
      recipe: RECIPE,
      seed: 5,
      makeCurrent: true,
    });
    classifier.dispose();
    const request = createRequest(project.db, {
      requester: 'test',
      datasetId: ds.id,
      classIndex: 1,
      className: 'bar1',
    });
    const run = createRun(project.db, { requestId: request.id, method, parameters, seed: 2 });
    return { file, dataset, checkpointId: checkpoint.id, requestId: request.id, runId: run.id, probsBefore };
  } finally {
    project.close();
  }
}
