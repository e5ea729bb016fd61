/** Typed access to a method's options (defaults merged with what the user set). */
import { UserError } from '../errors';
import type { MethodOptions } from './types';

export class Options {
  private readonly values: MethodOptions;

  constructor(
    private readonly method: string,
    defaults: MethodOptions,
    given: MethodOptions,
  ) {
    for (const key of Object.keys(given)) {
      if (!Object.hasOwn(defaults, key)) {
        throw new UserError(
          `method ${method} has no option '${key}' (options: ${Object.keys(defaults).join(', ')})`,
        );
      }
    }
    this.values = { ...defaults, ...given };
  }

  num(key: string): number {
    const v = Number(this.values[key]);
    if (!Number.isFinite(v))
      throw new UserError(`option ${key} of ${this.method} must be a number, got '${this.values[key]}'`);
    return v;
  }

  str(key: string): string {
    return String(this.values[key]);
  }

  bool(key: string): boolean {
    const v = this.values[key];
    return v === true || v === 'true' || v === 1 || v === '1';
  }

  all(): MethodOptions {
    return { ...this.values };
  }
}
