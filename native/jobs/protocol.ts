/**
 * The one message protocol between a controlling process and a worker process (Node's child_process IPC,
 * Electron's utilityProcess). Every message is a discriminated union member validated where it enters a
 * process: nothing from the other side is trusted unchecked. A worker does one job and exits: a run, or a
 * task (work that reads the project and answers with a value).
 *
 *   parent → worker   start {projectPath, runId}                 a run
 *                     task {projectPath, task: classes | verify | concepts}
 *                     cancel {}
 *   worker → parent   progress {stage, fraction, metrics?}   log {level, message}
 *                     result {runId, outputCheckpointId, metrics}        (a run)
 *                     output {output: {kind, value}}                     (a task)
 *                     error {message, kind}
 *
 * For runs the project file, not the messages, is the record: a worker writes its run's outcome to the
 * file before it sends `result` or `error`. A task's value is checked against the app contract's result
 * schema of its kind (native/services/api.ts, which imports nothing but zod).
 */
import { z } from 'zod';
import { ClassListSchema, ConceptInspectionSchema, VerifyReportSchema } from '../services/api';

export const PROTOCOL_VERSION = 1;

const StartMessage = z.object({
  type: z.literal('start'),
  projectPath: z.string().min(1),
  runId: z.number().int().positive(),
});

const Id = z.number().int().positive();
const ClassIndex = z.number().int().min(0);

/** Per-class accuracy, confusions and a thumbnail of a checkpoint on its test split. */
const ClassesTask = z.object({ kind: z.literal('classes'), checkpointId: Id });
/** `unlearn verify`: integrity, audit trail, hashes, metrics recomputed (default: the current checkpoint). */
const VerifyTask = z.object({
  kind: z.literal('verify'),
  checkpointId: Id.optional(),
  forgetClass: ClassIndex.optional(),
});
/** The concept stage for a forget class on a checkpoint: the stored bank (or a new one), ranks, donor. */
const ConceptsTask = z.object({
  kind: z.literal('concepts'),
  checkpointId: Id,
  forgetClass: ClassIndex,
  /** Build a new bank even when the checkpoint has one. */
  rebuild: z.boolean(),
  /** Concepts NMF discovers when a bank is built. */
  nmfConcepts: z.number().int().min(2).max(32),
  seed: z.number().int(),
});

export const TaskSchema = z.discriminatedUnion('kind', [ClassesTask, VerifyTask, ConceptsTask]);
export const TASK_KINDS = ['classes', 'verify', 'concepts'] as const;

const TaskMessage = z.object({
  type: z.literal('task'),
  projectPath: z.string().min(1),
  task: TaskSchema,
});

const CancelMessage = z.object({ type: z.literal('cancel') });

export const ParentMessageSchema = z.discriminatedUnion('type', [StartMessage, TaskMessage, CancelMessage]);

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

export const TaskOutputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('classes'), value: ClassListSchema }),
  z.object({ kind: z.literal('verify'), value: VerifyReportSchema }),
  z.object({ kind: z.literal('concepts'), value: ConceptInspectionSchema }),
]);

const OutputMessage = z.object({ type: z.literal('output'), output: TaskOutputSchema });

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
  OutputMessage,
  ErrorMessage,
]);

export type ParentMessage = z.infer<typeof ParentMessageSchema>;
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
export type StartMsg = z.infer<typeof StartMessage>;
export type TaskMsg = z.infer<typeof TaskMessage>;
export type Task = z.infer<typeof TaskSchema>;
export type TaskKind = Task['kind'];
export type TaskOutput = z.infer<typeof TaskOutputSchema>;
/** The value of a task of kind K. */
export type TaskValue<K extends TaskKind> = Extract<TaskOutput, { kind: K }>['value'];
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
