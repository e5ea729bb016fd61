/** Training a GPT from scratch on samples (the demo's original model, and the `retrain` gold standard). */
import { Rng } from '../../engine/random';
import type { LmSample } from '../data/types';
import { GptModel } from '../model/gpt';
import type { LmItem } from './batch';
import { type LmRecipe, gptConfigOf } from './recipe';
import { type TokenCodec, encodeSample } from './sequences';
import { LmTrainer } from './trainer';

export interface LmFromScratchOptions {
  seed: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, loss: number, epoch: number) => void;
}

/** The training items of samples (weight 1). */
export function itemsOf(codec: TokenCodec, samples: readonly LmSample[], nPositions: number): LmItem[] {
  return samples.map((s) => ({ seq: encodeSample(codec, s, nPositions + 1) }));
}

export async function trainLmFromScratch(
  recipe: LmRecipe,
  codec: TokenCodec,
  samples: readonly LmSample[],
  opts: LmFromScratchOptions,
): Promise<GptModel> {
  const model = GptModel.create(gptConfigOf(recipe, codec.vocabSize), opts.seed);
  const trainer = new LmTrainer(model, {
    lr: recipe.lr,
    batchSize: recipe.batchSize,
    warmup: recipe.warmup,
    clipNorm: recipe.clipNorm,
    padId: codec.eotId,
  });
  try {
    await trainer.fit(itemsOf(codec, samples, recipe.nPositions), new Rng(opts.seed + 17), {
      epochs: recipe.epochs,
      signal: opts.signal,
      onStep: (p) => opts.onProgress?.((p.epoch + p.step / p.stepsPerEpoch) / recipe.epochs, p.loss, p.epoch),
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    trainer.dispose();
  }
  return model;
}
