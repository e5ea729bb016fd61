/** The point where a run in a worker notices a `cancel`: shared by the image and language-model runs. */
import { throwIfAborted } from '../errors';

/**
 * Lets the event loop read pending IPC messages (a `cancel`) and then checks the signal. Two nested
 * setImmediate calls always span one poll phase, wherever in the loop the caller is.
 */
export async function checkpointCancel(signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  throwIfAborted(signal);
}
