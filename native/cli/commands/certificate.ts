/**
 * `unlearn certificate P --run ID --out FILE.html`: a self-contained, printable record of one
 * unlearning run for people who do not program (FILE.html), and the same facts as JSON (FILE.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../errors';
import { avgGap } from '../../metrics/gap';
import {
  type Db,
  type EventRow,
  type RequestRow,
  type RunMetrics,
  getCheckpoint,
  getDataset,
  getRequest,
  getRun,
  lineage,
  listEvents,
  listRuns,
  loadArtifacts,
  loadDataset,
  read,
  verifyEventChain,
  withProject,
} from '../../store';
import type { Evaluation } from '../../unlearning/evaluate';
import { allMethods } from '../../unlearning/registry';
import type { MethodOptions } from '../../unlearning/types';
import { out, parseCommand, requiredInt, say } from './args';
import { renderCertificateHtml } from './certificateHtml';
import { buildLmCertificate } from './lmCertificate';
import { renderLmCertificateHtml } from './lmCertificateHtml';

export const CERTIFICATE_USAGE = 'certificate P --run ID --out FILE.html';

export interface CertificateModel {
  checkpointId: number;
  contentHash: string;
  label: string;
  createdAt: string;
}

export interface CertificateData {
  kind: 'unlearn-studio-certificate';
  version: 1;
  generatedAt: string;
  project: { file: string; auditTrailIntact: boolean; auditTrailEvents: number };
  request: RequestRow;
  dataset: {
    id: number;
    name: string;
    contentHash: string;
    classNames: string[];
    shape: [number, number, number];
    sizes: { train: number; test: number; heldout: number };
    hashVerified: true;
  };
  run: {
    id: number;
    method: string;
    methodSummary: string;
    parameters: MethodOptions;
    seed: number;
    forgetClass: number;
    attempts: number;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    seconds: number;
    /** Whether this run's model became the current one and honoured the request. */
    honoursRequest: boolean;
  };
  /** The model the run started from, and the first model of its lineage. */
  before: CertificateModel & { metrics: Evaluation };
  original: CertificateModel;
  after: CertificateModel & { metrics: RunMetrics };
  /** A `retrain` run for the same request, the reference an unlearned model should match. */
  retrain:
    | (CertificateModel & { runId: number; metrics: RunMetrics; avgGapAfter: number; avgGapBefore: number })
    | null;
  events: EventRow[];
}

function model(db: Db, id: number): CertificateModel {
  const c = getCheckpoint(db, id);
  loadArtifacts(db, id); // checks the weights' and the checkpoint's hashes
  return { checkpointId: c.id, contentHash: c.contentHash, label: c.label, createdAt: c.createdAt };
}

export function buildCertificate(db: Db, file: string, runId: number): CertificateData {
  return read(db, () => {
    const run = getRun(db, runId);
    if (
      run.status !== 'succeeded' ||
      !run.metrics ||
      !run.baselineMetrics ||
      run.outputCheckpointId === null
    ) {
      throw new UserError(`run ${runId} has status ${run.status}: a certificate needs a succeeded run`);
    }
    const request = getRequest(db, run.requestId);
    const datasetRow = getDataset(db, getCheckpoint(db, run.inputCheckpointId).datasetId);
    loadDataset(db, datasetRow.id); // checks every blob's hash and the dataset's content hash
    const retrainRun = listRuns(db, { requestId: request.id })
      .filter((r) => r.method === 'retrain' && r.status === 'succeeded' && r.id !== run.id && r.metrics)
      .pop();
    const chain = verifyEventChain(db);
    const root = lineage(db, run.inputCheckpointId).pop()!;
    // This run's events and the request's own (not those of other runs for the same request).
    const events = listEvents(db, { runId, requestId: request.id }).filter(
      (e) => e.runId === runId || e.runId === null,
    );
    return {
      kind: 'unlearn-studio-certificate',
      version: 1,
      generatedAt: new Date().toISOString(),
      project: { file: path.resolve(file), auditTrailIntact: chain.ok, auditTrailEvents: chain.count },
      request,
      dataset: {
        id: datasetRow.id,
        name: datasetRow.name,
        contentHash: datasetRow.contentHash,
        classNames: datasetRow.classNames,
        shape: datasetRow.shape,
        sizes: datasetRow.sizes,
        hashVerified: true,
      },
      run: {
        id: run.id,
        method: run.method,
        methodSummary: allMethods().find((m) => m.name === run.method)?.summary ?? '',
        parameters: run.parameters,
        seed: run.seed,
        forgetClass: run.forgetClass,
        attempts: run.attempts,
        createdAt: run.createdAt,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        seconds: run.metrics.seconds,
        honoursRequest: request.honouredByRunId === run.id,
      },
      before: { ...model(db, run.inputCheckpointId), metrics: run.baselineMetrics },
      original: model(db, root.id),
      after: { ...model(db, run.outputCheckpointId), metrics: run.metrics },
      retrain:
        retrainRun?.metrics && retrainRun.outputCheckpointId !== null
          ? {
              ...model(db, retrainRun.outputCheckpointId),
              runId: retrainRun.id,
              metrics: retrainRun.metrics,
              avgGapAfter: avgGap(run.metrics, retrainRun.metrics),
              avgGapBefore: avgGap(run.baselineMetrics, retrainRun.metrics),
            }
          : null,
      events,
    };
  });
}

/** FILE.html → FILE.json (any other name: name + .json). */
export function jsonPathFor(htmlPath: string): string {
  return /\.html?$/i.test(htmlPath) ? htmlPath.replace(/\.html?$/i, '.json') : `${htmlPath}.json`;
}

export async function certificateCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { run: { type: 'string' }, out: { type: 'string' } },
    CERTIFICATE_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const runId = requiredInt(values.run, 'run');
  if (values.out === undefined) throw new UserError('--out FILE.html is required');
  const htmlPath = values.out;
  const dir = path.dirname(path.resolve(htmlPath));
  if (!fs.existsSync(dir)) throw new UserError(`folder ${dir} does not exist`);
  // A language-model run (its input is a language model) has its own metrics and page, same format.
  const { data, html } = await withProject(file, ({ db }) => {
    if (getCheckpoint(db, getRun(db, runId).inputCheckpointId).modelKind === 'lm') {
      const lm = buildLmCertificate(db, file, runId);
      return { data: lm, html: renderLmCertificateHtml(lm) };
    }
    const image = buildCertificate(db, file, runId);
    return { data: image, html: renderCertificateHtml(image) };
  });
  const jsonPath = jsonPathFor(htmlPath);
  fs.writeFileSync(htmlPath, html);
  fs.writeFileSync(jsonPath, `${JSON.stringify(data, null, 2)}\n`);
  say(`certificate for run ${runId} written to ${htmlPath} and ${jsonPath}`);
  out(htmlPath);
}
