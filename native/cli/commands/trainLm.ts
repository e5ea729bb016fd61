/**
 * The language-model half of `unlearn train`: on a text dataset, learns a GPT-2 BPE tokenizer from the
 * training samples and trains a GPT from scratch (an LmRecipe from the options); the model becomes the
 * current checkpoint.
 */
import { type BackendName, describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import { demoTokenizer } from '../../llm/demo/corpus';
import { DEFAULT_LM_RECIPE, DEFAULT_LM_VOCAB_SIZE } from '../../llm/training/defaultRecipe';
import { trainLmFromScratch } from '../../llm/training/fromScratch';
import type { LmRecipe } from '../../llm/training/recipe';
import { type DatasetRow, type Db, loadTextDataset, saveLmCheckpoint } from '../../store';
import { lmToArtifacts } from '../../store/lmCodec';
import { ProgressLine } from '../progress';
import { out, positiveInt, withInterrupt } from './args';

export const TRAIN_LM_OPTIONS =
  '[--n-embd N] [--n-layer N] [--n-head N] [--n-positions N] [--vocab-size N] [--lr X] [--batch-size N]';

export interface TrainLmValues {
  epochs?: string;
  'n-embd'?: string;
  'n-layer'?: string;
  'n-head'?: string;
  'n-positions'?: string;
  'vocab-size'?: string;
  lr?: string;
  'batch-size'?: string;
}

function positiveNumber(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UserError(`--${name} must be a positive number, got '${v}'`);
  }
  return n;
}

/** The recipe and vocabulary size the options give (defaults for what they leave out). */
export function lmRecipeOf(v: TrainLmValues): { recipe: LmRecipe; vocabSize: number } {
  const d = DEFAULT_LM_RECIPE;
  const recipe: LmRecipe = {
    ...d,
    nEmbd: positiveInt(v['n-embd'], 'n-embd') ?? d.nEmbd,
    nLayer: positiveInt(v['n-layer'], 'n-layer') ?? d.nLayer,
    nHead: positiveInt(v['n-head'], 'n-head') ?? d.nHead,
    nPositions: positiveInt(v['n-positions'], 'n-positions') ?? d.nPositions,
    epochs: positiveInt(v.epochs, 'epochs') ?? d.epochs,
    lr: positiveNumber(v.lr, 'lr') ?? d.lr,
    batchSize: positiveInt(v['batch-size'], 'batch-size') ?? d.batchSize,
  };
  if (recipe.nEmbd % recipe.nHead !== 0) {
    throw new UserError(`--n-embd (${recipe.nEmbd}) must be a multiple of --n-head (${recipe.nHead})`);
  }
  return { recipe, vocabSize: positiveInt(v['vocab-size'], 'vocab-size') ?? DEFAULT_LM_VOCAB_SIZE };
}

/** Trains a language model on text dataset `row` and stores it as the current checkpoint; prints its id. */
export async function trainLm(
  db: Db,
  row: DatasetRow,
  values: TrainLmValues,
  seed: number,
  backendName: BackendName | undefined,
): Promise<void> {
  const { recipe, vocabSize } = lmRecipeOf(values);
  const corpus = loadTextDataset(db, row.id);
  const progress = new ProgressLine();
  const backend = await initBackend({ prefer: backendName, allowCpu: backendName === 'cpu' });
  progress.log(describeBackend(backend));
  // A BPE learnt from the training samples only (held-out text and paraphrases unseen).
  const tokenizer = demoTokenizer(corpus, vocabSize);
  const t0 = performance.now();
  let lastLoss = Number.NaN;
  const model = await withInterrupt((signal) =>
    trainLmFromScratch(recipe, tokenizer, corpus.train, {
      seed,
      signal,
      onProgress: (f, loss, epoch) => {
        lastLoss = loss;
        progress.update('train', f, `epoch ${epoch + 1}/${recipe.epochs} loss ${loss.toFixed(4)}`);
      },
    }),
  );
  try {
    const seconds = (performance.now() - t0) / 1000;
    const checkpoint = saveLmCheckpoint(db, lmToArtifacts(model, tokenizer), {
      datasetId: row.id,
      kind: 'trained',
      label: `GPT (${recipe.nLayer} layer${recipe.nLayer === 1 ? '' : 's'}, ${recipe.nEmbd} wide) trained from scratch on '${row.name}' (${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'})`,
      recipe,
      seed,
      metadata: {
        trainSeconds: seconds,
        finalLoss: lastLoss,
        vocabSize: tokenizer.vocabSize,
        backend: backend.name,
      },
      makeCurrent: true,
    });
    progress.done(
      `checkpoint ${checkpoint.id} (current): language model, ${tokenizer.vocabSize} tokens, ${recipe.epochs} epoch(s) in ${seconds.toFixed(1)} s, final loss ${lastLoss.toFixed(4)}`,
    );
    out(String(checkpoint.id));
  } finally {
    model.dispose();
  }
}
