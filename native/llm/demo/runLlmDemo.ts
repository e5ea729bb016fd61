/**
 * `unlearn demo --llm`: build the corpus (generated facts, or the user's JSONL), train (or reuse) a BPE
 * tokenizer and the original GPT, find the forget entity's sensitive words with Integrated Gradients,
 * run every language-model unlearning method, evaluate each (and the original), print the tables and
 * write report.json. With several seeds everything after the corpus is repeated per seed and the report
 * holds the means (and a summary with mean and std).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProgressLine } from '../../cli/progress';
import { type BackendName, describeBackend, initBackend } from '../../engine/backend/select';
import { tf } from '../../engine/tf';
import { UserError } from '../../errors';
import { seedSummary } from '../../verification/summary';
import { resolveForgetClass } from '../data/forgetClass';
import { qaClasses } from '../data/types';
import { type LmEvaluationDetail, evaluateLm } from '../evaluation/evaluate';
import type { LmRecipe } from '../training/recipe';
import { LM_METHODS, lmMethodByName } from '../unlearning/registry';
import { makeLmTask } from '../unlearning/task';
import { runLlmConceptStage } from './conceptStage';
import { demoCorpus } from './corpus';
import { obtainLlmOriginal } from './originalModel';
import { LLM_FULL, LLM_QUICK } from './presets';
import type { LlmDemoReport, LlmMethodResult, LlmModelResult, SensitiveWordsReport } from './report';
import { formatLlmTable, formatSensitiveWordTable } from './table';

export interface LlmDemoOptions {
  quick: boolean;
  /** Entity name, or its 0-based index among the classes with questions; default the first. */
  forget?: string;
  /** Corpus seed and first training seed. */
  seed: number;
  /** Training seeds seed, seed + 1, ... (default 1). */
  seeds?: number;
  out: string;
  methods?: string[];
  backend?: BackendName;
  /** The user's JSONL corpus instead of the generated one. */
  corpus?: string;
  /** Overrides of the original model's recipe (tests use tiny ones). */
  recipe?: Partial<LmRecipe>;
}

const METRIC_KEYS = [
  'forget_term_rate',
  'forget_answer_rouge_l',
  'paraphrase_term_rate',
  'retain_answer_rouge_l',
  'heldout_perplexity',
  'mia_auc',
  'seconds',
  'seconds_with_concepts',
] as const;

function metrics(e: LmEvaluationDetail, seconds: number): LlmModelResult {
  return {
    forget_term_rate: e.forget_term_rate,
    forget_answer_rouge_l: e.forget_answer_rouge_l,
    paraphrase_term_rate: e.paraphrase_term_rate,
    retain_answer_rouge_l: e.retain_answer_rouge_l,
    heldout_perplexity: e.heldout_perplexity,
    mia_auc: e.mia_auc,
    seconds,
  };
}

interface SeedRun {
  seed: number;
  original: LlmModelResult & { cached: boolean };
  methods: Record<string, LlmMethodResult>;
  sensitive: SensitiveWordsReport;
  examples: Record<string, LmEvaluationDetail['examples']>;
}

/** The mean of each metric over the runs (null when no run has a number). */
function meanOf<T extends object>(runs: readonly T[]): T {
  const first = runs[0] as Record<string, unknown>;
  const out: Record<string, unknown> = { ...first };
  for (const key of METRIC_KEYS) {
    if (!(key in first)) continue;
    const values = runs.map((r) => (r as Record<string, unknown>)[key]).filter((v) => typeof v === 'number');
    out[key] = values.length > 0 ? (values as number[]).reduce((a, b) => a + b, 0) / values.length : null;
  }
  return out as T;
}

export async function runLlmDemo(opts: LlmDemoOptions, progress: ProgressLine): Promise<LlmDemoReport> {
  const backend = await initBackend({ prefer: opts.backend, allowCpu: opts.backend === 'cpu' });
  progress.log(describeBackend(backend));
  const preset = opts.quick ? LLM_QUICK : LLM_FULL;
  const recipe: LmRecipe = { ...preset.recipe, ...opts.recipe };
  const methods = opts.methods ?? LM_METHODS;
  methods.forEach((m) => lmMethodByName(m));
  const nSeeds = opts.seeds ?? 1;
  if (!Number.isInteger(nSeeds) || nSeeds < 1)
    throw new UserError(`--seeds must be a positive integer, got ${nSeeds}`);
  const corpus = demoCorpus(preset, opts.seed, opts.corpus);
  const classes = qaClasses(corpus);
  const forgetName = resolveForgetClass(
    corpus,
    opts.forget === undefined
      ? classes[0]
      : /^\d+$/.test(opts.forget) && Number(opts.forget) < classes.length
        ? classes[Number(opts.forget)]
        : opts.forget,
  );
  progress.log(
    `corpus ${corpus.name}: ${corpus.train.length} training samples of ${corpus.classes.length} classes, ${corpus.paraphrases.length} held-out paraphrases, ${corpus.heldoutText.length} held-out texts`,
  );

  const runs: SeedRun[] = [];
  let sizes: LlmDemoReport['sizes'] | undefined;
  let model: LlmDemoReport['model'] | undefined;
  let forgetClass = '';
  for (let i = 0; i < nSeeds; i++) {
    const seed = opts.seed + i;
    const original = await obtainLlmOriginal(
      corpus,
      recipe,
      preset.vocabSize,
      seed,
      path.join(opts.out, 'cache'),
      (f, loss, epoch) =>
        progress.update('original', f, `epoch ${epoch + 1}/${recipe.epochs} loss ${loss.toFixed(4)}`),
    );
    const task = makeLmTask(corpus, forgetName, original.tokenizer, recipe);
    forgetClass = task.forgetClass;
    const evalOpts = { maxRetain: preset.maxRetainEval, seed };
    const origEval = evaluateLm(original.model, task, evalOpts);
    progress.done(
      `seed ${seed}: original ${original.cached ? `loaded from ${original.dir}` : `trained in ${original.seconds.toFixed(1)} s`}: forget ROUGE-L ${origEval.forget_answer_rouge_l.toFixed(3)}, retain ROUGE-L ${origEval.retain_answer_rouge_l.toFixed(3)}, forget term rate ${origEval.forget_term_rate.toFixed(3)}`,
    );
    sizes = {
      train: corpus.train.length,
      forget_train: task.forget.length,
      retain_train: task.retain.length,
      paraphrases: task.paraphrases.length,
      heldout_text: task.heldoutText.length,
      classes: corpus.classes.length,
    };
    model = {
      n_embd: recipe.nEmbd,
      n_layer: recipe.nLayer,
      n_head: recipe.nHead,
      n_positions: recipe.nPositions,
      vocab_size: original.tokenizer.vocabSize,
      parameters: original.model.variables.reduce((n, v) => n + v.size, 0),
      epochs: recipe.epochs,
      lr: recipe.lr,
      batch_size: recipe.batchSize,
    };

    const stage = runLlmConceptStage(original.model, task, {
      seed,
      onProgress: (f) => progress.update('token concepts', f),
    });
    task.concepts = stage.concepts;
    progress.done(
      `seed ${seed}: token concepts in ${stage.report.seconds.toFixed(1)} s: ${stage.report.selected.length} words selected (precision ${stage.report.precision?.toFixed(2) ?? '-'}, recall ${stage.report.recall?.toFixed(2) ?? '-'}), IG gap ${(100 * stage.report.completeness_max_gap).toPrecision(2)}%`,
    );

    const results: Record<string, LlmMethodResult> = {};
    const examples: SeedRun['examples'] = { original: origEval.examples };
    for (const name of methods) {
      const method = lmMethodByName(name);
      const t0 = performance.now();
      const unlearned = await method.run(
        original.model,
        task,
        {},
        {
          seed,
          onProgress: (p) =>
            progress.update(name, p.fraction, p.loss === undefined ? p.stage : `loss ${p.loss.toFixed(4)}`),
        },
      );
      const seconds = (performance.now() - t0) / 1000;
      const e = evaluateLm(unlearned, task, evalOpts);
      unlearned.dispose();
      const isConcept = name.startsWith('concept_');
      results[name] = {
        ...metrics(e, seconds),
        options: { ...method.defaults },
        ...(isConcept ? { seconds_with_concepts: seconds + stage.report.seconds } : {}),
      };
      examples[name] = e.examples;
      progress.done(
        `seed ${seed}: ${name.padEnd(16)} ${seconds.toFixed(1).padStart(7)} s  forget term ${e.forget_term_rate.toFixed(3)}  retain ROUGE-L ${e.retain_answer_rouge_l.toFixed(3)}  ppl ${e.heldout_perplexity?.toFixed(2) ?? '-'}  (tensors: ${tf.memory().numTensors})`,
      );
    }
    runs.push({
      seed,
      original: { ...metrics(origEval, original.seconds), cached: original.cached },
      methods: results,
      sensitive: stage.report,
      examples,
    });
    original.model.dispose();
  }

  const first = runs[0];
  const methodResults: Record<string, LlmMethodResult> = {};
  for (const name of methods) methodResults[name] = meanOf(runs.map((r) => r.methods[name]));
  const report: LlmDemoReport = {
    kind: 'llm',
    dataset: corpus.name,
    forget_class: forgetClass,
    backend: backend.name,
    backend_tried: backend.tried,
    seed: opts.seed,
    seeds: runs.map((r) => r.seed),
    quick: opts.quick,
    sizes: sizes!,
    model: model!,
    original: meanOf(runs.map((r) => r.original)),
    methods: methodResults,
    sensitive_words: first.sensitive,
    examples: first.examples,
    created: new Date().toISOString(),
  };
  if (runs.length > 1) {
    const keys = [...METRIC_KEYS];
    report.summary = {
      original: seedSummary(
        runs.map((r) => r.original as unknown as Record<string, unknown>),
        keys,
      ),
      methods: Object.fromEntries(
        methods.map((name) => [
          name,
          seedSummary(
            runs.map((r) => r.methods[name] as unknown as Record<string, unknown>),
            keys,
          ),
        ]),
      ),
    };
    report.per_seed = runs.map((r) => ({
      seed: r.seed,
      original: r.original,
      methods: r.methods,
      sensitive_words: {
        precision: r.sensitive.precision,
        recall: r.sensitive.recall,
        completeness_max_gap: r.sensitive.completeness_max_gap,
        seconds: r.sensitive.seconds,
      },
    }));
  }
  fs.mkdirSync(opts.out, { recursive: true });
  fs.writeFileSync(path.join(opts.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `\n${formatLlmTable(report)}\n\n${formatSensitiveWordTable(report)}\n\nreport written to ${path.join(opts.out, 'report.json')}\n`,
  );
  return report;
}
