/**
 * The one message protocol between a controlling process and a run's worker process (Node's
 * child_process IPC today, Electron's utilityProcess later). Every message is a discriminated union
 * member validated where it enters a process: nothing from the other side is trusted unchecked.
 *
 *   parent → worker   start {projectPath, runId}   cancel {}
 *   worker → parent   progress {stage, fraction, metrics?}   log {level, message}
 *                     result {runId, outputCheckpointId, metrics}   error {message, kind}
 *
 * The project file, not the messages, is the record: a worker writes its run's outcome to the file
 * before it sends `result` or `error`.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

const StartMessage = z.object({
  type: z.literal('start'),
  projectPath: z.string().min(1),
  runId: z.number().int().positive(),
});

const CancelMessage = z.object({ type: z.literal('cancel') });

export const ParentMessageSchema = z.discriminatedUnion('type', [StartMessage, CancelMessage]);

const ProgressMessage = z.object({
  type: z.literal('progress'),
  stage: z.string(),
  fraction: z.number().min(0).max(1),
  metrics: z.record(z.string(), z.number()).optional(),
});

const LogMessage = z.object({
  type: z.literal('log'),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
});

/** A metric value as it crosses JSON: numbers, null (NaN/empty) and per-class lists. */
const MetricValue = z.union([z.number(), z.null(), z.array(z.number().nullable())]);

const ResultMessage = z.object({
  type: z.literal('result'),
  runId: z.number().int().positive(),
  outputCheckpointId: z.number().int().positive(),
  metrics: z.record(z.string(), MetricValue),
});

export const ERROR_KINDS = ['user', 'internal', 'cancelled'] as const;

const ErrorMessage = z.object({
  type: z.literal('error'),
  message: z.string(),
  kind: z.enum(ERROR_KINDS),
});

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  ProgressMessage,
  LogMessage,
  ResultMessage,
  ErrorMessage,
]);

export type ParentMessage = z.infer<typeof ParentMessageSchema>;
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
export type StartMsg = z.infer<typeof StartMessage>;
export type ProgressMsg = z.infer<typeof ProgressMessage>;
export type LogMsg = z.infer<typeof LogMessage>;
export type ResultMsg = z.infer<typeof ResultMessage>;
export type ErrorMsg = z.infer<typeof ErrorMessage>;
export type ErrorKind = ErrorMsg['kind'];
export type LogLevel = LogMsg['level'];

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function describe(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, side: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const type = (raw as { type?: unknown } | null)?.type;
    throw new ProtocolError(
      `invalid ${side} message${typeof type === 'string' ? ` '${type}'` : ''}: ${describe(r.error.issues)}`,
    );
  }
  return r.data;
}

/** Validates a message received by the worker. */
export function parseParentMessage(raw: unknown): ParentMessage {
  return parse(ParentMessageSchema, raw, 'parent');
}

/** Validates a message received by the parent. */
export function parseWorkerMessage(raw: unknown): WorkerMessage {
  return parse(WorkerMessageSchema, raw, 'worker');
}
