/**
 * The training worker (dist/native/services/trainWorker.js): trains the original model of a project in
 * its own process, as `unlearn train` does (same recipe, same seeds, same checkpoint), and reports the
 * loss and, for the UI's chart, the accuracy on a fixed subset of the test split as it goes. Started by
 * ./jobs.ts with child_process.fork (bridge, tests) or Electron's utilityProcess (the app); speaks
 * ./trainProtocol.ts. Nothing is written to the project unless training completes.
 */
import type { ImageSplit } from '../data/types';
import { describeBackend, initBackend } from '../engine/backend/select';
import { Rng } from '../engine/random';
import { CancelledError, UserError } from '../errors';
import { type ChannelSide, parentChannel } from '../jobs/channel';
import { accuracy, perClassAccuracy, predictions } from '../metrics/accuracy';
import { Classifier } from '../models/classifier';
import { archByName, buildCnn, isArchName } from '../models/cnn';
import { type ArchSpec, DEFAULT_RECIPE } from '../models/spec';
import { getDataset, loadDataset, openProject, saveCheckpoint } from '../store';
import { classifierToArtifacts } from '../store/modelCodec';
import { wholeSplit } from '../training/samples';
import { Trainer } from '../training/trainer';
import {
  TrainParentMessageSchema,
  type TrainStart,
  type TrainWorkerMessage,
  TrainWorkerMessageSchema,
} from './trainProtocol';

/** The worker's end of its channel (Node IPC or Electron's parentPort). */
export type TrainWorkerSide = ChannelSide<TrainWorkerMessage>;

/** At most this many test images are used for the live accuracy curve. */
const ACCURACY_SUBSET = 500;

function subset(split: ImageSplit, max: number): ImageSplit {
  if (split.size <= max) return split;
  const per = split.pixels.length / split.size;
  const pixels = new Uint8Array(max * per);
  const labels = new Int32Array(max);
  for (let i = 0; i < max; i++) {
    const j = Math.floor((i * split.size) / max);
    pixels.set(split.pixels.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = split.labels[j];
  }
  return { pixels, labels, size: max };
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

export interface TrainHooks {
  progress(fraction: number, epoch: number, loss?: number, accuracy?: number): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

/**
 * Trains and stores the checkpoint (made current). The loop is trainFromScratch's (same model, RNG
 * streams, learning-rate schedule), so the model is the one `unlearn train` makes with the same options;
 * the accuracy probes only read the model.
 */
export async function executeTraining(
  m: TrainStart,
  signal: AbortSignal,
  hooks: TrainHooks,
): Promise<{ checkpointId: number; testAcc: number; seconds: number }> {
  if (!isArchName(m.arch)) throw new UserError(`unknown model architecture '${m.arch}'`);
  const recipe: ArchSpec = { ...DEFAULT_RECIPE, arch: m.arch, epochs: m.epochs };
  const project = openProject(m.projectPath);
  try {
    const { db } = project;
    const row = getDataset(db, m.datasetId);
    const backend = await initBackend();
    hooks.log('info', describeBackend(backend));
    const dataset = loadDataset(db, row.id);
    const k = dataset.classNames.length;
    const probe = subset(dataset.test, ACCURACY_SUBSET);
    const t0 = performance.now();
    const model = buildCnn(archByName(recipe.arch), dataset.shape, k, m.seed);
    const classifier = new Classifier(model);
    try {
      const rng = new Rng(m.seed + 17);
      const trainer = new Trainer(classifier, { lr: recipe.lr, batchSize: recipe.batchSize });
      const stepsPerEpoch = Math.max(1, Math.ceil(dataset.train.size / recipe.batchSize));
      const totalSteps = stepsPerEpoch * recipe.epochs;
      // About 40 points over the whole training, at most one per step.
      const reportEvery = Math.max(1, Math.min(20, Math.floor(totalSteps / 40)));
      let reports = 0;
      const probeAccuracy = () => accuracy(predictions(classifier.predictProbs(probe), k), probe.labels);
      hooks.progress(0, 0);
      try {
        await trainer.fit([wholeSplit(dataset.train)], rng, {
          epochs: recipe.epochs,
          signal,
          reportEvery,
          onStep: (p) => {
            reports++;
            const fraction = (p.epoch + p.step / p.stepsPerEpoch) / recipe.epochs;
            // Accuracy every fourth report and at each epoch's end (it costs a forward pass).
            const measure = reports % 4 === 0 || p.step === p.stepsPerEpoch;
            hooks.progress(Math.min(1, fraction), p.epoch, p.loss, measure ? probeAccuracy() : undefined);
          },
          afterEpoch: (epoch) => {
            trainer.setLearningRate(recipe.lr * recipe.lrDecay ** (epoch + 1));
            return false;
          },
        });
      } finally {
        trainer.dispose();
      }
      const seconds = (performance.now() - t0) / 1000;
      const pred = predictions(classifier.predictProbs(dataset.test), k);
      const testAcc = accuracy(pred, dataset.test.labels);
      const perClassTestAcc = perClassAccuracy(pred, dataset.test.labels, k);
      if (signal.aborted) throw new CancelledError();
      const checkpoint = saveCheckpoint(db, await classifierToArtifacts(classifier), {
        datasetId: row.id,
        kind: 'trained',
        label: `${recipe.arch} trained from scratch on '${row.name}' (${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'})`,
        embeddingLayer: classifier.info.embeddingLayer,
        recipe,
        seed: m.seed,
        metadata: { trainSeconds: seconds, testAcc, perClassTestAcc, backend: backend.name },
        makeCurrent: true,
      });
      return { checkpointId: checkpoint.id, testAcc, seconds };
    } finally {
      classifier.dispose();
    }
  } finally {
    project.close();
  }
}

export function runTrainWorker(side: TrainWorkerSide, exit: (code: number) => void): void {
  const controller = new AbortController();
  let started = false;
  const send = (m: TrainWorkerMessage) => side.send(TrainWorkerMessageSchema.parse(m));
  const log: TrainHooks['log'] = (level, message) => void send({ type: 'log', level, message });
  let last = 0;
  const progress: TrainHooks['progress'] = (fraction, epoch, loss, acc) => {
    const now = Date.now();
    // Throttled like the run worker's progress, but every accuracy probe is sent.
    if (acc === undefined && fraction < 1 && now - last < 200) return;
    last = now;
    const f = Math.max(0, Math.min(1, fraction));
    void send({
      type: 'progress',
      fraction: f,
      epoch,
      ...(loss !== undefined && Number.isFinite(loss) ? { loss } : {}),
      ...(acc !== undefined && Number.isFinite(acc) ? { accuracy: acc } : {}),
    });
  };
  const finish = (m: TrainWorkerMessage, code: number) =>
    send(m).then(
      () => exit(code),
      () => exit(code),
    );
  side.onMessage((raw) => {
    const r = TrainParentMessageSchema.safeParse(raw);
    if (!r.success) {
      log('error', 'invalid message from the parent: ignored');
      return;
    }
    const msg = r.data;
    if (msg.type === 'cancel') {
      controller.abort(new CancelledError());
      return;
    }
    if (started) return log('error', 'this worker already trains: start ignored');
    started = true;
    executeTraining(msg, controller.signal, { progress, log }).then(
      (res) => finish({ type: 'result', ...res }, 0),
      (e) => {
        const kind = e instanceof CancelledError ? 'cancelled' : e instanceof UserError ? 'user' : 'internal';
        if (kind === 'internal' && e instanceof Error && e.stack) log('debug', e.stack);
        finish({ type: 'error', message: oneLine(e), kind }, kind === 'cancelled' ? 0 : 1);
      },
    );
  });
  side.onParentGone(() => {
    controller.abort(new CancelledError('the controlling process went away'));
    if (!started) exit(0);
  });
}

if (require.main === module) {
  const side = parentChannel<TrainWorkerMessage>();
  if (side) {
    runTrainWorker(side, (c) => process.exit(c));
  } else {
    process.stderr.write('error: the training worker must be started by the app (no IPC channel)\n');
    process.exitCode = 2;
  }
}
