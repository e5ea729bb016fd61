/** The synthetic `shapes` concept dataset: images whose classes are defined by known visual concepts. */
export {
  generateShapes,
  type ShapesAnnotations,
  type ShapesConceptExamples,
  type ShapesData,
  type ShapesOptions,
  shapesNegatives,
} from './generate';
export { MIN_SHAPES_SIZE, renderShapeImage } from './render';
export {
  ATTRIBUTES,
  type Attribute,
  SHAPES_CLASSES,
  SHAPES_CONCEPTS,
  type ShapeAttributes,
  type ShapesClassSpec,
  type ShapesConcept,
  type ShapesGroundTruth,
  VALUES,
  classAttributes,
  classConcepts,
  conceptsOf,
  groundTruth,
} from './vocabulary';
