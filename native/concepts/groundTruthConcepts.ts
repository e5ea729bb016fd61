/**
 * The ground-truth concept source: the example sets of the synthetic `shapes` dataset (each concept's
 * positive images, and as negatives the random images that do not show it), ready for buildConceptBank.
 */
import { type ShapesData, shapesNegatives } from '../data/shapes';
import type { ConceptExampleSet } from './conceptBank';

export function groundTruthConceptSets(data: ShapesData): ConceptExampleSet[] {
  return data.examples.map((e) => ({
    name: e.concept,
    positives: e.positives,
    negatives: shapesNegatives(data, e.concept),
    source: 'ground-truth',
  }));
}
