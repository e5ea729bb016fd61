/**
 * The product's main job without a window: train (or reuse) an original model, run every unlearning
 * method on one class, measure each against `retrain`, print a table and write report.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProgressLine } from '../cli/progress';
import { type BackendName, describeBackend, initBackend } from '../engine/backend/select';
import { tf } from '../engine/tf';
import { UserError } from '../errors';
import { avgGap } from '../metrics/gap';
import type { Classifier } from '../models/classifier';
import type { ArchSpec } from '../models/spec';
import { type Evaluation, evaluate } from '../unlearning/evaluate';
import { BASELINE_METHODS, CONCEPT_METHODS, methodByName } from '../unlearning/registry';
import { makeTask, resolveClass } from '../unlearning/task';
import type { MethodOptions } from '../unlearning/types';
import { seedSummary } from '../verification';
import { runConceptStage } from './conceptStage';
import { type DemoLimits, loadDemoData } from './datasets';
import { obtainOriginal } from './originalModel';
import type { DemoReport, MethodResult, ModelResult, SeedRun, SeedsReport } from './report';
import { formatConceptTable, formatSeedTable, formatTable, formatVerificationTable } from './table';
import { timed } from './timing';
import { type VerificationMetrics, verifyModel } from './verifyModel';

export { QUICK_LIMITS } from './datasets';

export interface DemoOptions {
  /** 'mnist' (default) or 'shapes'. */
  dataset?: string;
  quick: boolean;
  forget: string;
  /** The first seed; with `seeds` N > 1 the seeds seed, seed + 1, ..., seed + N - 1. */
  seed: number;
  seeds?: number;
  out: string;
  methods?: string[];
  backend?: BackendName;
  recipe?: Partial<ArchSpec>;
  /** Override the subset sizes (totals over the classes; tests use tiny ones). */
  limits?: DemoLimits;
  /** Skip the verification beyond accuracy (probe, relearn, residue); tests of other parts use it. */
  noVerify?: boolean;
}

/** The methods the demo runs by default: the baselines, then the concept-guided methods. */
export const DEMO_METHODS = [...BASELINE_METHODS, ...CONCEPT_METHODS];

const NO_VERIFICATION: VerificationMetrics = {
  probe_forget_acc: null,
  relearn_epochs: null,
  concept_residue: null,
};

function modelResult(
  e: Evaluation,
  v: VerificationMetrics,
  seconds: number,
  cpuSeconds: number | null,
): ModelResult {
  return { ...e, ...v, seconds, cpu_seconds: cpuSeconds };
}

/** One seed: dataset, original model, concept stage, every method with its evaluation and verification. */
async function runSeed(
  opts: DemoOptions,
  seed: number,
  outDir: string,
  backend: { name: string; tried: DemoReport['backend_tried'] },
  progress: ProgressLine,
): Promise<DemoReport> {
  const data = loadDemoData(opts.dataset ?? 'mnist', {
    quick: opts.quick,
    seed,
    limits: opts.limits,
  });
  const { dataset } = data;
  const forgetClass = resolveClass(dataset, opts.forget);
  const recipe: ArchSpec = { ...data.recipe, ...opts.recipe };
  const methods = opts.methods ?? DEMO_METHODS;
  progress.log(
    `seed ${seed}, dataset ${dataset.name}: ${dataset.train.size} train, ${dataset.test.size} test, ${dataset.heldout.size} held-out; forget class ${forgetClass} ('${dataset.classNames[forgetClass]}')`,
  );

  const original = await obtainOriginal(
    dataset,
    recipe,
    seed,
    path.join(opts.out, 'cache'),
    (f, loss, epoch) =>
      progress.update('original', f, `epoch ${epoch + 1}/${recipe.epochs} loss ${loss.toFixed(4)}`),
  );
  const origEval = evaluate(original.classifier, dataset, forgetClass, seed);
  progress.done(
    `original model ${original.cached ? `loaded from ${original.dir}` : `trained in ${original.seconds.toFixed(1)} s`}: test accuracy ${(100 * origEval.test_acc).toFixed(2)}%`,
  );

  const stage = await runConceptStage(original.classifier, dataset, forgetClass, {
    seed,
    quick: opts.quick,
    shapes: data.shapes,
    outDir,
    progress,
  });

  const concepts = stage.report;
  const task = makeTask(dataset, forgetClass, recipe);
  // The concept-guided methods reuse the stage's bank.
  const bank = stage.analysis.bank;
  if (bank.concepts.length > 0) {
    task.concepts = { bank, discovery: stage.analysis.discovery };
  }
  const residueConcepts = bank.concepts.length > 0 ? { bank, selected: concepts.selected } : null;
  const verify = async (model: Classifier, name: string): Promise<VerificationMetrics> => {
    if (opts.noVerify) return NO_VERIFICATION;
    progress.update(name, 1, 'verifying (probe, relearn, residue)');
    return verifyModel(original.classifier, model, dataset, task, residueConcepts, seed);
  };
  const origVerification = await verify(original.classifier, 'original');

  const evals: Record<
    string,
    { e: Evaluation; v: VerificationMetrics; seconds: number; cpuSeconds: number; options: MethodOptions }
  > = {};
  for (const name of methods) {
    const method = methodByName(name);
    const {
      value: model,
      seconds,
      cpuSeconds,
    } = await timed(() =>
      method.run(
        original.classifier,
        task,
        {},
        {
          seed,
          onProgress: (p) =>
            progress.update(name, p.fraction, p.loss === undefined ? p.stage : `loss ${p.loss.toFixed(4)}`),
        },
      ),
    );
    const e = evaluate(model, dataset, forgetClass, seed);
    const v = await verify(model, name);
    model.dispose();
    evals[name] = { e, v, seconds, cpuSeconds, options: { ...method.defaults } };
    progress.done(
      `${name.padEnd(16)} ${seconds.toFixed(1).padStart(7)} s (CPU ${cpuSeconds.toFixed(1)} s)  forget-test ${(100 * e.forget_test_acc).toFixed(2)}%  retain-test ${(100 * e.retain_test_acc).toFixed(2)}%${opts.noVerify ? '' : `  probe ${(100 * (v.probe_forget_acc ?? 0)).toFixed(1)}%  relearn ${v.relearn_epochs ?? '-'}`}  (tensors in memory: ${tf.memory().numTensors})`,
    );
  }
  const retrain = evals.retrain?.e;
  const methodResults: Record<string, MethodResult> = {};
  for (const [name, { e, v, seconds, cpuSeconds, options }] of Object.entries(evals)) {
    methodResults[name] = {
      ...modelResult(e, v, seconds, cpuSeconds),
      avg_gap: retrain ? avgGap(e, retrain) : null,
      options,
    };
  }
  original.classifier.dispose();
  return {
    dataset: dataset.name,
    ...(data.shapesOptions ? { dataset_options: data.shapesOptions } : {}),
    forget_class: forgetClass,
    forget_class_name: dataset.classNames[forgetClass],
    backend: backend.name,
    backend_tried: backend.tried,
    seed,
    quick: opts.quick,
    sizes: {
      train: dataset.train.size,
      test: dataset.test.size,
      heldout: dataset.heldout.size,
      forget_train: task.forget.indices.length,
    },
    original: {
      ...modelResult(origEval, origVerification, original.seconds, original.cpuSeconds),
      cached: original.cached,
      arch: recipe.arch,
      epochs: recipe.epochs,
    },
    concepts,
    methods: methodResults,
    created: new Date().toISOString(),
  };
}

function seedsReport(runs: DemoReport[]): SeedsReport {
  const perSeed: SeedRun[] = runs.map((r) => ({
    seed: r.seed,
    original: r.original,
    methods: r.methods,
    concepts_selected: r.concepts.selected,
    donor_class: r.concepts.donor_class?.index ?? null,
  }));
  const asRecord = (m: ModelResult): Record<string, unknown> => ({ ...m });
  const methods: SeedsReport['summary']['methods'] = {};
  for (const name of Object.keys(runs[0].methods)) {
    methods[name] = seedSummary(runs.map((r) => asRecord(r.methods[name])));
  }
  return {
    seeds: runs.map((r) => r.seed),
    runs: perSeed,
    summary: { original: seedSummary(runs.map((r) => asRecord(r.original))), methods },
  };
}

export async function runDemo(opts: DemoOptions, progress: ProgressLine): Promise<DemoReport> {
  const seedCount = opts.seeds ?? 1;
  if (!Number.isInteger(seedCount) || seedCount < 1) {
    throw new UserError(`--seeds must be a positive integer, got ${seedCount}`);
  }
  (opts.methods ?? DEMO_METHODS).forEach((m) => methodByName(m));
  const backend = await initBackend({ prefer: opts.backend, allowCpu: opts.backend === 'cpu' });
  progress.log(describeBackend(backend));
  const runs: DemoReport[] = [];
  for (let i = 0; i < seedCount; i++) {
    const seed = opts.seed + i;
    // The first seed's concept images go to DIR/concepts, the others' to DIR/seed-S/concepts.
    const outDir = i === 0 ? opts.out : path.join(opts.out, `seed-${seed}`);
    runs.push(await runSeed(opts, seed, outDir, backend, progress));
  }
  const report: DemoReport = { ...runs[0], created: new Date().toISOString() };
  if (seedCount > 1) report.seeds = seedsReport(runs);
  fs.mkdirSync(opts.out, { recursive: true });
  fs.writeFileSync(path.join(opts.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const tables = [formatTable(report), formatVerificationTable(report), formatConceptTable(report)];
  if (report.seeds) tables.push(formatSeedTable(report.seeds));
  process.stdout.write(
    `\n${tables.join('\n\n')}\n\nreport written to ${path.join(opts.out, 'report.json')}\n`,
  );
  return report;
}
