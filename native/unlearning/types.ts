/** The one interface every unlearning method (baselines and concept methods) implements. */
import type { ConceptBank, ConceptExampleSet } from '../concepts/conceptBank';
import type { NmfFactors } from '../concepts/nmfDiscovery';
import type { ImageDataset } from '../data/types';
import type { Classifier } from '../models/classifier';
import type { ArchSpec } from '../models/spec';
import type { SampleSet } from '../training/samples';

/** What a method is asked to forget and what it must keep. */
export interface UnlearningTask {
  dataset: ImageDataset;
  /** Index of the class to forget. */
  forgetClass: number;
  /** The forget class's training samples. */
  forget: SampleSet;
  /** Every other training sample. */
  retain: SampleSet;
  /** How the original was built and trained (retrain repeats it without the forget class). */
  recipe: ArchSpec;
  /** Concepts for the concept-guided methods (optional: they build what is missing). */
  concepts?: TaskConcepts;
}

/** What a task can bring for the concept-guided methods; every field is optional. */
export interface TaskConcepts {
  /** A bank built on the original model (directions in its embedding space). */
  bank?: ConceptBank;
  /** The NMF discovery `bank` comes from (or its stored factors), for its spatial maps (cheaper localisation). */
  discovery?: NmfFactors;
  /** Example sets to build a bank from when `bank` is absent (e.g. groundTruthConceptSets of shapes). */
  exampleSets?: ConceptExampleSet[];
}

export interface MethodProgress {
  stage: string;
  /** Fraction of the method's work done, in [0, 1]. */
  fraction: number;
  loss?: number;
}

export interface MethodContext {
  seed: number;
  signal?: AbortSignal;
  onProgress?: (p: MethodProgress) => void;
}

export type MethodOptions = Record<string, number | string | boolean>;

export interface UnlearningMethod {
  name: string;
  /** One line for people: what the method does. */
  summary: string;
  /** Default hyper-parameters (documented in docs/methods.md). */
  defaults: MethodOptions;
  /**
   * Returns a new, unlearned classifier; never modifies `original`.
   * `options` override `defaults` key by key.
   */
  run(
    original: Classifier,
    task: UnlearningTask,
    options: MethodOptions,
    ctx: MethodContext,
  ): Promise<Classifier>;
}
