/**
 * Import and export of TensorFlow.js Layers models: a folder with `model.json` (topology + weights
 * manifest) and its binary weight files, the format `tf.loadLayersModel` and the converters use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/tf';
import { UserError } from '../errors';
import { Classifier } from './classifier';

interface ModelJsonFile {
  format?: string;
  modelTopology: tf.io.ModelJSON['modelTopology'];
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  /** Unlearn Studio's own metadata (class names, embedding layer, recipe). */
  userDefinedMetadata?: Record<string, unknown>;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

function weightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((n, s) => {
    const dtype = s.quantization ? s.quantization.dtype : s.dtype;
    return n + s.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[dtype] ?? 4);
  }, 0);
}

function concatBuffers(parts: ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out.buffer;
}

/** Writes `dir/model.json` and `dir/weights.bin` (the directory is created). */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffer =
        data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? concatBuffers(data) : data;
      const json: ModelJsonFile = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: metadata,
      };
      const tmp = path.join(dir, `.weights.bin.${process.pid}.tmp`);
      fs.writeFileSync(tmp, Buffer.from(buffer));
      fs.renameSync(tmp, path.join(dir, 'weights.bin'));
      const tmpJson = path.join(dir, `.model.json.${process.pid}.tmp`);
      fs.writeFileSync(tmpJson, JSON.stringify(json));
      fs.renameSync(tmpJson, path.join(dir, 'model.json'));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

export interface LoadedModel {
  model: tf.LayersModel;
  metadata: Record<string, unknown>;
}

/** Reads a Layers model folder (or a path to its model.json); every problem is a one-line UserError. */
export async function loadLayersModel(location: string): Promise<LoadedModel> {
  const jsonPath = location.endsWith('.json') ? location : path.join(location, 'model.json');
  if (!fs.existsSync(jsonPath)) throw new UserError(`model not found: ${jsonPath} does not exist`);
  let json: ModelJsonFile;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as ModelJsonFile;
  } catch (e) {
    throw new UserError(`model file ${jsonPath} is not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UserError(
      `model file ${jsonPath} is not a TensorFlow.js Layers model (no modelTopology/weightsManifest)`,
    );
  }
  const dir = path.dirname(jsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new UserError(`weight file missing: ${file}`);
      const b = fs.readFileSync(file);
      parts.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  const weightData = concatBuffers(parts);
  const expected = weightBytes(specs);
  if (weightData.byteLength !== expected) {
    throw new UserError(
      `weights of ${jsonPath} are ${weightData.byteLength} bytes but the manifest describes ${expected} (truncated or wrong file)`,
    );
  }
  try {
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
    );
    return { model, metadata: json.userDefinedMetadata ?? {} };
  } catch (e) {
    throw new UserError(`cannot load model ${jsonPath}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Loads a model as a classifier and checks it fits a dataset (input shape and number of classes). */
export async function importClassifier(
  location: string,
  expect: { shape?: [number, number, number]; numClasses?: number; embeddingLayer?: string } = {},
): Promise<{ classifier: Classifier; metadata: Record<string, unknown> }> {
  const { model, metadata } = await loadLayersModel(location);
  const layerName = expect.embeddingLayer ?? (metadata.embeddingLayer as string | undefined);
  let classifier: Classifier;
  try {
    classifier = new Classifier(model, layerName);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const { numClasses, inputShape } = classifier.info;
  if (expect.numClasses !== undefined && numClasses !== expect.numClasses) {
    classifier.dispose();
    throw new UserError(`model outputs ${numClasses} classes but the dataset has ${expect.numClasses}`);
  }
  if (expect.shape && expect.shape.join('x') !== inputShape.join('x')) {
    classifier.dispose();
    throw new UserError(
      `model expects images ${inputShape.join('x')} but the dataset has ${expect.shape.join('x')}`,
    );
  }
  return { classifier, metadata };
}

/** Exports a classifier with its metadata (embedding layer and anything the caller adds). */
export async function exportClassifier(
  classifier: Classifier,
  dir: string,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  await saveLayersModel(classifier.model, dir, {
    ...metadata,
    embeddingLayer: classifier.info.embeddingLayer,
  });
}
