/**
 * The certificate of a language-model run: the same format as an image run's (./certificate.ts: kind,
 * version, project, request, dataset, run, before, original, after, retrain, events), with `modelKind:
 * 'lm'`, the text dataset's sizes, the language-model metrics (forget term rate, forget/retain answer
 * ROUGE-L, held-out perplexity, MIA AUC, seconds) and a few answers to the forget questions before and after.
 */
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { LmEvaluation } from '../../llm/evaluation/evaluate';
import { allLmMethods } from '../../llm/unlearning/registry';
import {
  type Db,
  type EventRow,
  type LmRunMetrics,
  type RequestRow,
  getCheckpoint,
  getDataset,
  getRequest,
  getRun,
  lineage,
  listEvents,
  listRuns,
  loadLmArtifacts,
  loadTextDataset,
  read,
  verifyEventChain,
} from '../../store';
import type { MethodOptions } from '../../unlearning/types';
import type { CertificateModel } from './certificate';

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
  project: { file: string; auditTrailIntact: boolean; auditTrailEvents: number };
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
    honoursRequest: boolean;
  };
  before: CertificateModel & { metrics: LmEvaluation; answers: LmAnswer[] };
  original: CertificateModel;
  after: CertificateModel & { metrics: LmRunMetrics; answers: LmAnswer[] };
  retrain: (CertificateModel & { runId: number; metrics: LmRunMetrics }) | null;
  events: EventRow[];
}

function model(db: Db, id: number): CertificateModel {
  const c = getCheckpoint(db, id);
  loadLmArtifacts(db, id); // checks the weights', tokenizer's and checkpoint's hashes
  return { checkpointId: c.id, contentHash: c.contentHash, label: c.label, createdAt: c.createdAt };
}

function answersOf(metadata: Record<string, unknown>, key: string): LmAnswer[] {
  const v = metadata[key];
  return Array.isArray(v) ? (v as LmAnswer[]) : [];
}

export function buildLmCertificate(db: Db, file: string, runId: number): LmCertificateData {
  return read(db, () => {
    const run = getRun(db, runId);
    if (
      run.status !== 'succeeded' ||
      !run.lmMetrics ||
      !run.lmBaselineMetrics ||
      run.outputCheckpointId === null
    ) {
      throw new UserError(`run ${runId} has status ${run.status}: a certificate needs a succeeded run`);
    }
    const request = getRequest(db, run.requestId);
    const datasetRow = getDataset(db, getCheckpoint(db, run.inputCheckpointId).datasetId);
    loadTextDataset(db, datasetRow.id); // checks every blob's hash and the dataset's content hash
    const retrainRun = listRuns(db, { requestId: request.id })
      .filter((r) => r.method === 'retrain' && r.status === 'succeeded' && r.id !== run.id && r.lmMetrics)
      .pop();
    const chain = verifyEventChain(db);
    const root = lineage(db, run.inputCheckpointId).pop()!;
    const events = listEvents(db, { runId, requestId: request.id }).filter(
      (e) => e.runId === runId || e.runId === null,
    );
    const output = getCheckpoint(db, run.outputCheckpointId);
    return {
      kind: 'unlearn-studio-certificate',
      version: 1,
      modelKind: 'lm',
      generatedAt: new Date().toISOString(),
      project: { file: path.resolve(file), auditTrailIntact: chain.ok, auditTrailEvents: chain.count },
      request,
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
      run: {
        id: run.id,
        method: run.method,
        methodSummary: allLmMethods().find((m) => m.name === run.method)?.summary ?? '',
        parameters: run.parameters,
        seed: run.seed,
        forgetClass: run.forgetClass,
        attempts: run.attempts,
        createdAt: run.createdAt,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        seconds: run.lmMetrics.seconds,
        honoursRequest: request.honouredByRunId === run.id,
      },
      before: {
        ...model(db, run.inputCheckpointId),
        metrics: run.lmBaselineMetrics,
        answers: answersOf(output.metadata, 'answersBefore'),
      },
      original: model(db, root.id),
      after: {
        ...model(db, run.outputCheckpointId),
        metrics: run.lmMetrics,
        answers: answersOf(output.metadata, 'answers'),
      },
      retrain:
        retrainRun?.lmMetrics && retrainRun.outputCheckpointId !== null
          ? {
              ...model(db, retrainRun.outputCheckpointId),
              runId: retrainRun.id,
              metrics: retrainRun.lmMetrics,
            }
          : null,
      events,
    };
  });
}
