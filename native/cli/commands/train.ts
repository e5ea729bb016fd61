/**
 * `unlearn train P [--epochs N] [--arch A]`: trains the original model from scratch; it becomes current.
 * On a text dataset it trains a language model instead (./trainLm.ts).
 */
import { type BackendName, describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import { accuracy, predictions } from '../../metrics/accuracy';
import { CNN_ARCHS, isArchName } from '../../models/cnn';
import { type ArchSpec, DEFAULT_RECIPE } from '../../models/spec';
import { getDataset, latestDataset, loadDataset, saveCheckpoint, withProject } from '../../store';
import { classifierToArtifacts } from '../../store/modelCodec';
import { trainFromScratch } from '../../training/fromScratch';
import { wholeSplit } from '../../training/samples';
import { ProgressLine } from '../progress';
import { integer, out, parseCommand, pct, positiveInt, withInterrupt } from './args';
import { TRAIN_LM_OPTIONS, trainLm } from './trainLm';

export const TRAIN_USAGE = `train P [--epochs N] [--arch ${Object.keys(CNN_ARCHS).join('|')}] [--seed S] [--dataset ID] [--backend wasm|cpu|tensorflow]  (text dataset: ${TRAIN_LM_OPTIONS})`;

export function parseBackend(v: string | undefined): BackendName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'wasm' && v !== 'cpu' && v !== 'tensorflow') {
    throw new UserError(`--backend must be wasm, cpu or tensorflow, got '${v}'`);
  }
  return v;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    {
      epochs: { type: 'string' },
      arch: { type: 'string' },
      seed: { type: 'string' },
      dataset: { type: 'string' },
      backend: { type: 'string' },
      'n-embd': { type: 'string' },
      'n-layer': { type: 'string' },
      'n-head': { type: 'string' },
      'n-positions': { type: 'string' },
      'vocab-size': { type: 'string' },
      lr: { type: 'string' },
      'batch-size': { type: 'string' },
    },
    TRAIN_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const seed = integer(values.seed, 'seed', 1);
  const datasetId = positiveInt(values.dataset, 'dataset');
  const backendName = parseBackend(values.backend);
  const lmOnly = ['n-embd', 'n-layer', 'n-head', 'n-positions', 'vocab-size', 'lr', 'batch-size'] as const;
  const done = await withProject(file, async ({ db }) => {
    const row = datasetId !== undefined ? getDataset(db, datasetId) : latestDataset(db);
    if (row?.kind !== 'text') {
      const given = lmOnly.find((k) => values[k] !== undefined);
      if (given !== undefined)
        throw new UserError(`--${given} applies to a text dataset (language model) only`);
      return false;
    }
    if (values.arch !== undefined) throw new UserError('--arch applies to an image dataset only');
    await trainLm(db, row, values, seed, backendName);
    return true;
  });
  if (done) return;
  const arch = values.arch ?? DEFAULT_RECIPE.arch;
  if (!isArchName(arch)) {
    throw new UserError(`unknown model architecture '${arch}' (known: ${Object.keys(CNN_ARCHS).join(', ')})`);
  }
  const recipe: ArchSpec = {
    ...DEFAULT_RECIPE,
    arch,
    epochs: positiveInt(values.epochs, 'epochs') ?? DEFAULT_RECIPE.epochs,
  };
  await withProject(file, async ({ db }) => {
    const row = datasetId !== undefined ? getDataset(db, datasetId) : latestDataset(db);
    if (!row) throw new UserError('this project has no dataset yet: run `import-dataset` first');
    const progress = new ProgressLine();
    const backend = await initBackend({ prefer: backendName, allowCpu: backendName === 'cpu' });
    progress.log(describeBackend(backend));
    const dataset = loadDataset(db, row.id);
    const t0 = performance.now();
    const classifier = await withInterrupt((signal) =>
      trainFromScratch(recipe, [wholeSplit(dataset.train)], {
        shape: dataset.shape,
        numClasses: dataset.classNames.length,
        seed,
        signal,
        onProgress: (f, loss, epoch) =>
          progress.update('train', f, `epoch ${epoch + 1}/${recipe.epochs} loss ${loss.toFixed(4)}`),
      }),
    );
    try {
      const seconds = (performance.now() - t0) / 1000;
      const k = dataset.classNames.length;
      const testAcc = accuracy(predictions(classifier.predictProbs(dataset.test), k), dataset.test.labels);
      const checkpoint = saveCheckpoint(db, await classifierToArtifacts(classifier), {
        datasetId: row.id,
        kind: 'trained',
        label: `${arch} trained from scratch on '${row.name}' (${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'})`,
        embeddingLayer: classifier.info.embeddingLayer,
        recipe,
        seed,
        metadata: { trainSeconds: seconds, testAcc, backend: backend.name },
        makeCurrent: true,
      });
      progress.done(
        `checkpoint ${checkpoint.id} (current): ${arch}, ${recipe.epochs} epoch(s) in ${seconds.toFixed(1)} s, test accuracy ${pct(testAcc)}`,
      );
      out(String(checkpoint.id));
    } finally {
      classifier.dispose();
    }
  });
}
