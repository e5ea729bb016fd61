/** The dataset layer: built-in MNIST, IDX and image-folder imports, and stratified split helpers. */
export type { ImageDataset, ImageSplit } from './types';
export { encodeIdx, type IdxArray, parseIdx, readIdx, writeIdx } from './idx';
export {
  carveHeldout,
  checkFraction,
  classCounts,
  concatSplits,
  emptySplit,
  sampleBytes,
  selectIndices,
  selectWhere,
  shuffleSplit,
  stratifiedPick,
  subsetSplit,
} from './splits';
export { loadMnist, type MnistOptions, mnistDataDir } from './mnist';
export { type IdxImportOptions, importIdx } from './idxImport';
export {
  type ImageFolderOptions,
  type ImportedImageFolder,
  importImageFolder,
  type SkippedImage,
} from './imageFolder';
