/**
 * The project file: one SQLite database holding datasets, model checkpoints, deletion requests, runs, the
 * concept banks built on checkpoints and the audit trail. Everything here except ./modelCodec.ts works
 * without TensorFlow.js.
 * Schema and policies: docs/project-file.md.
 */
export { type BlobInfo, type BlobKind, CHUNK_BYTES, readBlob, writeBlob } from './blobs';
export {
  type CheckpointKind,
  type CheckpointRow,
  checkpointHash,
  currentCheckpointId,
  findCheckpoint,
  getCheckpoint,
  lineage,
  listCheckpoints,
  loadArtifacts,
  type ModelArtifacts,
  type ModelKind,
  type NewCheckpoint,
  requireCurrentCheckpoint,
  requireImageModel,
  saveCheckpoint,
  setCurrentCheckpoint,
  type WeightSpec,
} from './checkpoints';
export {
  CONCEPT_BANK_SOURCES,
  type ConceptAnalysis,
  type ConceptBankJson,
  type ConceptBankRow,
  type ConceptBankSource,
  conceptBankHash,
  findConceptBank,
  getConceptBank,
  latestConceptBank,
  listConceptBanks,
  loadConceptBank,
  type NewConceptBank,
  saveConceptBank,
  type StoredPcbm,
} from './conceptBanks';
export {
  type DatasetKind,
  type DatasetRow,
  type DatasetSource,
  datasetHash,
  getDataset,
  latestDataset,
  listDatasets,
  loadDataset,
  saveDataset,
  SPLITS,
  type SplitName,
} from './datasets';
export { type Db, read, write } from './db';
export {
  appendEvent,
  type ChainCheck,
  type EventKind,
  type EventRow,
  listEvents,
  verifyEventChain,
} from './events';
export { APP_ID, MIGRATIONS, SCHEMA_VERSION, SQLITE_APPLICATION_ID } from './migrations';
export {
  BUSY_TIMEOUT_MS,
  createProject,
  inspectProjectFile,
  openProject,
  type Project,
  withProject,
} from './open';
export { createRequest, getRequest, listRequests, type RequestRow, type RequestStatus } from './requests';
export {
  checkStartable,
  claimRun,
  createRun,
  endRun,
  findRun,
  getRun,
  listRuns,
  type LmRunMetrics,
  type RunMetrics,
  type RunRow,
  type RunStatus,
  recoverInterruptedRuns,
  STARTABLE,
} from './runs';
export { exportCheckpoint, writeAtomically } from './exportModel';
export {
  type LmArtifacts,
  lmCheckpointHash,
  lmWeightSpecs,
  loadLmArtifacts,
  type NewLmCheckpoint,
  saveLmCheckpoint,
} from './lmCheckpoints';
export {
  loadTextDataset,
  saveTextDataset,
  TEXT_SPLITS,
  type TextSplitName,
  textDatasetHash,
} from './textDatasets';
