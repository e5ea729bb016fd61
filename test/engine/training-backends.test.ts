/**
 * Training on wasm (with the project's kernels) follows the cpu backend (tfjs's reference kernels):
 * the reference CNN, same initial weights, same batches, same optimizer -> the same loss curve.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import { Trainer } from '../../native/training/trainer';

interface HostBatch {
  x: Float32Array;
  targets: Int32Array;
}

const SHAPE: [number, number, number] = [28, 28, 1];
const BATCH = 4; // the cpu backend's conv gradients are slow: keep the test at a few seconds

function hostBatches(count: number, seed: number): HostBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(BATCH * 28 * 28);
    // Sparse strokes like MNIST: mostly zeros (ties in the max pools), some bright pixels.
    for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.8 ? 0 : rng.next();
    const targets = Int32Array.from({ length: BATCH }, () => rng.int(10));
    return { x, targets };
  });
}

/**
 * On `backend`: the model with `weights`, one Adam step per batch; returns the loss of every step and
 * the loss on the first batch after the last step.
 */
async function lossCurve(
  backend: 'cpu' | 'wasm',
  weights: { values: Float32Array; shape: number[] }[],
  batches: HostBatch[],
): Promise<number[]> {
  await tf.setBackend(backend);
  const model = buildCnn(CNN_ARCHS['cnn-ref'], SHAPE, 10, 1);
  const init = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(init);
  tf.dispose(init);
  const classifier = new Classifier(model);
  const trainer = new Trainer(classifier, { lr: 1e-3, batchSize: BATCH });
  const toBatch = (b: HostBatch) => ({
    x: tf.tensor4d(b.x, [BATCH, ...SHAPE]),
    targets: b.targets,
    weights: new Float32Array(BATCH).fill(1),
    uniform: true,
  });
  const losses: number[] = [];
  for (const b of batches) {
    const batch = toBatch(b);
    const loss = trainer.step(batch);
    losses.push(loss.dataSync()[0]);
    loss.dispose();
    batch.x.dispose();
  }
  const first = toBatch(batches[0]);
  const final = tf.tidy(() =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.tensor1d(first.targets, 'int32'), 10),
      classifier.logits(first.x),
    ),
  );
  losses.push(final.dataSync()[0]);
  tf.dispose([final, first.x]);
  trainer.dispose();
  classifier.dispose();
  return losses;
}

describe('training cnn-ref on wasm and on cpu', () => {
  after(async () => {
    await tf.setBackend('wasm');
  });

  it('gives the same loss curve from the same weights and batches', async () => {
    await initBackend({ prefer: 'wasm' });
    await tf.setBackend('cpu');
    const reference = buildCnn(CNN_ARCHS['cnn-ref'], SHAPE, 10, 42);
    const weights = reference
      .getWeights()
      .map((w) => ({ values: w.dataSync() as Float32Array, shape: w.shape }));
    reference.dispose();
    const batches = hostBatches(3, 5);

    const cpu = await lossCurve('cpu', weights, batches);
    const wasm = await lossCurve('wasm', weights, batches);
    for (let i = 0; i < cpu.length; i++) {
      const rel = Math.abs(wasm[i] - cpu[i]) / Math.abs(cpu[i]);
      assert.ok(rel <= 1e-3, `loss ${i}: wasm ${wasm[i]} vs cpu ${cpu[i]} (relative difference ${rel})`);
    }
    // The curve moves (the steps did train): the final loss on batch 0 is below its first loss.
    assert.ok(cpu[3] < cpu[0], `cpu losses ${cpu}`);
  });
});
