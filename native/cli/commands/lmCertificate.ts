/**
 * The certificate of a language-model run: the same format as an image run's (./certificate.ts: kind,
 * version, project, request, dataset, run, before, original, after, retrain, events), with `modelKind:
 * 'lm'`, the text dataset's sizes, the language-model metrics (forget term rate, forget/retain answer
 * ROUGE-L, held-out perplexity, MIA AUC, seconds) and a few answers to the forget questions before and after.
 */
import type { LmEvaluation } from '../../llm/evaluation/evaluate';
import { allLmMethods } from '../../llm/unlearning/registry';
import {
  type Db,
  type EventRow,
  type LmRunMetrics,
  type RequestRow,
  getCheckpoint,
  loadLmArtifacts,
  loadTextDataset,
  read,
} from '../../store';
import {
  type CertificateModel,
  type CertificateProject,
  type CertificateRun,
  type RunKind,
  readRunRecord,
} from './certificateRecord';

export interface LmAnswer {
  prompt: string;
  reference: string;
  answer: string;
}

export interface LmCertificateData {
  kind: 'unlearn-studio-certificate';
  version: 1;
  modelKind: 'lm';
  generatedAt: string;
  project: CertificateProject;
  request: RequestRow;
  dataset: {
    id: number;
    kind: 'text';
    name: string;
    contentHash: string;
    classNames: string[];
    sizes: { train: number; paraphrase: number; heldout: number };
    hashVerified: true;
  };
  run: CertificateRun;
  before: CertificateModel & { metrics: LmEvaluation; answers: LmAnswer[] };
  original: CertificateModel;
  after: CertificateModel & { metrics: LmRunMetrics; answers: LmAnswer[] };
  retrain: (CertificateModel & { runId: number; metrics: LmRunMetrics }) | null;
  events: EventRow[];
}

const LM_RUN: RunKind = {
  hasMetrics: (r) => r.lmMetrics !== null && r.lmBaselineMetrics !== null,
  loadDataset: loadTextDataset,
  loadArtifacts: loadLmArtifacts, // the weights', the tokenizer's and the checkpoint's hashes
  summaryOf: (method) => allLmMethods().find((m) => m.name === method)?.summary ?? '',
  seconds: (r) => r.lmMetrics?.seconds ?? 0,
};

function answersOf(metadata: Record<string, unknown>, key: string): LmAnswer[] {
  const v = metadata[key];
  return Array.isArray(v) ? (v as LmAnswer[]) : [];
}

export function buildLmCertificate(db: Db, file: string, runId: number): LmCertificateData {
  return read(db, () => {
    const r = readRunRecord(db, file, runId, LM_RUN);
    const { run, datasetRow } = r;
    const output = getCheckpoint(db, run.outputCheckpointId);
    const retrainMetrics = r.retrainRun?.lmMetrics;
    return {
      kind: 'unlearn-studio-certificate',
      version: 1,
      modelKind: 'lm',
      generatedAt: new Date().toISOString(),
      project: r.project,
      request: r.request,
      dataset: {
        id: datasetRow.id,
        kind: 'text',
        name: datasetRow.name,
        contentHash: datasetRow.contentHash,
        classNames: datasetRow.classNames,
        sizes: {
          train: datasetRow.sizes.train,
          paraphrase: datasetRow.sizes.test,
          heldout: datasetRow.sizes.heldout,
        },
        hashVerified: true,
      },
      run: r.runInfo,
      before: {
        ...r.before,
        metrics: run.lmBaselineMetrics!,
        answers: answersOf(output.metadata, 'answersBefore'),
      },
      original: r.original,
      after: { ...r.after, metrics: run.lmMetrics!, answers: answersOf(output.metadata, 'answers') },
      retrain:
        r.retrain && r.retrainRun && retrainMetrics
          ? { ...r.retrain, runId: r.retrainRun.id, metrics: retrainMetrics }
          : null,
      events: r.events,
    };
  });
}
