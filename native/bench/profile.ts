/**
 * Where a training step goes on wasm: runs a few Trainer steps of a model of the built-in family
 * (batch 64, Adam) with every wasm kernel timed (CPU time), and prints ms per step per kernel.
 *
 *   node dist/native/bench/profile.js [--arch cnn-small] [--steps 8] [--batch 64] [--baseline]
 *   node dist/native/bench/profile.js --compare [--rounds 4] [--steps 5]
 *
 * --baseline measures the state before the training-speed kernels (see `useBaselineKernels`).
 * --compare alternates baseline and current kernels in one process for a few rounds and prints the
 * best and median CPU ms per step of each (robust to other load on a shared machine).
 */
import { initBackend } from '../engine/backend/select';
import { tf } from '../engine/tf';
import { type CnnArchName, isArchName } from '../models/cnn';
import { Trainer } from '../training/trainer';
import {
  Rng,
  benchModel,
  cpuMsPerCall,
  median,
  profileKernels,
  randomBatch,
  timeCalls,
  useBaselineKernels,
} from './common';

export interface StepProfile {
  arch: CnnArchName;
  /** Median wall-clock ms of a training step (not profiled). */
  stepMs: number;
  /** Mean CPU ms of a training step (not profiled; see cpuMsPerCall). */
  stepCpuMs: number;
  /** CPU ms per step of each kernel, largest first. */
  kernels: { name: string; ms: number; calls: number }[];
}

export function profileTrainingStep(arch: CnnArchName, steps = 8, batchSize = 64): StepProfile {
  const rng = new Rng(7);
  const model = benchModel(arch);
  const trainer = new Trainer(model, { lr: 1e-3, batchSize });
  const batches = [randomBatch(batchSize, rng), randomBatch(batchSize, rng)];
  let i = 0;
  const step = () => {
    const loss = trainer.step(batches[i++ % batches.length]);
    loss.dataSync();
    loss.dispose();
  };
  const stepMs = median(timeCalls(step, steps, 2));
  const stepCpuMs = cpuMsPerCall(step, steps, 0);
  const prof = profileKernels(() => {
    for (let s = 0; s < steps; s++) step();
  });
  const kernels = [...prof.ms.entries()]
    .map(([name, ms]) => ({ name, ms: ms / steps, calls: (prof.calls.get(name) ?? 0) / steps }))
    .sort((a, b) => b.ms - a.ms);
  batches.forEach((b) => b.x.dispose());
  trainer.dispose();
  model.dispose();
  return { arch, stepMs, stepCpuMs, kernels };
}

/** CPU ms per training step, `steps` steps after 2 of warm-up, with the current kernel registration. */
export function stepCpuMs(arch: CnnArchName, steps: number, batchSize = 64): number {
  const rng = new Rng(7);
  const model = benchModel(arch);
  const trainer = new Trainer(model, { lr: 1e-3, batchSize });
  const batches = [randomBatch(batchSize, rng), randomBatch(batchSize, rng)];
  let i = 0;
  const ms = cpuMsPerCall(
    () => {
      const loss = trainer.step(batches[i++ % batches.length]);
      loss.dataSync();
      loss.dispose();
    },
    steps,
    2,
  );
  batches.forEach((b) => b.x.dispose());
  trainer.dispose();
  model.dispose();
  return ms;
}

function compare(archs: CnnArchName[], rounds: number, steps: number): void {
  const results = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const baseline of [true, false]) {
      useBaselineKernels(baseline);
      for (const arch of archs) {
        const key = `${arch} ${baseline ? 'before' : 'after'}`;
        results.set(key, [...(results.get(key) ?? []), stepCpuMs(arch, steps)]);
      }
    }
  }
  useBaselineKernels(false);
  for (const [key, ms] of results) {
    const best = Math.min(...ms);
    console.log(
      `${key.padEnd(18)} best ${best.toFixed(1)} ms/step CPU, median ${median(ms).toFixed(1)} (${ms.map((v) => v.toFixed(0)).join(' ')})`,
    );
  }
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
  };
  await initBackend({ prefer: 'wasm' });
  if (argv.includes('--baseline')) useBaselineKernels(true);
  const archs = arg('--arch', 'cnn-ref,cnn-small').split(',');
  const valid = archs.filter(isArchName);
  if (valid.length !== archs.length) throw new Error(`unknown arch in ${archs.join(',')}`);
  if (argv.includes('--compare')) {
    compare(valid, Number(arg('--rounds', '4')), Number(arg('--steps', '5')));
    return;
  }
  for (const arch of valid) {
    const p = profileTrainingStep(arch, Number(arg('--steps', '8')), Number(arg('--batch', '64')));
    console.log(
      `${arch}: ${p.stepMs.toFixed(1)} ms/step wall (median), ${p.stepCpuMs.toFixed(1)} ms/step CPU (unprofiled)`,
    );
    for (const k of p.kernels.filter((k) => k.ms >= 0.2)) {
      console.log(`  ${k.name.padEnd(28)} ${k.ms.toFixed(1).padStart(7)} ms  ${k.calls.toFixed(0)} calls`);
    }
  }
  console.log(`tensors alive: ${tf.memory().numTensors}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
