/** How a model is built and trained from scratch: recorded with every original model so `retrain` can repeat it. */
import { type CnnArchName, DEFAULT_ARCH } from './cnn';

export interface ArchSpec {
  arch: CnnArchName;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Learning rate multiplied by this after every epoch. */
  lrDecay: number;
}

export const DEFAULT_RECIPE: ArchSpec = {
  arch: DEFAULT_ARCH,
  epochs: 4,
  batchSize: 64,
  lr: 2e-3,
  lrDecay: 0.5,
};
