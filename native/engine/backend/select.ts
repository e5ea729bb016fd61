/**
 * Picks the TensorFlow.js backend the engine runs on: 'tensorflow' (libtensorflow through
 * @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, optional and usually absent), else 'wasm' (with
 * the project's extra kernels, see ../kernels/register.ts), and 'cpu' (pure JS, ~100x slower) only when
 * asked for: a failed wasm never falls back to cpu silently.
 */
import { UserError } from '../../errors';
import { registerWasmKernels } from '../kernels/register';
import { tf } from '../tf';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it did not load (one line); absent when ok. */
  reason?: string;
}

export interface BackendReport {
  /** The backend now active. */
  name: BackendName;
  /** Every backend tried, in order, the chosen one last. */
  tried: BackendAttempt[];
}

export interface InitBackendOptions {
  /** Use this backend and no other (an error if it does not load). */
  prefer?: BackendName;
  /** Fall back to the cpu backend when neither tensorflow nor wasm loads (otherwise an error). */
  allowCpu?: boolean;
}

const TENSORFLOW_MODULES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** One line describing the chosen backend and why the ones before it were skipped, for logs. */
export function describeBackend(report: BackendReport): string {
  const skipped = report.tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason ?? 'failed'}`);
  return skipped.length === 0 ? `backend ${report.name}` : `backend ${report.name} (${skipped.join('; ')})`;
}

let last: { key: string; report: BackendReport } | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Selects and initializes the backend (see the module comment). Safe to call repeatedly: a call with
 * the same options while that backend is still active returns the same report; calls never overlap.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendReport> {
  const run = queue.then(() => select(opts));
  queue = run.catch(() => undefined);
  return run;
}

async function select(opts: InitBackendOptions): Promise<BackendReport> {
  const key = `${opts.prefer ?? ''}|${opts.allowCpu === true}`;
  if (last?.key === key && tf.getBackend() === last.report.name) return cloneReport(last.report);
  silenceCpuBanner();
  const order: BackendName[] = opts.prefer ? [opts.prefer] : ['tensorflow', 'wasm', 'cpu'];
  const tried: BackendAttempt[] = [];
  for (const name of order) {
    if (name === 'cpu' && !opts.prefer && opts.allowCpu !== true) {
      const why = tried.find((t) => t.name === 'wasm')?.reason ?? 'unknown reason';
      const hint = 'pass --backend cpu to force the cpu backend, about 100x slower';
      throw new UserError(`the wasm backend could not load (${why}); ${hint}`);
    }
    const reason = await tryBackend(name);
    tried.push(reason == null ? { name, ok: true } : { name, ok: false, reason });
    if (reason == null) {
      const report: BackendReport = { name, tried };
      last = { key, report };
      return cloneReport(report);
    }
    if (opts.prefer) throw new UserError(`the ${name} backend could not load (${reason})`);
  }
  // Unreachable: the default order ends with cpu, which either loads or has thrown above.
  throw new UserError(`no TensorFlow.js backend could load (${describeBackend({ name: 'cpu', tried })})`);
}

/** Activates `name`; returns undefined on success, else why it failed (one line). */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  switch (name) {
    case 'tensorflow':
      return tryTensorflow();
    case 'wasm':
      return tryWasm();
    case 'cpu':
      return (await tf.setBackend('cpu')) ? undefined : 'tf.setBackend("cpu") failed';
  }
}

async function tryTensorflow(): Promise<string | undefined> {
  const missing: string[] = [];
  const failures: string[] = [];
  for (const module of TENSORFLOW_MODULES) {
    try {
      require(module);
    } catch (err) {
      if (isModuleNotFound(err, module)) missing.push(module);
      else failures.push(`${module} failed to load: ${firstLine(err)}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      failures.push(`${module} loaded but registered no 'tensorflow' backend with this TensorFlow.js`);
      continue;
    }
    const { ok, warnings } = await captureWarnings(() => tf.setBackend('tensorflow'));
    if (ok) return undefined;
    failures.push(`${module} did not initialize: ${warnings || 'tf.setBackend failed'}`);
  }
  if (missing.length > 0) {
    failures.push(
      missing.length === 1
        ? `module ${missing[0]} is not installed`
        : `modules ${missing.join(', ')} are not installed`,
    );
  }
  return failures.join('; ');
}

async function tryWasm(): Promise<string | undefined> {
  try {
    require('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return isModuleNotFound(err, '@tensorflow/tfjs-backend-wasm')
      ? 'module @tensorflow/tfjs-backend-wasm is not installed'
      : `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(err)}`;
  }
  if (tf.findBackendFactory('wasm') == null) {
    return "@tensorflow/tfjs-backend-wasm registered no 'wasm' backend with this TensorFlow.js";
  }
  // Register before activating: the kernels are looked up at run time, and this way no op can run on
  // wasm without them.
  registerWasmKernels();
  const { ok, warnings } = await captureWarnings(() => tf.setBackend('wasm'));
  if (!ok) return warnings || 'tf.setBackend("wasm") failed';
  return undefined;
}

/**
 * Keeps the cpu backend from printing its "Hi, looks like you are running TensorFlow.js in Node.js"
 * banner: MathBackendCPU prints it on its first write while its `firstUse` flag is set, so the flag is
 * cleared on the (cheap, synchronously created) cpu backend instance. The cpu backend is chosen on
 * purpose here, so the advice is noise.
 */
export function silenceCpuBanner(): void {
  if (tf.findBackendFactory('cpu') == null) return;
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu != null && cpu.firstUse === true) cpu.firstUse = false;
}

/**
 * Runs `f` while collecting what tfjs warns through console.warn (a failed backend initialization is
 * only reported that way); returns the warnings as one line. Unrelated warnings are replayed.
 */
async function captureWarnings(f: () => Promise<boolean>): Promise<{ ok: boolean; warnings: string }> {
  const original = console.warn;
  const lines: string[] = [];
  console.warn = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  let ok = false;
  try {
    ok = await f();
  } finally {
    console.warn = original;
  }
  if (ok) {
    for (const line of lines) original(line);
    return { ok, warnings: '' };
  }
  const useful = lines
    .flatMap((l) => l.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Initialization of backend \S+ failed$/.test(l) && !l.startsWith('at '))
    .map((l) => l.replace(/^(\w*Error): /, (m, name: string) => (name === 'Error' ? '' : m)));
  return { ok, warnings: useful.slice(0, 2).join(' / ') };
}

function isModuleNotFound(err: unknown, module: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${module}'`);
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].trim();
}

function cloneReport(r: BackendReport): BackendReport {
  return { name: r.name, tried: r.tried.map((t) => ({ ...t })) };
}
