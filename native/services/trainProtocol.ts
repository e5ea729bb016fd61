/**
 * Messages between the service and a training worker (./trainWorker.ts), in the style of the run
 * protocol (native/jobs/protocol.ts): discriminated unions validated where they enter a process.
 *
 *   parent → worker   start {projectPath, datasetId, arch, epochs, seed}   cancel {}
 *   worker → parent   progress {fraction, epoch, loss, accuracy?}   log {level, message}
 *                     result {checkpointId, testAcc, seconds}   error {message, kind}
 */
import { z } from 'zod';

const Start = z.object({
  type: z.literal('start'),
  projectPath: z.string().min(1),
  datasetId: z.number().int().positive(),
  arch: z.string().min(1),
  epochs: z.number().int().positive(),
  seed: z.number().int(),
});
const Cancel = z.object({ type: z.literal('cancel') });
export const TrainParentMessageSchema = z.discriminatedUnion('type', [Start, Cancel]);

const Progress = z.object({
  type: z.literal('progress'),
  fraction: z.number().min(0).max(1),
  epoch: z.number().int().min(0),
  loss: z.number().optional(),
  /** Accuracy on a fixed subset of the test split, measured at this point. */
  accuracy: z.number().min(0).max(1).optional(),
});
const Log = z.object({
  type: z.literal('log'),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
});
const Result = z.object({
  type: z.literal('result'),
  checkpointId: z.number().int().positive(),
  testAcc: z.number(),
  seconds: z.number(),
});
const Failure = z.object({
  type: z.literal('error'),
  message: z.string(),
  kind: z.enum(['user', 'internal', 'cancelled']),
});
export const TrainWorkerMessageSchema = z.discriminatedUnion('type', [Progress, Log, Result, Failure]);

export type TrainParentMessage = z.infer<typeof TrainParentMessageSchema>;
export type TrainWorkerMessage = z.infer<typeof TrainWorkerMessageSchema>;
export type TrainStart = z.infer<typeof Start>;
