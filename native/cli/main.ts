#!/usr/bin/env node
/** The command line: `unlearn <command> [options]`. User errors print one line and exit 1. */
import { parseArgs } from 'node:util';
import { DEMO_DATASETS, isDemoDataset } from '../demo/datasets';
import { runDemo } from '../demo/runDemo';
import type { BackendName } from '../engine/backend/select';
import { CancelledError, UserError } from '../errors';
import { runLlmDemo } from '../llm/demo/runLlmDemo';
import { CNN_ARCHS, isArchName } from '../models/cnn';
import { PROJECT_COMMANDS, PROJECT_USAGE, isProjectCommand } from './commands';
import { ProgressLine } from './progress';

const USAGE = `usage: unlearn <command> [options]

commands:
  demo [--dataset mnist|shapes] [--quick] [--forget N] [--seed S] [--seeds N] [--out DIR]
       [--methods a,b] [--arch cnn-ref|cnn-small|cnn-medium] [--epochs E] [--no-verify]
       [--backend wasm|cpu|tensorflow]
       train (or reuse) an original model on MNIST (default) or the synthetic shapes dataset (generated
       from the seed), explain it with concepts (ground truth on shapes, NMF discovery on MNIST; PNGs in
       DIR/concepts/), run every unlearning method on class N (default 3: the baselines and the
       concept-guided methods), verify each (linear probe, relearning, concept residue; --no-verify
       skips it), print the tables and write DIR/report.json (default out/); --seeds N repeats it all
       for seeds S..S+N-1 and adds each metric's mean and std
  demo --llm [--quick] [--seeds N] [--forget ENTITY] [--seed S] [--out DIR] [--methods a,b] [--corpus FILE]
       the language-model demo: a generated corpus of facts about fictitious entities (or your JSONL, lines
       {"class","prompt","response"} or {"class","text"}), a BPE tokenizer and a GPT trained on it (cached in
       DIR/cache), the forget entity's sensitive words found by Integrated Gradients (default: the first
       entity), every language-model method (retrain, gradient_ascent, grad_diff, npo, idk, concept_random,
       concept_targeted); with --seeds N, N training seeds and their mean and std (docs/llm.md)

${PROJECT_USAGE}`;

async function demo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' },
      quick: { type: 'boolean', default: false },
      forget: { type: 'string' },
      llm: { type: 'boolean', default: false },
      corpus: { type: 'string' },
      seed: { type: 'string', default: '1' },
      seeds: { type: 'string' },
      'no-verify': { type: 'boolean', default: false },
      out: { type: 'string', default: 'out' },
      methods: { type: 'string' },
      backend: { type: 'string' },
      epochs: { type: 'string' },
      arch: { type: 'string' },
      'limit-train': { type: 'string' },
      'limit-test': { type: 'string' },
    },
    strict: true,
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got '${values.seed}'`);
  const backend = values.backend as BackendName | undefined;
  if (backend && !['wasm', 'cpu', 'tensorflow'].includes(backend)) {
    throw new UserError(`--backend must be wasm, cpu or tensorflow, got '${backend}'`);
  }
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new UserError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const epochs = int(values.epochs, 'epochs');
  const methods = values.methods?.split(',').map((m) => m.trim());
  if (values.llm) {
    const imageOnly = (['dataset', 'arch', 'limit-train', 'limit-test'] as const).filter(
      (k) => values[k] !== undefined,
    );
    if (imageOnly.length > 0)
      throw new UserError(`--${imageOnly[0]} is an image demo option, not one of --llm`);
    await runLlmDemo(
      {
        quick: values.quick ?? false,
        forget: values.forget,
        seed,
        seeds: int(values.seeds, 'seeds'),
        out: values.out ?? 'out',
        methods,
        backend,
        corpus: values.corpus,
        recipe: epochs ? { epochs } : undefined,
      },
      new ProgressLine(),
    );
    return;
  }
  const llmOnly = (['corpus'] as const).filter((k) => values[k] !== undefined);
  if (llmOnly.length > 0) throw new UserError(`--${llmOnly[0]} needs --llm`);
  const dataset = values.dataset ?? 'mnist';
  if (!isDemoDataset(dataset)) {
    throw new UserError(`--dataset must be ${DEMO_DATASETS.join(' or ')}, got '${dataset}'`);
  }
  const limitTrain = int(values['limit-train'], 'limit-train');
  const limitTest = int(values['limit-test'], 'limit-test');
  const seeds = int(values.seeds, 'seeds');
  const arch = values.arch;
  if (arch !== undefined && !isArchName(arch)) {
    throw new UserError(`--arch must be one of ${Object.keys(CNN_ARCHS).join(', ')}, got '${arch}'`);
  }
  const recipe = { ...(epochs ? { epochs } : {}), ...(arch ? { arch } : {}) };
  await runDemo(
    {
      dataset,
      quick: values.quick ?? false,
      forget: values.forget ?? '3',
      seed,
      seeds,
      noVerify: values['no-verify'] ?? false,
      out: values.out ?? 'out',
      methods,
      backend,
      recipe,
      limits: limitTrain || limitTest ? { train: limitTrain, test: limitTest } : undefined,
    },
    new ProgressLine(),
  );
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        await demo(rest);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 1 : 0;
      default:
        if (isProjectCommand(command)) {
          await PROJECT_COMMANDS[command](rest);
          return 0;
        }
        throw new UserError(`unknown command '${command}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UserError || e instanceof CancelledError) {
      process.stderr.write(`\nerror: ${e.message}\n`);
      return 1;
    }
    const err = e as Error & { code?: string };
    if (err.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`\nerror: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`\ninternal error: ${err.message}\n`);
    if (process.env.UNLEARN_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
