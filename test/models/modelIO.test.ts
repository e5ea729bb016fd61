import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { tf } from '../../native/engine/tf';
import { UserError } from '../../native/errors';
import { Classifier, cloneClassifier, describeModel } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import { exportClassifier, importClassifier, loadLayersModel } from '../../native/models/modelIO';
import { barsDataset } from '../helpers/tinyData';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-model-'));

describe('models', () => {
  before(async () => {
    await initBackend();
  });

  it('builds the same weights from the same seed and different ones from another seed', () => {
    const a = buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 3);
    const b = buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 3);
    const c = buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 4);
    const wa = a.getWeights()[0].dataSync();
    assert.deepEqual(wa, b.getWeights()[0].dataSync());
    assert.notDeepEqual(wa, c.getWeights()[0].dataSync());
    [a, b, c].forEach((m) => m.dispose());
  });

  it('detects the embedding layer of a built-in CNN and of a softmax Sequential model', () => {
    const cnn = buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 1);
    assert.equal(describeModel(cnn).embeddingLayer, 'embedding');
    assert.equal(describeModel(cnn).outputKind, 'logits');
    const seq = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [8, 8, 1], name: 'flat' }),
        tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden' }),
        tf.layers.dense({ units: 4, activation: 'softmax', name: 'out' }),
      ],
    });
    const info = describeModel(seq);
    assert.equal(info.embeddingLayer, 'hidden');
    assert.equal(info.outputKind, 'probabilities');
    assert.equal(info.numClasses, 4);
    assert.throws(
      () => describeModel(seq, 'nope'),
      (e: Error) => e instanceof UserError && /nope/.test(e.message),
    );
    cnn.dispose();
    seq.dispose();
  });

  it('exports and imports a classifier with identical predictions', async () => {
    const ds = barsDataset();
    const c = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 2));
    const dir = tmp();
    await exportClassifier(c, dir, { note: 'x' });
    const { classifier, metadata } = await importClassifier(dir, { shape: [8, 8, 1], numClasses: 4 });
    assert.equal(metadata.note, 'x');
    assert.equal(classifier.info.embeddingLayer, 'embedding');
    assert.deepEqual(classifier.predictProbs(ds.test), c.predictProbs(ds.test));
    const clone = await cloneClassifier(c);
    assert.deepEqual(clone.predictProbs(ds.test), c.predictProbs(ds.test));
    [c, classifier, clone].forEach((m) => m.dispose());
  });

  it('rejects a truncated weight file, a missing model, bad JSON and a model that does not fit the dataset', async () => {
    const c = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 2));
    const dir = tmp();
    await exportClassifier(c, dir);
    await assert.rejects(
      importClassifier(dir, { numClasses: 10 }),
      /outputs 4 classes but the dataset has 10/,
    );
    await assert.rejects(importClassifier(dir, { shape: [28, 28, 1] }), /expects images 8x8x1/);
    const w = path.join(dir, 'weights.bin');
    fs.truncateSync(w, fs.statSync(w).size - 8);
    await assert.rejects(
      loadLayersModel(dir),
      (e: Error) => e instanceof UserError && /truncated/.test(e.message),
    );
    await assert.rejects(loadLayersModel(path.join(dir, 'absent')), /model not found/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{not json');
    await assert.rejects(loadLayersModel(dir), /not valid JSON/);
    c.dispose();
  });
});
