/**
 * `unlearn certificate P --run ID --out FILE.html`: a self-contained, printable record of one
 * unlearning run for people who do not program (FILE.html), and the same facts as JSON (FILE.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../errors';
import { avgGap } from '../../metrics/gap';
import {
  type EventRow,
  type RequestRow,
  type RunMetrics,
  getCheckpoint,
  getRun,
  loadArtifacts,
  loadDataset,
  read,
  withProject,
} from '../../store';
import type { Db } from '../../store';
import type { Evaluation } from '../../unlearning/evaluate';
import { allMethods } from '../../unlearning/registry';
import { out, parseCommand, requiredInt, say } from './args';
import { renderCertificateHtml } from './certificateHtml';
import {
  type CertificateModel,
  type CertificateProject,
  type CertificateRun,
  type RunKind,
  readRunRecord,
} from './certificateRecord';
import { buildLmCertificate } from './lmCertificate';
import { renderLmCertificateHtml } from './lmCertificateHtml';

export const CERTIFICATE_USAGE = 'certificate P --run ID --out FILE.html';

export type { CertificateModel } from './certificateRecord';

export interface CertificateData {
  kind: 'unlearn-studio-certificate';
  version: 1;
  generatedAt: string;
  project: CertificateProject;
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
  run: CertificateRun;
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

const IMAGE_RUN: RunKind = {
  hasMetrics: (r) => r.metrics !== null && r.baselineMetrics !== null,
  loadDataset,
  loadArtifacts,
  summaryOf: (method) => allMethods().find((m) => m.name === method)?.summary ?? '',
  seconds: (r) => r.metrics?.seconds ?? 0,
};

export function buildCertificate(db: Db, file: string, runId: number): CertificateData {
  return read(db, () => {
    const r = readRunRecord(db, file, runId, IMAGE_RUN);
    const { run, datasetRow } = r;
    const metrics = run.metrics!;
    const baseline = run.baselineMetrics!;
    const retrainMetrics = r.retrainRun?.metrics;
    return {
      kind: 'unlearn-studio-certificate',
      version: 1,
      generatedAt: new Date().toISOString(),
      project: r.project,
      request: r.request,
      dataset: {
        id: datasetRow.id,
        name: datasetRow.name,
        contentHash: datasetRow.contentHash,
        classNames: datasetRow.classNames,
        shape: datasetRow.shape,
        sizes: datasetRow.sizes,
        hashVerified: true,
      },
      run: r.runInfo,
      before: { ...r.before, metrics: baseline },
      original: r.original,
      after: { ...r.after, metrics },
      retrain:
        r.retrain && r.retrainRun && retrainMetrics
          ? {
              ...r.retrain,
              runId: r.retrainRun.id,
              metrics: retrainMetrics,
              avgGapAfter: avgGap(metrics, retrainMetrics),
              avgGapBefore: avgGap(baseline, retrainMetrics),
            }
          : null,
      events: r.events,
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
