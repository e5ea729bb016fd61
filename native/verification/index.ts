/**
 * Verification metrics for any unlearning method (pure functions of a model and a task): a linear probe of
 * the forgotten class on the embedding, relearning time from 1% of the forget data, the residue of the
 * selected concepts, and the summary of metrics over seeds. See docs/poisoning.md.
 */
export {
  type ProbeOptions,
  type ProbeResult,
  linearProbe,
  probeForgetAccuracy,
} from './probe';
export { type RelearnOptions, type RelearnResult, classTestAccuracy, relearnEpochs } from './relearn';
export { type ConceptResidue, type ConceptResidueRow, conceptResidue } from './residue';
export { type MetricSummary, SUMMARY_KEYS, seedSummary } from './summary';
export * from './checkpoint';
