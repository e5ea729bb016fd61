/**
 * The app's service layer: typed operations over one open project, shared by the Electron main process
 * (IPC) and the local bridge (WebSocket). Every call is validated against ./api.ts before it runs; the
 * work itself is done by the same store, data, job and certificate functions the CLI commands use.
 * Nothing that runs a model runs here: long work (training, unlearning runs, the concept stage) runs in
 * worker processes through ./jobs.ts, one job at a time, reporting through events; per-class accuracy and
 * verification run as tasks in a worker process that the call waits for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCertificate } from '../cli/commands/certificate';
import { renderCertificateHtml } from '../cli/commands/certificateHtml';
import { importIdx } from '../data/idxImport';
import { loadMnist } from '../data/mnist';
import { classCounts } from '../data/splits';
import { firstOfEachClass, thumbnail } from '../data/thumbnails';
import type { ImageDataset } from '../data/types';
import { UserError } from '../errors';
import { metricsValue } from '../jobs/tasks/metricsValue';
import { CNN_ARCHS, isArchName } from '../models/cnn';
import {
  type CheckpointRow,
  type DatasetRow,
  type Db,
  type RequestRow,
  type RunRow,
  createProject,
  createRequest,
  createRun,
  currentCheckpointId,
  exportCheckpoint,
  getCheckpoint,
  getDataset,
  getRequest,
  getRun,
  latestDataset,
  lineage,
  listCheckpoints,
  listDatasets,
  listEvents,
  listRequests,
  listRuns,
  loadDataset,
  openProject,
  read,
  requireCurrentCheckpoint,
  saveDataset,
  setCurrentCheckpoint,
  verifyEventChain,
  withProject,
  write,
  writeAtomically,
} from '../store';
import { actor } from '../store/events';
import type { Evaluation } from '../unlearning/evaluate';
import { Options } from '../unlearning/options';
import { methodByName } from '../unlearning/registry';
import {
  ApiError,
  type ApiMethod,
  type ApiResults,
  type CallEnvelope,
  type CheckpointInfo,
  type ClassList,
  type ConceptInspection,
  type DatasetInfo,
  type DatasetPreview,
  type JobSnapshot,
  type Metrics,
  type ProjectSummary,
  type RequestInfo,
  type RunDetail,
  type RunInfo,
  type SavedFiles,
  type ServiceEvent,
  type VerifyReport,
  parseCall,
} from './api';
import { toWireError } from './errors';
import { POISONING_MODES, RELABELLING, archCatalog, methodCatalog, verdictFor } from './guide';
import { JobManager, type JobManagerOptions } from './jobs';

export { toWireError };

export type StudioServiceOptions = Omit<JobManagerOptions, 'emit'>;

type Params<M extends ApiMethod> = ReturnType<typeof parseCall<M>>['params'];
type Handlers = { [M in ApiMethod]: (p: Params<M>) => Promise<ApiResults[M]> | ApiResults[M] };

const MNIST_TRAIN = 60000;
/** Concepts NMF discovers when the concept job builds a bank. */
const DEFAULT_NMF_CONCEPTS = 8;

// ---- row → wire conversions ------------------------------------------------------------------------

function datasetInfo(d: DatasetRow): DatasetInfo {
  return {
    id: d.id,
    name: d.name,
    classNames: d.classNames,
    shape: d.shape,
    sizes: d.sizes,
    source: d.source,
    contentHash: d.contentHash,
    createdAt: d.createdAt,
  };
}

function checkpointInfo(c: CheckpointRow): CheckpointInfo {
  return {
    id: c.id,
    datasetId: c.datasetId,
    parentId: c.parentId,
    kind: c.kind,
    runId: c.runId,
    label: c.label,
    contentHash: c.contentHash,
    createdAt: c.createdAt,
    isCurrent: c.isCurrent,
    metadata: c.metadata,
  };
}

function requestInfo(r: RequestRow): RequestInfo {
  return { ...r };
}

function metricsInfo(m: Evaluation | (Evaluation & { seconds: number }) | null): Metrics | null {
  return m ? metricsValue(m) : null;
}

function runInfo(r: RunRow): RunInfo {
  return {
    id: r.id,
    requestId: r.requestId,
    method: r.method,
    parameters: r.parameters,
    seed: r.seed,
    forgetClass: r.forgetClass,
    status: r.status,
    inputCheckpointId: r.inputCheckpointId,
    outputCheckpointId: r.outputCheckpointId,
    metrics: metricsInfo(r.metrics),
    baselineMetrics: metricsInfo(r.baselineMetrics),
    error: r.error,
    attempts: r.attempts,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

/** Where exports go by default: `<project folder>/<project name>-exports/`. */
export function exportsDir(projectFile: string): string {
  const base = path.basename(projectFile).replace(/\.[^.]*$/, '') || 'project';
  return path.join(path.dirname(projectFile), `${base}-exports`);
}

export class StudioService {
  private file: string | null = null;
  private recovered: number[] = [];
  private readonly listeners = new Set<(e: ServiceEvent) => void>();
  private readonly classCache = new Map<string, ClassList>();
  /** Concept inspections by `file#checkpoint#class`. */
  private readonly conceptCache = new Map<string, ConceptInspection>();
  private readonly previewCache = new Map<string, DatasetPreview>();
  readonly jobs: JobManager;

  constructor(opts: StudioServiceOptions = {}) {
    this.jobs = new JobManager({ ...opts, emit: (e) => this.emit(e) });
  }

  /** The open project file, or null. */
  get projectFile(): string | null {
    return this.file;
  }

  onEvent(fn: (e: ServiceEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: ServiceEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // A listener that throws (a closed socket, say) must not stop the others.
      }
    }
  }

  /** Validates and runs one operation; throws ApiError, UserError or other errors. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    const c = parseCall(method, params);
    const handler = this.handlers[c.method] as (p: unknown) => unknown;
    return await handler(c.params);
  }

  /** Like call, with the outcome as an envelope (what the transports send). */
  async callEnvelope(method: unknown, params: unknown): Promise<CallEnvelope> {
    try {
      return { ok: true, result: await this.call(method, params) };
    } catch (e) {
      return { ok: false, error: toWireError(e) };
    }
  }

  /** Cancels running jobs and forgets the project. */
  async dispose(): Promise<void> {
    await this.jobs.shutdown();
    this.file = null;
  }

  private requireFile(): string {
    if (!this.file) throw new ApiError('no project is open: create or open one first', 'no-project');
    return this.file;
  }

  private notBusy(what: string): void {
    const job = this.jobs.active();
    if (job) {
      throw new ApiError(
        `cannot ${what} while a ${job.kind === 'train' ? 'training' : job.kind === 'concepts' ? 'concept' : 'run'} job is running`,
        'busy',
      );
    }
  }

  private with<T>(fn: (db: Db, file: string) => T | Promise<T>): Promise<T> {
    const file = this.requireFile();
    return withProject(file, ({ db }) => fn(db, file));
  }

  private summary(): Promise<ProjectSummary> {
    return this.with((db, file) =>
      read(db, () => {
        const current = currentCheckpointId(db);
        return {
          file,
          datasets: listDatasets(db).map(datasetInfo),
          currentCheckpoint: current === null ? null : checkpointInfo(getCheckpoint(db, current)),
          requests: listRequests(db).map(requestInfo),
          runs: listRuns(db).map(runInfo),
          activeJob: this.jobs.active(),
          recovered: this.recovered,
        };
      }),
    );
  }

  private async importDataset(p: Params<'dataset.import'>) {
    const file = this.requireFile();
    this.notBusy('import a dataset');
    const seed = p.seed ?? 0;
    const src = p.source;
    let dataset: ImageDataset;
    let source: DatasetRow['source'];
    let skipped: { file: string; reason: string }[] = [];
    if (src.kind === 'mnist') {
      // As `unlearn import-dataset --mnist --limit N`: N training images, N/5 test and N/5 held-out.
      const limit = src.limit;
      const small = limit === undefined ? undefined : Math.max(10, Math.ceil(limit / 5));
      dataset = loadMnist({
        limitTrain: limit,
        limitTest: small,
        heldoutFraction: small === undefined ? undefined : small / MNIST_TRAIN,
        seed,
      });
      source = { kind: 'mnist', limit: limit ?? null, seed };
    } else if (src.kind === 'folder') {
      const { importImageFolder } = await import('../data/imageFolder');
      const imported = await importImageFolder(src.path, { seed, skipCorrupt: src.skipCorrupt === true });
      const { skipped: s, ...rest } = imported;
      skipped = s;
      dataset = rest;
      source = { kind: 'folder', path: path.resolve(src.path), seed, skipped: s.length };
    } else {
      dataset = importIdx({ trainImages: src.images, trainLabels: src.labels, seed });
      source = { kind: 'idx', images: path.resolve(src.images), labels: path.resolve(src.labels), seed };
    }
    if (p.name !== undefined) dataset = { ...dataset, name: p.name };
    const row = await withProject(file, ({ db }) => saveDataset(db, dataset, source));
    return { dataset: datasetInfo(row), skipped: skipped.slice(0, 100) };
  }

  private preview(p: Params<'dataset.preview'>): Promise<DatasetPreview> {
    return this.with(async (db, file) => {
      const row = p.datasetId !== undefined ? getDataset(db, p.datasetId) : latestDataset(db);
      if (!row) throw new UserError('this project has no dataset yet: import one first');
      const perClass = p.perClass ?? 8;
      const key = `${file}#${row.id}#${perClass}`;
      const cached = this.previewCache.get(key);
      if (cached) return cached;
      const ds = loadDataset(db, row.id);
      const k = ds.classNames.length;
      const counts = classCounts(ds.train.labels, k);
      const picks = firstOfEachClass(ds.train, k, perClass);
      const classes = [];
      for (let c = 0; c < k; c++) {
        const thumbnails: string[] = [];
        for (const i of picks[c]) thumbnails.push(await thumbnail(ds.train, i, ds.shape));
        classes.push({ index: c, name: ds.classNames[c], trainCount: counts[c] ?? 0, thumbnails });
      }
      const out: DatasetPreview = { datasetId: row.id, name: row.name, shape: row.shape, classes };
      this.previewCache.set(key, out);
      return out;
    });
  }

  /** Per-class accuracy of the model in service: a `classes` task in a worker, cached per checkpoint. */
  private async classes(): Promise<ClassList> {
    const file = this.requireFile();
    const checkpointId = await withProject(file, ({ db }) => requireCurrentCheckpoint(db).id);
    const key = `${file}#${checkpointId}`;
    const cached = this.classCache.get(key);
    if (cached) return cached;
    const out = await this.jobs.runTask(file, { kind: 'classes', checkpointId });
    this.classCache.set(key, out);
    return out;
  }

  /** Starts the concept job for a class on the model in service. */
  private async startConcepts(p: Params<'concepts.start'>): Promise<JobSnapshot> {
    const file = this.requireFile();
    this.notBusy('inspect concepts');
    const checkpointId = await withProject(file, ({ db }) => {
      const checkpoint = requireCurrentCheckpoint(db);
      const classes = getDataset(db, checkpoint.datasetId).classNames.length;
      if (p.classIndex >= classes) {
        throw new UserError(`class ${p.classIndex} is out of range (${classes} classes)`);
      }
      return checkpoint.id;
    });
    const task = {
      kind: 'concepts' as const,
      checkpointId,
      forgetClass: p.classIndex,
      rebuild: p.rebuild === true,
      nmfConcepts: p.concepts ?? DEFAULT_NMF_CONCEPTS,
      seed: 1,
    };
    return this.jobs.startConcepts(file, task, (v) => {
      // A new bank replaces the inspections made with the previous one.
      if (!v.bank.reused) {
        for (const key of this.conceptCache.keys()) {
          if (key.startsWith(`${file}#${checkpointId}#`)) this.conceptCache.delete(key);
        }
      }
      this.conceptCache.set(`${file}#${checkpointId}#${p.classIndex}`, v);
    });
  }

  /** The latest concept inspection of a class on the model in service (null: none yet). */
  private async conceptsOf(p: Params<'concepts.get'>): Promise<ConceptInspection | null> {
    const file = this.requireFile();
    const checkpointId = await withProject(file, ({ db }) => currentCheckpointId(db));
    return this.conceptCache.get(`${file}#${checkpointId}#${p.classIndex}`) ?? null;
  }

  private async startRun(p: Params<'run.start'>): Promise<JobSnapshot> {
    const file = this.requireFile();
    this.notBusy('start a run');
    const method = methodByName(p.method);
    const parameters = new Options(method.name, method.defaults, p.options ?? {}).all();
    const seed = p.seed ?? 1;
    // Methods run afterwards for comparison, with their defaults; retrain last.
    const others = [...new Set(p.compareWith ?? [])].map((name) => methodByName(name).name);
    const compare = others.filter((name) => name !== method.name && name !== 'retrain');
    if ((p.compareWithRetrain || others.includes('retrain')) && method.name !== 'retrain')
      compare.push('retrain');
    const mainId = await withProject(file, ({ db }) => {
      getRequest(db, p.requestId);
      return createRun(db, { requestId: p.requestId, method: method.name, parameters, seed }).id;
    });
    const steps = [{ phase: 'unlearn', runId: () => mainId }];
    for (const name of compare) {
      steps.push({
        phase: name,
        runId: () => {
          const project = openProject(file);
          try {
            const defaults = methodByName(name).defaults;
            return createRun(project.db, { requestId: p.requestId, method: name, parameters: defaults, seed })
              .id;
          } finally {
            project.close();
          }
        },
      });
    }
    return this.jobs.startRuns(file, steps);
  }

  private runDetail(runId: number): Promise<RunDetail> {
    return this.with((db) =>
      read(db, () => {
        const run = getRun(db, runId);
        const request = getRequest(db, run.requestId);
        const dataset = getDataset(db, getCheckpoint(db, run.inputCheckpointId).datasetId);
        const retrainRow = listRuns(db, { requestId: request.id })
          .filter((r) => r.method === 'retrain' && r.status === 'succeeded' && r.id !== run.id && r.metrics)
          .pop();
        const info = runInfo(run);
        const retrain = retrainRow ? runInfo(retrainRow) : null;
        // The latest succeeded run of every other method (retrain apart), in order of the runs.
        const latest = new Map<string, RunRow>();
        for (const r of listRuns(db, { requestId: request.id })) {
          if (r.status === 'succeeded' && r.metrics && r.method !== run.method && r.method !== 'retrain') {
            latest.delete(r.method);
            latest.set(r.method, r);
          }
        }
        return {
          run: info,
          request: requestInfo(request),
          classNames: dataset.classNames,
          retrain,
          comparisons: [...latest.values()].map(runInfo),
          isCurrent: run.outputCheckpointId !== null && currentCheckpointId(db) === run.outputCheckpointId,
          verdict:
            info.metrics && info.baselineMetrics
              ? verdictFor(
                  info.metrics,
                  info.baselineMetrics,
                  retrain?.metrics ?? null,
                  dataset.classNames[run.forgetClass],
                )
              : null,
        };
      }),
    );
  }

  /** `unlearn verify` (integrity, audit trail, hashes, metrics recomputed): a `verify` task in a worker. */
  private verify(p: Params<'verify.checkpoint'>): Promise<VerifyReport> {
    return this.jobs.runTask(this.requireFile(), {
      kind: 'verify',
      checkpointId: p.checkpointId,
      forgetClass: p.classIndex,
    });
  }

  /** `unlearn rollback`: makes an earlier checkpoint current; deletes nothing. */
  private rollback(p: Params<'rollback'>) {
    this.notBusy('roll back');
    return this.with((db) =>
      write(db, () => {
        const target = getCheckpoint(db, p.checkpointId);
        const from = currentCheckpointId(db);
        if (from === target.id)
          throw new UserError(`checkpoint ${target.id} is already the current checkpoint`);
        const ancestors = new Set(lineage(db, target.id).map((c) => c.id));
        const undone = listRequests(db).filter((r) => {
          if (r.status !== 'honoured' || r.honouredByRunId === null) return false;
          const output = getRun(db, r.honouredByRunId).outputCheckpointId;
          return output === null || !ancestors.has(output);
        });
        setCurrentCheckpoint(db, target.id, 'checkpoint.rollback', {
          reason: p.reason ?? null,
          undoesRequests: undone.map((r) => r.id),
        });
        return {
          from,
          to: target.id,
          undoesRequests: undone.map((r) => ({ id: r.id, className: r.className })),
        };
      }),
    );
  }

  private async saveCertificate(p: Params<'certificate.save'>): Promise<SavedFiles> {
    const { html, json } = await this.with((db, file) => {
      const data = buildCertificate(db, file, p.runId);
      return { html: renderCertificateHtml(data), json: `${JSON.stringify(data, null, 2)}\n` };
    });
    const dir = path.resolve(p.dir ?? exportsDir(this.requireFile()));
    fs.mkdirSync(dir, { recursive: true });
    const htmlPath = path.join(dir, `certificate-run-${p.runId}.html`);
    const jsonPath = path.join(dir, `certificate-run-${p.runId}.json`);
    writeAtomically(htmlPath, html);
    writeAtomically(jsonPath, json);
    return { dir, files: [htmlPath, jsonPath] };
  }

  /** `unlearn export-model`: a TensorFlow.js Layers model folder (model.json + weights.bin). */
  private exportModel(p: Params<'model.export'>): Promise<SavedFiles> {
    return this.with((db, file) => {
      const checkpoint =
        p.checkpointId !== undefined ? getCheckpoint(db, p.checkpointId) : requireCurrentCheckpoint(db);
      const dir = path.resolve(p.dir ?? path.join(exportsDir(file), `checkpoint-${checkpoint.id}`));
      const { modelPath, weightsPath } = exportCheckpoint(db, checkpoint, dir);
      return { dir, files: [modelPath, weightsPath] };
    });
  }

  private readonly handlers: Handlers = {
    'project.create': async (p) => {
      this.notBusy('create a project');
      const file = path.resolve(p.path);
      createProject(file).close();
      this.file = file;
      this.recovered = [];
      return this.summary();
    },
    'project.open': async (p) => {
      this.notBusy('open another project');
      const file = path.resolve(p.path);
      const project = openProject(file);
      this.recovered = project.recovered;
      project.close();
      this.file = file;
      return this.summary();
    },
    'project.close': () => {
      this.notBusy('close the project');
      const closed = this.file !== null;
      this.file = null;
      return { closed };
    },
    'project.summary': () => (this.file ? this.summary() : null),
    'catalog.get': () => ({
      methods: methodCatalog(),
      archs: archCatalog(Object.keys(CNN_ARCHS)),
      poisoning: { modes: POISONING_MODES, labels: RELABELLING },
      conceptInspection: true,
    }),
    'dataset.import': (p) => this.importDataset(p),
    'dataset.preview': (p) => this.preview(p),
    'train.start': async (p) => {
      const file = this.requireFile();
      this.notBusy('start training');
      if (!isArchName(p.arch)) {
        throw new ApiError(
          `unknown model architecture '${p.arch}' (known: ${Object.keys(CNN_ARCHS).join(', ')})`,
          'invalid',
        );
      }
      const datasetId = await withProject(file, ({ db }) => {
        const row = p.datasetId !== undefined ? getDataset(db, p.datasetId) : latestDataset(db);
        if (!row) throw new UserError('this project has no dataset yet: import one first');
        return row.id;
      });
      return this.jobs.startTrain(file, { datasetId, arch: p.arch, epochs: p.epochs, seed: p.seed ?? 1 });
    },
    'classes.list': () => this.classes(),
    'concepts.start': (p) => this.startConcepts(p),
    'concepts.get': (p) => this.conceptsOf(p),
    'request.create': (p) =>
      this.with((db) => {
        const current = currentCheckpointId(db);
        const dataset =
          current !== null ? getDataset(db, getCheckpoint(db, current).datasetId) : latestDataset(db);
        if (!dataset) throw new UserError('this project has no dataset yet: import one first');
        if (p.classIndex >= dataset.classNames.length) {
          throw new UserError(`class ${p.classIndex} is out of range (${dataset.classNames.length} classes)`);
        }
        return requestInfo(
          createRequest(db, {
            requester: p.requester || actor(),
            datasetId: dataset.id,
            classIndex: p.classIndex,
            className: dataset.classNames[p.classIndex],
          }),
        );
      }),
    'run.start': (p) => this.startRun(p),
    'run.get': (p) => this.runDetail(p.runId),
    'job.cancel': (p) => {
      const job = this.jobs.cancel(p.jobId);
      if (!job) throw new ApiError(`no job ${p.jobId}`, 'user');
      return job;
    },
    'jobs.list': () => this.jobs.list(),
    'history.get': () =>
      this.with((db, file) =>
        read(db, () => ({
          file,
          currentCheckpointId: currentCheckpointId(db),
          auditTrail: verifyEventChain(db),
          datasets: listDatasets(db).map(datasetInfo),
          checkpoints: listCheckpoints(db).map(checkpointInfo),
          requests: listRequests(db).map(requestInfo),
          runs: listRuns(db).map(runInfo),
          events: listEvents(db).map(({ details: _d, hash: _h, ...e }) => e),
        })),
      ),
    'verify.checkpoint': (p) => this.verify(p),
    rollback: (p) => this.rollback(p),
    'certificate.get': (p) =>
      this.with((db, file) => {
        const data = buildCertificate(db, file, p.runId);
        return { runId: p.runId, html: renderCertificateHtml(data), json: data };
      }),
    'certificate.save': (p) => this.saveCertificate(p),
    'model.export': (p) => this.exportModel(p),
  };
}
