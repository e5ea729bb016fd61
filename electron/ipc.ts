/**
 * The main process's IPC: one channel for every service operation (`unlearn:call`, validated against
 * native/services/api.ts), one for native file choosers (`unlearn:pick`), and events pushed to the window
 * (`unlearn:event`). Only the app's own page may call; anything else, or anything malformed, is refused
 * with an `invalid` error before it reaches the service.
 */
import { z } from 'zod';
import { ApiError, type CallEnvelope, PICK_KINDS, type PickKind, parseCall } from '../native/services/api';
import { toWireError } from '../native/services/errors';

export const CHANNELS = { call: 'unlearn:call', pick: 'unlearn:pick', event: 'unlearn:event' } as const;

/** What an IPC handler learns about its caller. */
export interface IpcCaller {
  /** URL of the frame that sent the message ('' when unknown). */
  senderUrl: string;
}

export interface IpcMainLike {
  handle(channel: string, fn: (caller: IpcCaller, args: unknown[]) => Promise<unknown>): void;
}

export interface CallableService {
  callEnvelope(method: unknown, params: unknown): Promise<CallEnvelope>;
}

export type Picker = (kind: PickKind) => Promise<string | null>;

const PickSchema = z.enum(PICK_KINDS);

/** Whether the caller is the app's own page (file://…/index.html, with any hash or query). */
export function isAppFrame(senderUrl: string, appUrl: string): boolean {
  if (!senderUrl) return false;
  const bare = senderUrl.replace(/[?#].*$/, '');
  return bare === appUrl;
}

function refused(message: string): CallEnvelope {
  return { ok: false, error: { message, kind: 'invalid' } };
}

export function registerIpc(
  ipcMain: IpcMainLike,
  service: CallableService,
  pick: Picker,
  appUrl: string,
  log: (m: string) => void,
): void {
  ipcMain.handle(CHANNELS.call, async (caller, args) => {
    if (!isAppFrame(caller.senderUrl, appUrl)) {
      log(`refused an IPC call from ${caller.senderUrl.slice(0, 200) || 'an unknown frame'}`);
      return refused('refused: the call does not come from the Unlearn Studio window');
    }
    if (args.length !== 2) return refused('refused: expected (method, params)');
    try {
      // Validated here, before the service sees it (the service validates again).
      parseCall(args[0], args[1]);
    } catch (e) {
      return {
        ok: false,
        error: toWireError(e instanceof ApiError ? e : new ApiError(String(e), 'invalid')),
      };
    }
    return service.callEnvelope(args[0], args[1]);
  });
  ipcMain.handle(CHANNELS.pick, async (caller, args) => {
    if (!isAppFrame(caller.senderUrl, appUrl)) return null;
    const kind = PickSchema.safeParse(args[0]);
    if (!kind.success || args.length !== 1) {
      log('refused an invalid file chooser request');
      return null;
    }
    return pick(kind.data);
  });
}
