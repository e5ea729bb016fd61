/**
 * Concept inference for image classifiers: Integrated Gradients, concept banks (CAVs from example folders,
 * NMF discovery or a synthetic ground truth), post-hoc concept bottleneck models, class-to-concept
 * importance, localisation, and concept selection for a forget class. See docs/concepts.md.
 */
export {
  type Cav,
  type CavOptions,
  DEFAULT_CAV_LAMBDAS,
  cavScore,
  logisticRegression,
  trainCav,
} from './cav';
export {
  type Concept,
  type ConceptBank,
  type ConceptBankOptions,
  type ConceptEmbeddings,
  type ConceptExampleSet,
  type ConceptSource,
  DEFAULT_MIN_CAV_ACCURACY,
  type DroppedConcept,
  buildConceptBank,
  conceptBankFromEmbeddings,
  conceptBankFromJson,
  conceptBankToJson,
  conceptDirections,
  conceptScores,
  scoreImages,
} from './conceptBank';
export { type ConceptFolderOptions, loadConceptFolders } from './conceptFolders';
export {
  type ConceptImportance,
  type ConceptImportanceOptions,
  type ConceptLocalization,
  type ImportanceRow,
  type LocalizationOptions,
  conceptImportance,
  conceptImportanceFromEmbeddings,
  importanceTable,
  localizeConcept,
} from './conceptImportance';
export {
  type ConceptRank,
  type ConceptSelection,
  type ConceptSelectionOptions,
  type DonorChoice,
  classScoreProfiles,
  confusionCounts,
  precisionAtK,
  selectConcepts,
} from './conceptSelection';
export { type EmbeddingModel, embeddingModel } from './embeddingModel';
export { groundTruthConceptSets } from './groundTruthConcepts';
export {
  DEFAULT_IG_RULE,
  DEFAULT_IG_STEPS,
  IG_RULES,
  type IgBaseline,
  type IgOptions,
  type IgResult,
  type IgRule,
  type Quadrature,
  gaussianBlur,
  integratedGradients,
  quadrature,
} from './integratedGradients';
export { type NmfOptions, type NmfResult, nmf, nmfTransform } from './nmf';
export {
  type DiscoveredConcept,
  type NmfDiscovery,
  type NmfDiscoveryOptions,
  discoverConcepts,
  discoveredMaps,
  lastConvLayer,
  layerActivations,
} from './nmfDiscovery';
export {
  type Pcbm,
  type PcbmOptions,
  type PcbmReport,
  evaluatePcbm,
  fitPcbm,
  pcbmClassWeights,
  pcbmPredict,
  pcbmProbs,
} from './pcbm';
export { saveHeatmap, savePatch } from './pngExport';
