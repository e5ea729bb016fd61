/**
 * `unlearn import-dataset P --mnist [--limit N] | --folder DIR | --idx IMAGES LABELS`: stores an image
 * dataset (train, test and held-out splits) in the project; `--jsonl FILE | --builtin facts` a text
 * dataset (./importText.ts).
 */
import * as path from 'node:path';
import { importIdx } from '../../data/idxImport';
import { loadMnist } from '../../data/mnist';
import type { ImageDataset } from '../../data/types';
import { UserError } from '../../errors';
import { type DatasetSource, saveDataset, withProject } from '../../store';
import { integer, out, parseCommand, positiveInt, say } from './args';
import { importTextDataset } from './importText';

export const IMPORT_DATASET_USAGE =
  'import-dataset P --mnist [--limit N] | --folder DIR [--skip-corrupt] | --idx IMAGES LABELS | --jsonl FILE | --builtin facts [--quick] [--entities N] [--facts N]  [--seed S] [--name NAME]';

const MNIST_TRAIN = 60000;

export async function importDatasetCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    {
      mnist: { type: 'boolean' },
      limit: { type: 'string' },
      folder: { type: 'string' },
      'skip-corrupt': { type: 'boolean' },
      idx: { type: 'boolean' },
      seed: { type: 'string' },
      name: { type: 'string' },
      jsonl: { type: 'string' },
      builtin: { type: 'string' },
      quick: { type: 'boolean' },
      entities: { type: 'string' },
      facts: { type: 'string' },
    },
    IMPORT_DATASET_USAGE,
  );
  const sources = [
    values.mnist === true,
    values.folder !== undefined,
    values.idx === true,
    values.jsonl !== undefined,
    values.builtin !== undefined,
  ].filter(Boolean);
  if (sources.length !== 1) {
    throw new UserError(
      'give exactly one of --mnist, --folder DIR, --idx IMAGES LABELS, --jsonl FILE or --builtin facts',
    );
  }
  if (values.jsonl !== undefined || values.builtin !== undefined) {
    if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
    if (values.limit !== undefined) throw new UserError('--limit applies to --mnist only');
    const row = await importTextDataset(file, {
      jsonl: values.jsonl,
      builtin: values.builtin,
      seed: integer(values.seed, 'seed', 0),
      quick: values.quick === true,
      entities: values.entities,
      facts: values.facts,
      name: values.name,
    });
    say(
      `text dataset ${row.id} '${row.name}': ${row.sizes.train} training samples, ${row.sizes.test} held-out paraphrases, ${row.sizes.heldout} held-out texts, ${row.classNames.length} classes (sha256 ${row.contentHash.slice(0, 16)}…)`,
    );
    out(String(row.id));
    return;
  }
  if (values.quick || values.entities !== undefined || values.facts !== undefined) {
    throw new UserError('--quick, --entities and --facts apply to --builtin facts only');
  }
  if (values.limit !== undefined && !values.mnist) throw new UserError('--limit applies to --mnist only');
  if (!values.idx && rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const seed = integer(values.seed, 'seed', 0);
  let dataset: ImageDataset;
  let source: DatasetSource;
  if (values.mnist) {
    const limit = positiveInt(values.limit, 'limit');
    // A limit of N keeps N training images and N/5 test and N/5 held-out images (stratified).
    const small = limit === undefined ? undefined : Math.max(10, Math.ceil(limit / 5));
    dataset = loadMnist({
      limitTrain: limit,
      limitTest: small,
      heldoutFraction: small === undefined ? undefined : small / MNIST_TRAIN,
      seed,
    });
    source = { kind: 'mnist', limit: limit ?? null, seed };
  } else if (values.folder !== undefined) {
    const { importImageFolder } = await import('../../data/imageFolder');
    const imported = await importImageFolder(values.folder, {
      seed,
      skipCorrupt: values['skip-corrupt'] === true,
    });
    const { skipped, ...rest } = imported;
    for (const s of skipped.slice(0, 10)) say(`skipped ${s.file}: ${s.reason}`);
    if (skipped.length > 10) say(`… and ${skipped.length - 10} more skipped images`);
    dataset = rest;
    source = { kind: 'folder', path: path.resolve(values.folder), seed, skipped: skipped.length };
  } else {
    if (rest.length !== 2) throw new UserError('--idx needs two files: IMAGES LABELS');
    const [images, labels] = rest;
    dataset = importIdx({ trainImages: images, trainLabels: labels, seed });
    source = { kind: 'idx', images: path.resolve(images), labels: path.resolve(labels), seed };
  }
  if (values.name !== undefined) dataset = { ...dataset, name: values.name };
  const row = await withProject(file, ({ db }) => saveDataset(db, dataset, source));
  say(
    `dataset ${row.id} '${row.name}': ${row.sizes.train} train, ${row.sizes.test} test, ${row.sizes.heldout} held-out images of ${row.shape.join('x')}, ${row.classNames.length} classes (sha256 ${row.contentHash.slice(0, 16)}…)`,
  );
  out(String(row.id));
}
