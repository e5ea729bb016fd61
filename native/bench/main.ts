/**
 * `npm run bench`: the engine (TensorFlow.js on wasm, with the project's kernels) against PyTorch
 * (CPU, one thread), measured in one run on the same machine:
 *   - training throughput (samples/s; batch 64, Adam lr 1e-3, random data, after warm-up) of the
 *     reference CNN (cnn-ref, also the demo's default model since the training-speed work) and of
 *     cnn-small (the default before it);
 *   - inference throughput (batch 256) of both;
 *   - one full unlearning run of the demo's default method (random_label) on a fixed MNIST subset:
 *     seconds and peak RSS of its process (engine only).
 * Prints a table (ratio = engine / PyTorch) and, with --json FILE, writes {lines: [{name, engine,
 * pytorch, ratio, unit}], ...}.
 *
 *   node dist/native/bench/main.js [--json FILE] [--clock wall|cpu] [--rounds N] [--quick]
 *                                  [--baseline] [--no-torch] [--no-unlearn]
 *
 * Throughputs are measured in N rounds (default 2; 1 with --quick) alternating engine and PyTorch,
 * each line keeping its best round.
 *
 * --clock cpu: throughput per second of CPU time of the measuring process (engine and PyTorch alike),
 * which other load on a shared machine hardly affects; the default is wall-clock time.
 * --baseline: the engine with the kernels as they were before the training-speed work (see
 * useBaselineKernels). --quick: fewer timed steps (a smoke run, noisier numbers).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../engine/backend/select';
import { tf } from '../engine/tf';
import type { CnnArchName } from '../models/cnn';
import { Trainer } from '../training/trainer';
import { Rng, benchModel, median, randomBatch, useBaselineKernels } from './common';
import type { UnlearnResult } from './unlearn';

export interface BenchLine {
  name: string;
  engine: number | null;
  pytorch: number | null;
  /** engine / pytorch (higher is better for the engine on samples/s lines). */
  ratio: number | null;
  unit: string;
}

export interface BenchReport {
  lines: BenchLine[];
  machine: { cpus: string; cores: number; node: string; torch: string | null; loadavg: number[] };
  options: { quick: boolean; baseline: boolean; clock: Clock; rounds: number };
  /** Why the PyTorch column is empty, when it is. */
  pytorchNote?: string;
  created: string;
}

interface Timing {
  clock: Clock;
  warmup: number;
  chunks: number;
  trainSteps: number;
  inferSteps: number;
}

const FULL = { warmup: 3, chunks: 5, trainSteps: 4, inferSteps: 2 };
const QUICK = { warmup: 1, chunks: 3, trainSteps: 2, inferSteps: 1 };
const ARCHS: CnnArchName[] = ['cnn-ref', 'cnn-small'];

export type Clock = 'wall' | 'cpu';

/** Milliseconds now, of wall-clock time or of this process's CPU time. */
function now(clock: Clock): number {
  if (clock === 'wall') return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Samples per second (of `t.clock`): the median over `t.chunks` timed runs of `perChunk` calls, after warm-up. */
function throughput(step: () => void, batch: number, t: Timing, perChunk: number): number {
  for (let i = 0; i < t.warmup; i++) step();
  const times: number[] = [];
  for (let c = 0; c < t.chunks; c++) {
    const t0 = now(t.clock);
    for (let i = 0; i < perChunk; i++) step();
    times.push(now(t.clock) - t0);
  }
  return (batch * perChunk) / (median(times) / 1000);
}

export function engineTrainThroughput(arch: CnnArchName, t: Timing): number {
  const rng = new Rng(3);
  const model = benchModel(arch);
  const trainer = new Trainer(model, { lr: 1e-3, batchSize: 64 });
  const batches = [randomBatch(64, rng), randomBatch(64, rng)];
  let i = 0;
  const step = () => {
    const loss = trainer.step(batches[i++ % batches.length]);
    loss.dataSync();
    loss.dispose();
  };
  try {
    return throughput(step, 64, t, t.trainSteps);
  } finally {
    batches.forEach((b) => b.x.dispose());
    trainer.dispose();
    model.dispose();
  }
}

export function engineInferThroughput(arch: CnnArchName, t: Timing): number {
  const model = benchModel(arch);
  const x = randomBatch(256, new Rng(4)).x;
  const step = () => {
    const out = tf.tidy(() => model.logits(x));
    out.dataSync();
    out.dispose();
  };
  try {
    return throughput(step, 256, t, t.inferSteps);
  } finally {
    x.dispose();
    model.dispose();
  }
}

/** The PyTorch script's results by line name, or why there are none. */
function runTorch(t: Timing): { results: Record<string, number>; version: string } | { note: string } {
  const script = path.resolve(__dirname, '../../../native/bench/torch_bench.py');
  const python = '/usr/bin/python3';
  if (!fs.existsSync(python))
    return { note: `PyTorch not available (no ${python}): apt-get install python3-torch` };
  const args = [
    script,
    `--warmup=${t.warmup}`,
    `--chunks=${t.chunks}`,
    `--train-steps=${t.trainSteps}`,
    `--infer-steps=${t.inferSteps}`,
    `--clock=${t.clock}`,
  ];
  // One thread for BLAS / OpenMP too, whatever the installed BLAS does by default.
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 10 * 60 * 1000, env });
  if (r.status === 3 || /No module named 'torch'/.test(r.stderr ?? '')) {
    return { note: 'PyTorch not available: apt-get install python3-torch' };
  }
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n').pop();
    return { note: `PyTorch benchmark failed: ${why}` };
  }
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
    results: Record<string, number>;
    torch: string;
  };
  return { results: parsed.results, version: parsed.torch };
}

/** The unlearning run, in a child process (its own peak RSS). */
function runUnlearn(baseline: boolean): UnlearnResult {
  const script = path.join(__dirname, 'unlearn.js');
  const r = spawnSync(process.execPath, [script, ...(baseline ? ['--baseline'] : [])], {
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  if (r.status !== 0)
    throw new Error(`unlearning run failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as UnlearnResult;
}

function line(name: string, engine: number | null, pytorch: number | null, unit: string): BenchLine {
  const ratio = engine != null && pytorch != null && pytorch > 0 ? engine / pytorch : null;
  return { name, engine, pytorch, ratio, unit };
}

function fmt(v: number | null, digits = 0): string {
  if (v == null) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatTable(lines: BenchLine[]): string {
  const rows = lines.map((l) => {
    const digits = l.unit.startsWith('samples/') ? 0 : 1;
    return [
      l.name,
      fmt(l.engine, digits),
      fmt(l.pytorch, digits),
      l.ratio == null ? '-' : l.ratio.toFixed(2),
      l.unit,
    ];
  });
  const header = ['benchmark', 'engine (wasm)', 'PyTorch (CPU, 1 thread)', 'engine/PyTorch', 'unit'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmtRow = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 || i === 4 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [fmtRow(header), sep, ...rows.map(fmtRow)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => argv.includes(name);
  const jsonIndex = argv.indexOf('--json');
  const jsonFile = jsonIndex >= 0 ? argv[jsonIndex + 1] : undefined;
  if (jsonIndex >= 0 && (jsonFile == null || jsonFile.startsWith('--')))
    throw new Error('--json needs a file name');
  const quick = flag('--quick');
  const baseline = flag('--baseline');
  const clockIndex = argv.indexOf('--clock');
  const clock = clockIndex >= 0 ? argv[clockIndex + 1] : 'wall';
  if (clock !== 'wall' && clock !== 'cpu') throw new Error(`--clock must be wall or cpu, got ${clock}`);
  const timing: Timing = { clock, ...(quick ? QUICK : FULL) };
  const unit = clock === 'wall' ? 'samples/s' : 'samples/CPU-s';
  const roundsIndex = argv.indexOf('--rounds');
  const rounds = roundsIndex >= 0 ? Number(argv[roundsIndex + 1]) : quick ? 1 : 2;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');

  const backend = await initBackend({ prefer: 'wasm' });
  if (baseline) useBaselineKernels(true);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(
    `engine: TensorFlow.js ${tf.version.tfjs} on ${backend.name}${baseline ? ' (baseline kernels)' : ''}, ${clock} clock`,
  );

  // Rounds alternate engine and PyTorch; each line keeps its best round (load on a shared machine
  // only ever slows a round down).
  const best = (table: Record<string, number>, key: string, v: number) => {
    table[key] = Math.max(table[key] ?? 0, v);
  };
  const engine: Record<string, number> = {};
  const pt: Record<string, number> = {};
  let torch: ReturnType<typeof runTorch> = { note: 'PyTorch skipped (--no-torch)' };
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}`);
    for (const arch of ARCHS) {
      best(engine, `train ${arch}`, engineTrainThroughput(arch, timing));
      best(engine, `infer ${arch}`, engineInferThroughput(arch, timing));
      log(
        `  engine ${arch}: train ${engine[`train ${arch}`].toFixed(0)}, infer ${engine[`infer ${arch}`].toFixed(0)} ${unit} (best so far)`,
      );
    }
    if (!flag('--no-torch') && !(round > 0 && 'note' in torch)) {
      torch = runTorch(timing);
      if ('note' in torch) log(`  ${torch.note}`);
      else {
        for (const [k, v] of Object.entries(torch.results)) best(pt, k, v);
        log(
          `  pytorch: ${Object.entries(pt)
            .map(([k, v]) => `${k} ${v.toFixed(0)}`)
            .join(', ')} (best so far)`,
        );
      }
    }
  }
  let unlearn: UnlearnResult | undefined;
  if (!flag('--no-unlearn')) {
    log('unlearning run (random_label, child process)...');
    unlearn = runUnlearn(baseline);
    log(`  ${unlearn.seconds.toFixed(1)} s, peak RSS ${unlearn.maxRssMB.toFixed(0)} MB`);
  }

  const lines: BenchLine[] = [];
  for (const arch of ARCHS) {
    lines.push(
      line(`train ${arch} (batch 64, Adam)`, engine[`train ${arch}`], pt[`train ${arch}`] ?? null, unit),
    );
  }
  for (const arch of ARCHS) {
    lines.push(line(`infer ${arch} (batch 256)`, engine[`infer ${arch}`], pt[`infer ${arch}`] ?? null, unit));
  }
  if (unlearn) {
    const subset = `MNIST ${unlearn.train} train`;
    lines.push(line(`unlearn random_label, cnn-small, ${subset}`, unlearn.seconds, null, 's'));
    lines.push(line('unlearn peak RSS (process)', unlearn.maxRssMB, null, 'MB'));
  }

  const report: BenchReport = {
    lines,
    machine: {
      cpus: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
      torch: 'version' in torch ? torch.version : null,
      loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100),
    },
    options: { quick, baseline, clock, rounds },
    ...('note' in torch ? { pytorchNote: torch.note } : {}),
    created: new Date().toISOString(),
  };
  process.stdout.write(`${formatTable(lines)}\n`);
  if ('note' in torch) process.stdout.write(`${torch.note}\n`);
  if (jsonFile) {
    fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`written to ${jsonFile}\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
