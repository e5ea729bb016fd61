/**
 * Classifier ↔ checkpoint bytes (TensorFlow.js Layers artifacts). The only store module that loads the
 * engine, so that reading the history of a project never starts TensorFlow.js.
 */
import { tf } from '../engine/tf';
import { UserError } from '../errors';
import { Classifier } from '../models/classifier';
import {
  type CheckpointRow,
  type ModelArtifacts,
  type WeightSpec,
  getCheckpoint,
  loadArtifacts,
} from './checkpoints';
import type { Db } from './db';

function concat(parts: ArrayBuffer[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/** The topology, weight manifest and weight bytes of a classifier's model. */
export async function classifierToArtifacts(c: Classifier): Promise<ModelArtifacts> {
  let captured: ModelArtifacts | undefined;
  await c.model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData;
      const weights =
        data === undefined
          ? new Uint8Array(0)
          : Array.isArray(data)
            ? concat(data)
            : new Uint8Array(data.slice(0));
      captured = {
        topology: a.modelTopology,
        weightSpecs: (a.weightSpecs ?? []) as unknown as WeightSpec[],
        weights,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('the model saved no artifacts');
  return captured;
}

/** Rebuilds a classifier from its bytes. */
export async function artifactsToClassifier(a: ModelArtifacts, embeddingLayer: string): Promise<Classifier> {
  const weightData = a.weights.buffer.slice(
    a.weights.byteOffset,
    a.weights.byteOffset + a.weights.byteLength,
  );
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: a.topology as tf.io.ModelJSON['modelTopology'],
        weightSpecs: a.weightSpecs as unknown as tf.io.WeightsManifestEntry[],
        weightData: weightData as ArrayBuffer,
      }),
    );
  } catch (e) {
    throw new UserError(`cannot rebuild the model: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return new Classifier(model, embeddingLayer);
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Loads a checkpoint as a classifier (hashes checked). */
export async function loadCheckpointClassifier(
  db: Db,
  id: number,
): Promise<{ classifier: Classifier; checkpoint: CheckpointRow }> {
  const checkpoint = getCheckpoint(db, id);
  const classifier = await artifactsToClassifier(loadArtifacts(db, id), checkpoint.embeddingLayer);
  return { classifier, checkpoint };
}
