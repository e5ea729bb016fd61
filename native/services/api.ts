/**
 * The one contract between the UI and the engine: every operation's name, its input schema (zod, strict:
 * unknown keys are refused) and its result type, the events pushed while jobs run, and the error shape.
 * The Electron main process (IPC) and the local bridge (WebSocket) both validate with these schemas
 * before anything reaches ./service.ts; the renderer imports the types. This module imports nothing but
 * zod, so the renderer bundle can use it.
 */
import { z } from 'zod';

const PathString = z.string().trim().min(1, 'a path is required').max(4096);
const Id = z.number().int().positive();
const Seed = z.number().int().min(-2147483648).max(2147483647);

/** A method option as it crosses the wire (numbers, strings, booleans; see unlearning/options.ts). */
export const OptionValue = z.union([z.number().finite(), z.string().max(200), z.boolean()]);

export const ImportSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('mnist'), limit: z.number().int().min(20).max(60000).optional() }),
  z.strictObject({ kind: z.literal('folder'), path: PathString, skipCorrupt: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('idx'), images: PathString, labels: PathString }),
]);
export type ImportSource = z.infer<typeof ImportSourceSchema>;

export const PICK_KINDS = ['open-project', 'new-project', 'folder', 'file'] as const;
export type PickKind = (typeof PICK_KINDS)[number];

const Empty = z.strictObject({});

/** Every operation and the schema of its parameters. */
export const API_SCHEMAS = {
  'project.create': z.strictObject({ path: PathString }),
  'project.open': z.strictObject({ path: PathString }),
  'project.close': Empty,
  'project.summary': Empty,
  'catalog.get': Empty,
  'dataset.import': z.strictObject({
    source: ImportSourceSchema,
    seed: Seed.optional(),
    name: z.string().trim().min(1).max(200).optional(),
  }),
  'dataset.preview': z.strictObject({
    datasetId: Id.optional(),
    perClass: z.number().int().min(1).max(32).optional(),
  }),
  'train.start': z.strictObject({
    arch: z.string().min(1).max(50),
    epochs: z.number().int().min(1).max(200),
    seed: Seed.optional(),
    datasetId: Id.optional(),
  }),
  'classes.list': Empty,
  /** Starts the concept job for a class on the model in service (the project's stored bank, else a new one). */
  'concepts.start': z.strictObject({
    classIndex: z.number().int().min(0).max(100000),
    /** Discover a new bank even when the model has one. */
    rebuild: z.boolean().optional(),
    /** Concepts NMF discovers when a bank is built (default 8). */
    concepts: z.number().int().min(2).max(20).optional(),
  }),
  /** The latest concept inspection of a class on the model in service, or null when there is none yet. */
  'concepts.get': z.strictObject({ classIndex: z.number().int().min(0).max(100000) }),
  'request.create': z.strictObject({
    classIndex: z.number().int().min(0).max(100000),
    requester: z.string().trim().max(500).optional(),
  }),
  'run.start': z.strictObject({
    requestId: Id,
    method: z.string().min(1).max(100),
    options: z.record(z.string().min(1).max(100), OptionValue).optional(),
    seed: Seed.optional(),
    /** Also run `retrain` for the same request afterwards, as the reference to compare with. */
    compareWithRetrain: z.boolean().optional(),
    /** Also run these methods (with their defaults) for the same request afterwards, for comparison. */
    compareWith: z.array(z.string().min(1).max(100)).max(8).optional(),
  }),
  'run.get': z.strictObject({ runId: Id }),
  'job.cancel': z.strictObject({ jobId: z.string().min(1).max(100) }),
  'jobs.list': Empty,
  'history.get': Empty,
  'verify.checkpoint': z.strictObject({
    checkpointId: Id.optional(),
    classIndex: z.number().int().min(0).max(100000).optional(),
  }),
  rollback: z.strictObject({ checkpointId: Id, reason: z.string().trim().max(500).optional() }),
  'certificate.get': z.strictObject({ runId: Id }),
  'certificate.save': z.strictObject({ runId: Id, dir: PathString.optional() }),
  'model.export': z.strictObject({ checkpointId: Id.optional(), dir: PathString.optional() }),
} as const;

export type ApiMethod = keyof typeof API_SCHEMAS;
export type ApiParams<M extends ApiMethod> = z.input<(typeof API_SCHEMAS)[M]>;
export const API_METHODS = Object.keys(API_SCHEMAS) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(API_SCHEMAS, name);
}

// ---- results -------------------------------------------------------------------------------------

export interface DatasetInfo {
  id: number;
  name: string;
  classNames: string[];
  shape: [number, number, number];
  sizes: { train: number; test: number; heldout: number };
  source: Record<string, unknown>;
  contentHash: string;
  createdAt: string;
}

export interface CheckpointInfo {
  id: number;
  datasetId: number;
  parentId: number | null;
  kind: string;
  runId: number | null;
  label: string;
  contentHash: string;
  createdAt: string;
  isCurrent: boolean;
  metadata: Record<string, unknown>;
}

export interface RequestInfo {
  id: number;
  requester: string;
  datasetId: number;
  classIndex: number;
  className: string;
  status: 'open' | 'honoured';
  honouredByRunId: number | null;
  honouredAt: string | null;
  createdAt: string;
}

// Results computed in a worker process (native/jobs) are validated with these schemas where they arrive.

const Fraction = z.number().min(0).max(1);
const Num = z.number().finite();
const MaybeNum = Num.nullable();
const Count = z.number().int().min(0);
const DataUrl = z.string().startsWith('data:image/png;base64,');

/** evaluate()'s metrics (fractions in [0, 1]); `seconds` for a run's output. */
export const MetricsSchema = z.object({
  test_acc: MaybeNum,
  forget_train_acc: MaybeNum,
  forget_test_acc: MaybeNum,
  retain_train_acc: MaybeNum,
  retain_test_acc: MaybeNum,
  mia_forget_rate: MaybeNum,
  mia_attack_acc: MaybeNum,
  per_class_test_acc: z.array(MaybeNum),
  seconds: Num.optional(),
});
export type Metrics = z.infer<typeof MetricsSchema>;

export type RunStatusName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface RunInfo {
  id: number;
  requestId: number;
  method: string;
  parameters: Record<string, number | string | boolean>;
  seed: number;
  forgetClass: number;
  status: RunStatusName;
  inputCheckpointId: number;
  outputCheckpointId: number | null;
  metrics: Metrics | null;
  baselineMetrics: Metrics | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ChartPoint {
  /** Seconds since the job started. */
  t: number;
  phase: string;
  stage: string;
  fraction: number;
  loss?: number;
  accuracy?: number;
}

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export type JobKind = 'train' | 'run' | 'concepts';

export interface JobSnapshot {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** 'train'; 'concepts'; for runs 'unlearn', then the methods run for comparison, then (optionally) 'retrain'. */
  phase: string;
  phases: string[];
  stage: string;
  /** Fraction of the current stage, in [0, 1]. */
  fraction: number;
  stagesSeen: string[];
  /** Estimated seconds left in the current stage (null until it can be estimated). */
  etaSeconds: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** The runs of a run job (the unlearning run first). */
  runIds: number[];
  /** The checkpoint a train job made. */
  checkpointId: number | null;
  error: string | null;
  cancelRequested: boolean;
  points: ChartPoint[];
}

export interface ProjectSummary {
  file: string;
  datasets: DatasetInfo[];
  currentCheckpoint: CheckpointInfo | null;
  requests: RequestInfo[];
  runs: RunInfo[];
  activeJob: JobSnapshot | null;
  /** Run ids that recovery marked interrupted when the project was opened. */
  recovered: number[];
}

export interface PreviewClass {
  index: number;
  name: string;
  trainCount: number;
  /** PNG data URLs. */
  thumbnails: string[];
}

export interface DatasetPreview {
  datasetId: number;
  name: string;
  shape: [number, number, number];
  classes: PreviewClass[];
}

export const ClassStatSchema = z.object({
  index: Count,
  name: z.string(),
  trainCount: Count,
  testCount: Count,
  /** Accuracy of the current model on this class's test images. */
  testAcc: Fraction.nullable(),
  /** Where this class's test images go: the other classes the model predicts most, as fractions. */
  confusions: z.array(z.object({ index: Count, name: z.string(), fraction: Fraction })),
  /** One PNG data URL. */
  thumbnail: DataUrl.nullable(),
});
export type ClassStat = z.infer<typeof ClassStatSchema>;

export const ClassListSchema = z.object({
  checkpointId: Count,
  datasetId: Count,
  testAcc: Fraction,
  classes: z.array(ClassStatSchema),
});
export type ClassList = z.infer<typeof ClassListSchema>;

const ChainCheckSchema = z.object({ ok: z.boolean(), count: Count, firstBadId: Count.optional() });

export const VerifyReportSchema = z.object({
  ok: z.boolean(),
  integrity: z.array(z.string()),
  foreignKeyViolations: Count,
  auditTrail: ChainCheckSchema,
  checkpointId: Count,
  contentHash: z.string(),
  datasetId: Count,
  datasetHash: z.string(),
  forgetClass: Count,
  forgetClassName: z.string(),
  metrics: MetricsSchema,
  comparisons: z.array(
    z.object({
      runId: Count,
      as: z.enum(['output', 'input']),
      // Infinite when one side lacks a value: null on the wire.
      maxAbsDiff: z.number().nullable(),
      matches: z.boolean(),
    }),
  ),
});
export type VerifyReport = z.infer<typeof VerifyReportSchema>;

/** One concept of the forget class, as the concept job measured it on the model. */
export const InspectedConceptSchema = z.object({
  name: z.string(),
  /** 1 = most important to the forget class. */
  rank: z.number().int().min(1),
  /** Importance to the forget class (through the concept bottleneck, on its test images). */
  importance: Num,
  /** Importance minus the largest importance of a retained class. */
  specificity: Num,
  /** A retained class relies on it at least `sharedRatio` as much as the forget class: removing it hurts. */
  shared: z.boolean(),
  /** The retained classes relying on it at least `sharedRatio` as much, most first. */
  sharedWith: z.array(z.object({ index: Count, name: z.string(), importance: Num })),
  /** Held-out accuracy of the concept's CAV. */
  heldoutAccuracy: Fraction,
  /** The PCBM's weight of the concept for the forget class (standardised units). */
  pcbmWeight: MaybeNum,
  /** Where it lies in the forget class's images where it is strongest: maps over the images, and crops. */
  examples: z.object({ maps: z.array(DataUrl), patches: z.array(DataUrl) }),
});
export type InspectedConcept = z.infer<typeof InspectedConceptSchema>;

export const ConceptInspectionSchema = z.object({
  checkpointId: Count,
  datasetId: Count,
  forgetClass: Count,
  classNames: z.array(z.string()),
  bank: z.object({
    id: Count,
    source: z.enum(['folders', 'nmf-discovery', 'ground-truth']),
    createdAt: z.string(),
    /** Whether the project's stored bank was used (false: built by this job and stored). */
    reused: z.boolean(),
    embeddingLayer: z.string(),
    concepts: Count,
    dropped: Count,
    /** The class NMF discovery was focused on, when it was. */
    focusClass: Count.nullable(),
    /** How the concept maps were made: NMF factors or Integrated Gradients of the concept score. */
    mapsBy: z.enum(['nmf', 'integrated-gradients', 'both']),
  }),
  pcbm: z
    .object({ accuracy: Fraction, modelAccuracy: Fraction, fidelity: Fraction, images: Count })
    .nullable(),
  /** Every concept of the bank, by decreasing importance to the forget class. */
  concepts: z.array(InspectedConceptSchema),
  /** Class x concept importance: values[class][j] for concepts[j] (the ranked order). */
  heatmap: z.object({ concepts: z.array(z.string()), values: z.array(z.array(Num)) }),
  selection: z.object({
    /** The k the concept methods use by default. */
    defaultK: z.number().int().min(1),
    /** byK[k - 1]: the automatic selection of at most k class-specific concepts, most specific first. */
    byK: z.array(z.array(z.string())),
    /** The concept the methods fall back to when the selection is empty (null: none). */
    fallback: z.string().nullable(),
    sharedRatio: Num,
    minShare: Num,
    minRelative: Num,
  }),
  /** The retained class the targeted method relabels to by default (most similar concept profile). */
  donor: z
    .object({ index: Count, name: z.string(), similarity: Num, tieBrokenByConfusion: z.boolean() })
    .nullable(),
  /** Every retained class's concept-profile similarity to the forget class, most similar first. */
  similarities: z.array(z.object({ index: Count, name: z.string(), similarity: Num })),
  seconds: Num,
});
export type ConceptInspection = z.infer<typeof ConceptInspectionSchema>;

export interface MethodInfo {
  name: string;
  summary: string;
  /** For people who do not program. */
  explanation: string;
  family: 'reference' | 'baseline' | 'concept';
  defaults: Record<string, number | string | boolean>;
  recommended: boolean;
}

export interface ArchInfo {
  name: string;
  description: string;
}

/** A choice of the concept methods explained for people (poisoning modes, relabelling). */
export interface ChoiceInfo {
  /** The option value (a `mode`) or the method name (the relabelling). */
  value: string;
  title: string;
  explanation: string;
}

export interface Catalog {
  methods: MethodInfo[];
  archs: ArchInfo[];
  /** The concept methods' choices: how the concept regions are edited, and the new labels. */
  poisoning: { modes: ChoiceInfo[]; labels: ChoiceInfo[] };
  /** Whether concept inspection (concepts.start / concepts.get) is available. */
  conceptInspection: boolean;
}

export interface Verdict {
  level: 'pass' | 'warn' | 'fail';
  forgotten: boolean;
  retained: boolean;
  /** null without a retrain run to compare with. */
  miaMatchesRetrain: boolean | null;
  lines: string[];
}

export interface RunDetail {
  run: RunInfo;
  request: RequestInfo;
  classNames: string[];
  /** The latest succeeded retrain run of the same request (other than this one). */
  retrain: RunInfo | null;
  /** The latest succeeded run of every other method for the same request (retrain excepted). */
  comparisons: RunInfo[];
  /** Whether this run's model is the one the project serves now. */
  isCurrent: boolean;
  verdict: Verdict | null;
}

export interface EventInfo {
  id: number;
  at: string;
  kind: string;
  actor: string;
  datasetId: number | null;
  checkpointId: number | null;
  requestId: number | null;
  runId: number | null;
}

export interface HistoryView {
  file: string;
  currentCheckpointId: number | null;
  auditTrail: { ok: boolean; count: number; firstBadId?: number };
  datasets: DatasetInfo[];
  checkpoints: CheckpointInfo[];
  requests: RequestInfo[];
  runs: RunInfo[];
  events: EventInfo[];
}

export interface CertificateView {
  runId: number;
  html: string;
  json: unknown;
}

export interface SavedFiles {
  dir: string;
  files: string[];
}

export interface RollbackResult {
  from: number | null;
  to: number;
  /** Honoured requests whose forgetting the new current model does not contain. */
  undoesRequests: { id: number; className: string }[];
}

export interface ApiResults {
  'project.create': ProjectSummary;
  'project.open': ProjectSummary;
  'project.close': { closed: boolean };
  'project.summary': ProjectSummary | null;
  'catalog.get': Catalog;
  'dataset.import': { dataset: DatasetInfo; skipped: { file: string; reason: string }[] };
  'dataset.preview': DatasetPreview;
  'train.start': JobSnapshot;
  'classes.list': ClassList;
  'concepts.start': JobSnapshot;
  'concepts.get': ConceptInspection | null;
  'request.create': RequestInfo;
  'run.start': JobSnapshot;
  'run.get': RunDetail;
  'job.cancel': JobSnapshot;
  'jobs.list': JobSnapshot[];
  'history.get': HistoryView;
  'verify.checkpoint': VerifyReport;
  rollback: RollbackResult;
  'certificate.get': CertificateView;
  'certificate.save': SavedFiles;
  'model.export': SavedFiles;
}

// ---- events and errors ---------------------------------------------------------------------------

export type ServiceEvent =
  | { type: 'job'; job: Omit<JobSnapshot, 'points'>; point?: ChartPoint }
  | { type: 'log'; jobId: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export const ERROR_KINDS = ['invalid', 'user', 'busy', 'no-project', 'internal'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface WireError {
  message: string;
  kind: ErrorKind;
}

/** What a transport returns for one call. */
export type CallEnvelope<T = unknown> = { ok: true; result: T } | { ok: false; error: WireError };

/** The UI's one view of the engine, whatever carries the calls (Electron IPC or the bridge). */
export interface UnlearnClient {
  readonly transport: 'electron' | 'bridge';
  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResults[M]>;
  onEvent(fn: (e: ServiceEvent) => void): () => void;
  /** A native file or folder chooser (Electron only). */
  pick?(kind: PickKind): Promise<string | null>;
}

/** What the Electron preload exposes as `window.unlearn` (envelopes, not exceptions, cross IPC). */
export interface PreloadApi {
  call(method: string, params: unknown): Promise<CallEnvelope>;
  onEvent(fn: (e: ServiceEvent) => void): () => void;
  pick(kind: PickKind): Promise<string | null>;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Validates a call's method name and parameters; throws ApiError('invalid') when either is wrong. */
export function parseCall<M extends ApiMethod>(
  method: unknown,
  params: unknown,
): { method: M; params: z.output<(typeof API_SCHEMAS)[M]> } {
  if (!isApiMethod(method)) {
    throw new ApiError(
      `unknown operation ${typeof method === 'string' ? `'${method.slice(0, 100)}'` : `(${typeof method})`}`,
      'invalid',
    );
  }
  const r = API_SCHEMAS[method].safeParse(params ?? {});
  if (!r.success) throw new ApiError(`invalid ${method}: ${describeIssues(r.error.issues)}`, 'invalid');
  return { method: method as M, params: r.data as z.output<(typeof API_SCHEMAS)[M]> };
}
