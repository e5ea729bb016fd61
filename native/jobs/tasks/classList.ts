/**
 * The `classes` task: a checkpoint's accuracy on each class of its test split, where each class's test
 * images go when the model is wrong (the three most frequent other answers), and a thumbnail per class.
 * Runs in a worker process (the app's main process only relays the value).
 */
import { classCounts } from '../../data/splits';
import { firstOfEachClass, thumbnail } from '../../data/thumbnails';
import { initBackend } from '../../engine/backend/select';
import { accuracy, confusionMatrix, perClassAccuracy, predictions } from '../../metrics/accuracy';
import type { ClassList } from '../../services/api';
import { type Db, getCheckpoint, loadDataset } from '../../store';
import { loadCheckpointClassifier } from '../../store/modelCodec';

export async function classList(db: Db, checkpointId: number): Promise<ClassList> {
  const checkpoint = getCheckpoint(db, checkpointId);
  await initBackend();
  const ds = loadDataset(db, checkpoint.datasetId);
  const k = ds.classNames.length;
  const { classifier } = await loadCheckpointClassifier(db, checkpoint.id);
  let pred: Int32Array;
  try {
    pred = predictions(classifier.predictProbs(ds.test), k);
  } finally {
    classifier.dispose();
  }
  const perClass = perClassAccuracy(pred, ds.test.labels, k);
  const confusion = confusionMatrix(pred, ds.test.labels, k);
  const trainCounts = classCounts(ds.train.labels, k);
  const testCounts = classCounts(ds.test.labels, k);
  const firsts = firstOfEachClass(ds.train, k, 1);
  const classes = [];
  for (let c = 0; c < k; c++) {
    const total = testCounts[c] ?? 0;
    const confusions = confusion[c]
      .map((count, j) => ({ index: j, name: ds.classNames[j], fraction: total ? count / total : 0 }))
      .filter((x) => x.index !== c && x.fraction > 0)
      .sort((a, b) => b.fraction - a.fraction)
      .slice(0, 3);
    classes.push({
      index: c,
      name: ds.classNames[c],
      trainCount: trainCounts[c] ?? 0,
      testCount: total,
      testAcc: perClass[c],
      confusions,
      thumbnail: firsts[c].length ? await thumbnail(ds.train, firsts[c][0], ds.shape) : null,
    });
  }
  return {
    checkpointId: checkpoint.id,
    datasetId: checkpoint.datasetId,
    testAcc: accuracy(pred, ds.test.labels),
    classes,
  };
}
