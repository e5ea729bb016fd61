/**
 * GPT throughput on the engine: tokens per second of a forward pass (logits read back) and of an Adam
 * training step (next-token cross-entropy), for a model of the given shape on random tokens, plus the
 * CPU time per kernel of a training step with --profile.
 *
 *   node dist/native/bench/gpt.js [--embd 128] [--layers 4] [--heads 4] [--vocab 1024] [--context 64]
 *                                 [--batch 16] [--steps 5] [--backend wasm|cpu|tensorflow] [--profile]
 *                                 [--baseline]
 *
 * Tokens per second are given per second of wall-clock time and per second of this process's CPU time
 * (hardly affected by other load on a shared machine). --baseline runs with tfjs's own wasm Slice,
 * SplitV, Sum and Identity instead of the project's (see ../engine/kernels/), to measure the "before".
 */
import { initBackend } from '../engine/backend/select';
import { registerWasmKernels, restoreOriginalWasmKernels } from '../engine/kernels/register';
import { Rng } from '../engine/random';
import { tf } from '../engine/tf';
import { GptModel } from '../llm/model/gpt';
import { cpuMsPerCall, median, profileKernels, timeCalls } from './common';

/** The kernels replaced for transformer training (see --baseline). */
const TRANSFORMER_KERNELS = ['Slice', 'SplitV', 'Sum', 'Identity'];

export interface GptBenchOptions {
  embd: number;
  layers: number;
  heads: number;
  vocab: number;
  context: number;
  batch: number;
  steps: number;
}

export interface GptBenchResult {
  /** Tokens per second (median wall-clock of `steps` calls). */
  forwardTokensPerSecond: number;
  trainTokensPerSecond: number;
  /** Tokens per second of CPU time (mean CPU milliseconds of `steps` calls). */
  forwardTokensPerCpuSecond: number;
  trainTokensPerCpuSecond: number;
}

/** Mean next-token cross-entropy over every position of `ids` [B, T] (targets [B, T]). */
function nextTokenLoss(model: GptModel, ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logits = model.logits(ids);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, model.config.vocabSize)), -1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

export function benchGpt(o: GptBenchOptions, profile = false): GptBenchResult & { kernels?: string } {
  const config = {
    vocabSize: o.vocab,
    nPositions: o.context,
    nEmbd: o.embd,
    nLayer: o.layers,
    nHead: o.heads,
    layerNormEpsilon: 1e-5,
  };
  const model = GptModel.create(config, 1);
  const rng = new Rng(2);
  const tokens = Array.from({ length: o.batch * (o.context + 1) }, () => rng.int(o.vocab));
  const rows = Array.from({ length: o.batch }, (_, b) =>
    tokens.slice(b * (o.context + 1), (b + 1) * (o.context + 1)),
  );
  const ids = tf.tensor2d(
    rows.map((r) => r.slice(0, -1)),
    [o.batch, o.context],
    'int32',
  );
  const targets = tf.tensor2d(
    rows.map((r) => r.slice(1)),
    [o.batch, o.context],
    'int32',
  );
  const optimizer = tf.train.adam(1e-3);
  const forward = () => {
    const logits = model.logits(ids);
    logits.dataSync();
    logits.dispose();
  };
  const train = () => {
    const loss = optimizer.minimize(() => nextTokenLoss(model, ids, targets), true, model.variables);
    loss?.dataSync();
    loss?.dispose();
  };
  try {
    const tokensPerCall = o.batch * o.context;
    const forwardMs = median(timeCalls(forward, o.steps, 2));
    const trainMs = median(timeCalls(train, o.steps, 2));
    const result: GptBenchResult & { kernels?: string } = {
      forwardTokensPerSecond: tokensPerCall / (forwardMs / 1000),
      trainTokensPerSecond: tokensPerCall / (trainMs / 1000),
      forwardTokensPerCpuSecond: tokensPerCall / (cpuMsPerCall(forward, o.steps, 0) / 1000),
      trainTokensPerCpuSecond: tokensPerCall / (cpuMsPerCall(train, o.steps, 0) / 1000),
    };
    if (profile) {
      const p = profileKernels(() => {
        for (let i = 0; i < o.steps; i++) train();
      });
      result.kernels = [...p.ms]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(
          ([name, ms]) =>
            `  ${name.padEnd(24)} ${(ms / o.steps).toFixed(1).padStart(8)} ms/step  ${(p.calls.get(name)! / o.steps).toFixed(0)} calls`,
        )
        .join('\n');
    }
    return result;
  } finally {
    tf.dispose([ids, targets]);
    optimizer.dispose();
    model.dispose();
  }
}

async function main(argv: string[]): Promise<void> {
  const num = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const backendIndex = argv.indexOf('--backend');
  const prefer = backendIndex >= 0 ? (argv[backendIndex + 1] as 'wasm' | 'cpu' | 'tensorflow') : 'wasm';
  const report = await initBackend({ prefer });
  const o: GptBenchOptions = {
    embd: num('embd', 128),
    layers: num('layers', 4),
    heads: num('heads', 4),
    vocab: num('vocab', 1024),
    context: num('context', 64),
    batch: num('batch', 16),
    steps: num('steps', 5),
  };
  const baseline = argv.includes('--baseline');
  if (baseline && report.name === 'wasm') restoreOriginalWasmKernels(TRANSFORMER_KERNELS);
  const r = benchGpt(o, argv.includes('--profile'));
  if (baseline && report.name === 'wasm') registerWasmKernels();
  const rate = (wall: number, cpu: number) =>
    `${wall.toFixed(0)} tokens/s (${cpu.toFixed(0)} per CPU second)`;
  console.log(`backend ${report.name}${baseline ? ' (baseline kernels)' : ''}; ${JSON.stringify(o)}`);
  console.log(`forward: ${rate(r.forwardTokensPerSecond, r.forwardTokensPerCpuSecond)}`);
  console.log(`training step (Adam): ${rate(r.trainTokensPerSecond, r.trainTokensPerCpuSecond)}`);
  if (r.kernels) console.log(`CPU ms per training step by kernel:\n${r.kernels}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
