/** Errors as they cross to the UI: one line and a kind (see ./api.ts's WireError). */
import { UserError } from '../errors';
import { ApiError, type WireError } from './api';

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

export function toWireError(e: unknown): WireError {
  if (e instanceof ApiError) return { message: e.message, kind: e.kind };
  if (e instanceof UserError) return { message: e.message, kind: 'user' };
  return { message: oneLine(e) || 'internal error', kind: 'internal' };
}
