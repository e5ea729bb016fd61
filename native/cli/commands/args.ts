/** What the project commands share: argument parsing, number checks and the two output streams. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '../../errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with positionals; the first positional is the project file. */
export function parseCommand<O extends Options>(argv: string[], options: O, usage: string) {
  const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  const file = parsed.positionals[0];
  if (file === undefined) throw new UserError(`missing the project file (usage: unlearn ${usage})`);
  return { values: parsed.values, file, rest: parsed.positionals.slice(1) };
}

/** A positive integer option (or undefined when absent). */
export function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UserError(`--${name} must be a positive integer, got '${v}'`);
  }
  return n;
}

export function requiredInt(v: string | undefined, name: string): number {
  const n = positiveInt(v, name);
  if (n === undefined) throw new UserError(`--${name} is required`);
  return n;
}

export function integer(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n))
    throw new UserError(`--${name} must be an integer, got '${v}'`);
  return n;
}

/** The command's result, on stdout. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Messages for people, on stderr (stdout stays parseable). */
export function say(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

export function pct(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a';
}

/** Aborts on Ctrl-C (first press), for the duration of `fn`. */
export async function withInterrupt<T>(
  fn: (signal: AbortSignal, onInterrupt: (f: () => void) => void) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let extra: (() => void) | undefined;
  const handler = () => {
    say('\ninterrupted: stopping…');
    controller.abort();
    extra?.();
  };
  process.on('SIGINT', handler);
  try {
    return await fn(controller.signal, (f) => {
      extra = f;
    });
  } finally {
    process.off('SIGINT', handler);
  }
}
