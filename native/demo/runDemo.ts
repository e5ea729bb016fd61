/**
 * The product's main job without a window: train (or reuse) an original model, run every unlearning
 * method on one class, measure each against `retrain`, print a table and write report.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProgressLine } from '../cli/progress';
import { type BackendName, describeBackend, initBackend } from '../engine/backend/select';
import { tf } from '../engine/tf';
import { avgGap } from '../metrics/gap';
import type { ArchSpec } from '../models/spec';
import { type Evaluation, evaluate } from '../unlearning/evaluate';
import { BASELINE_METHODS, methodByName } from '../unlearning/registry';
import { makeTask, resolveClass } from '../unlearning/task';
import { runConceptStage } from './conceptStage';
import { type DemoLimits, loadDemoData } from './datasets';
import { obtainOriginal } from './originalModel';
import type { DemoReport, MethodResult, ModelResult } from './report';
import { formatConceptTable, formatTable } from './table';

export { QUICK_LIMITS } from './datasets';

export interface DemoOptions {
  /** 'mnist' (default) or 'shapes'. */
  dataset?: string;
  quick: boolean;
  forget: string;
  seed: number;
  out: string;
  methods?: string[];
  backend?: BackendName;
  recipe?: Partial<ArchSpec>;
  /** Override the subset sizes (totals over the classes; tests use tiny ones). */
  limits?: DemoLimits;
}

function pickResult(e: Evaluation, seconds: number): ModelResult {
  return { ...e, seconds };
}

export async function runDemo(opts: DemoOptions, progress: ProgressLine): Promise<DemoReport> {
  const backend = await initBackend({ prefer: opts.backend, allowCpu: opts.backend === 'cpu' });
  progress.log(describeBackend(backend));
  const data = loadDemoData(opts.dataset ?? 'mnist', {
    quick: opts.quick,
    seed: opts.seed,
    limits: opts.limits,
  });
  const { dataset } = data;
  const forgetClass = resolveClass(dataset, opts.forget);
  const recipe: ArchSpec = { ...data.recipe, ...opts.recipe };
  const methods = opts.methods ?? BASELINE_METHODS;
  methods.forEach((m) => methodByName(m));
  progress.log(
    `dataset ${dataset.name}: ${dataset.train.size} train, ${dataset.test.size} test, ${dataset.heldout.size} held-out; forget class ${forgetClass} ('${dataset.classNames[forgetClass]}')`,
  );

  const original = await obtainOriginal(
    dataset,
    recipe,
    opts.seed,
    path.join(opts.out, 'cache'),
    (f, loss, epoch) =>
      progress.update('original', f, `epoch ${epoch + 1}/${recipe.epochs} loss ${loss.toFixed(4)}`),
  );
  const origEval = evaluate(original.classifier, dataset, forgetClass, opts.seed);
  progress.done(
    `original model ${original.cached ? `loaded from ${original.dir}` : `trained in ${original.seconds.toFixed(1)} s`}: test accuracy ${(100 * origEval.test_acc).toFixed(2)}%`,
  );

  const stage = await runConceptStage(original.classifier, dataset, forgetClass, {
    seed: opts.seed,
    quick: opts.quick,
    shapes: data.shapes,
    outDir: opts.out,
    progress,
  });

  const concepts = stage.report;
  const task = makeTask(dataset, forgetClass, recipe);
  // The concept-guided methods (--methods concept_targeted, ...) reuse the stage's bank.
  if (stage.analysis.bank.concepts.length > 0) {
    task.concepts = { bank: stage.analysis.bank, discovery: stage.analysis.discovery };
  }
  const evals: Record<
    string,
    { e: Evaluation; seconds: number; options: Record<string, number | string | boolean> }
  > = {};
  for (const name of methods) {
    const method = methodByName(name);
    const t0 = performance.now();
    const model = await method.run(
      original.classifier,
      task,
      {},
      {
        seed: opts.seed,
        onProgress: (p) =>
          progress.update(name, p.fraction, p.loss === undefined ? p.stage : `loss ${p.loss.toFixed(4)}`),
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const e = evaluate(model, dataset, forgetClass, opts.seed);
    model.dispose();
    evals[name] = { e, seconds, options: { ...method.defaults } };
    progress.done(
      `${name.padEnd(16)} ${seconds.toFixed(1).padStart(7)} s  forget-test ${(100 * e.forget_test_acc).toFixed(2)}%  retain-test ${(100 * e.retain_test_acc).toFixed(2)}%  (tensors in memory: ${tf.memory().numTensors})`,
    );
  }
  const retrain = evals.retrain?.e;
  const methodResults: Record<string, MethodResult> = {};
  for (const [name, { e, seconds, options }] of Object.entries(evals)) {
    methodResults[name] = {
      ...pickResult(e, seconds),
      avg_gap: retrain ? avgGap(e, retrain) : null,
      options,
    };
  }
  const report: DemoReport = {
    dataset: dataset.name,
    ...(data.shapesOptions ? { dataset_options: data.shapesOptions } : {}),
    forget_class: forgetClass,
    forget_class_name: dataset.classNames[forgetClass],
    backend: backend.name,
    backend_tried: backend.tried,
    seed: opts.seed,
    quick: opts.quick,
    sizes: {
      train: dataset.train.size,
      test: dataset.test.size,
      heldout: dataset.heldout.size,
      forget_train: task.forget.indices.length,
    },
    original: {
      ...pickResult(origEval, original.seconds),
      cached: original.cached,
      arch: recipe.arch,
      epochs: recipe.epochs,
    },
    concepts,
    methods: methodResults,
    created: new Date().toISOString(),
  };
  original.classifier.dispose();
  fs.mkdirSync(opts.out, { recursive: true });
  fs.writeFileSync(path.join(opts.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `\n${formatTable(report)}\n\n${formatConceptTable(report)}\n\nreport written to ${path.join(opts.out, 'report.json')}\n`,
  );
  return report;
}
