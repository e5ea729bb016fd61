/**
 * Concept banks in the project file (schema 2). A `concept_banks` row records a bank built on a checkpoint's
 * embedding layer: where its concepts came from (`folders`, `nmf-discovery`, `ground-truth`), the options of
 * the build, the bank itself (conceptBankToJson's output: CAVs, held-out accuracies, dropped concepts) as a
 * `concept_bank` blob, and the analysis made with it (PCBM, class-to-concept importance, the model's confusion
 * on the test split) as JSON, so that a class's concept table is recomputed from the file alone. The content
 * hash covers the bank bytes and the analysis text; loading checks both. No TensorFlow.js here: the bank
 * JSON is handled as data (native/concepts/conceptBank.ts turns it into a ConceptBank).
 */
import { UserError } from '../errors';
import { readBlob, writeBlob } from './blobs';
import { getCheckpoint } from './checkpoints';
import { type Db, now, parseJson, sha256, write } from './db';
import { appendEvent } from './events';

export const CONCEPT_BANK_SOURCES = ['folders', 'nmf-discovery', 'ground-truth'] as const;
export type ConceptBankSource = (typeof CONCEPT_BANK_SOURCES)[number];

/** The fields of conceptBankToJson's output that the store reads. */
export interface ConceptBankJson {
  format: 'unlearn-studio/concept-bank';
  embeddingLayer: string;
  dim: number;
  minAccuracy: number;
  concepts: { name: string; heldoutAccuracy: number; [key: string]: unknown }[];
  dropped: { name: string; heldoutAccuracy: number; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** A fitted PCBM, arrays as plain numbers (see native/concepts/pcbm.ts). */
export interface StoredPcbm {
  numConcepts: number;
  numClasses: number;
  mean: number[];
  scale: number[];
  /** numConcepts * numClasses, row-major (concept rows), standardised units. */
  weights: number[];
  bias: number[];
  lambda: number;
  l1Ratio: number;
  iterations: number;
  nonZero: number;
}

/** What was measured with the bank when it was built. */
export interface ConceptAnalysis {
  /** The split the PCBM report, the importance and the confusion come from. */
  split: 'test';
  /** The PCBM and the split it was fit on (null when the bank kept no concept). */
  pcbm: (StoredPcbm & { fitSplit: 'train'; fitImages: number }) | null;
  pcbmReport: {
    accuracy: number;
    modelAccuracy: number;
    fidelity: number;
    nonZero: number;
    sparsity: number;
    images: number;
  } | null;
  /** Class-to-concept importance (native/concepts/conceptImportance.ts), null without concepts. */
  importance: {
    numClasses: number;
    concepts: string[];
    /** numClasses * numConcepts, row-major (class rows). */
    importance: number[];
    counts: number[];
    maxRelativeGap: number;
    baseline: 'mean' | 'zero';
  } | null;
  /** The model's confusion counts on the split, numClasses * numClasses, row = true class. */
  confusion: number[];
}

export interface NewConceptBank {
  checkpointId: number;
  source: ConceptBankSource;
  /** The options of the build, for people and for repeating it. */
  parameters: Record<string, unknown>;
  bank: ConceptBankJson;
  analysis: ConceptAnalysis | null;
}

export interface ConceptBankRow {
  id: number;
  checkpointId: number;
  datasetId: number;
  source: ConceptBankSource;
  embeddingLayer: string;
  parameters: Record<string, unknown>;
  numConcepts: number;
  numDropped: number;
  analysis: ConceptAnalysis | null;
  contentHash: string;
  bankSha256: string;
  bankBytes: number;
  createdAt: string;
}

interface RawConceptBank {
  id: number;
  checkpoint_id: number;
  dataset_id: number;
  source: ConceptBankSource;
  embedding_layer: string;
  parameters: string;
  bank_blob_id: number;
  num_concepts: number;
  num_dropped: number;
  analysis: string | null;
  content_hash: string;
  created_at: string;
  blob_sha256: string;
  blob_size: number;
}

const SELECT = `
  SELECT k.*, b.sha256 AS blob_sha256, b.size AS blob_size
  FROM concept_banks k JOIN blobs b ON b.id = k.bank_blob_id`;

/** The content hash of a stored bank: sha256 of the bank JSON bytes, a newline and the analysis JSON. */
export function conceptBankHash(bankBytes: Uint8Array, analysisJson: string | null): string {
  return sha256(bankBytes, '\n', analysisJson ?? 'null');
}

/** JSON text in which non-finite numbers become null (JSON.stringify's own rule, made explicit). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
}

function toRow(r: RawConceptBank): ConceptBankRow {
  const where = `concept bank ${r.id}`;
  return {
    id: r.id,
    checkpointId: r.checkpoint_id,
    datasetId: r.dataset_id,
    source: r.source,
    embeddingLayer: r.embedding_layer,
    parameters: parseJson<Record<string, unknown>>(r.parameters, where) ?? {},
    numConcepts: r.num_concepts,
    numDropped: r.num_dropped,
    analysis: parseJson<ConceptAnalysis>(r.analysis, where),
    contentHash: r.content_hash,
    bankSha256: r.blob_sha256,
    bankBytes: r.blob_size,
    createdAt: r.created_at,
  };
}

function checkBankJson(bank: ConceptBankJson): void {
  if (
    bank?.format !== 'unlearn-studio/concept-bank' ||
    typeof bank.embeddingLayer !== 'string' ||
    !Array.isArray(bank.concepts) ||
    !Array.isArray(bank.dropped)
  ) {
    throw new Error('saveConceptBank expects the output of conceptBankToJson');
  }
}

/** Stores a concept bank and its `concept-bank.created` event (one transaction); returns its row. */
export function saveConceptBank(db: Db, b: NewConceptBank): ConceptBankRow {
  checkBankJson(b.bank);
  if (!CONCEPT_BANK_SOURCES.includes(b.source)) throw new Error(`unknown concept bank source '${b.source}'`);
  const bytes = Buffer.from(toJson(b.bank), 'utf8');
  const analysisJson = b.analysis ? toJson(b.analysis) : null;
  const hash = conceptBankHash(bytes, analysisJson);
  const id = write(db, () => {
    const checkpoint = getCheckpoint(db, b.checkpointId);
    const blob = writeBlob(db, 'concept_bank', bytes);
    const info = db
      .prepare(
        `INSERT INTO concept_banks (checkpoint_id, dataset_id, source, embedding_layer, parameters,
           bank_blob_id, num_concepts, num_dropped, analysis, content_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        checkpoint.id,
        checkpoint.datasetId,
        b.source,
        b.bank.embeddingLayer,
        toJson(b.parameters),
        blob.id,
        b.bank.concepts.length,
        b.bank.dropped.length,
        analysisJson,
        hash,
        now(),
      );
    const bankId = Number(info.lastInsertRowid);
    const report = b.analysis?.pcbmReport;
    appendEvent(db, {
      kind: 'concept-bank.created',
      checkpointId: checkpoint.id,
      datasetId: checkpoint.datasetId,
      details: {
        bankId,
        source: b.source,
        embeddingLayer: b.bank.embeddingLayer,
        concepts: b.bank.concepts.map((c) => c.name),
        dropped: b.bank.dropped.map((c) => c.name),
        pcbm: report ? { accuracy: report.accuracy, fidelity: report.fidelity } : null,
        contentHash: hash,
        bankSha256: blob.sha256,
      },
    });
    return bankId;
  });
  return getConceptBank(db, id);
}

export function findConceptBank(db: Db, id: number): ConceptBankRow | undefined {
  const r = db.prepare(`${SELECT} WHERE k.id = ?`).get(id) as RawConceptBank | undefined;
  return r ? toRow(r) : undefined;
}

export function getConceptBank(db: Db, id: number): ConceptBankRow {
  const row = findConceptBank(db, id);
  if (!row) throw new UserError(`no concept bank ${id} in this project`);
  return row;
}

/** Every stored bank, oldest first (or those built on one checkpoint). */
export function listConceptBanks(db: Db, filter: { checkpointId?: number } = {}): ConceptBankRow[] {
  const rows =
    filter.checkpointId === undefined
      ? db.prepare(`${SELECT} ORDER BY k.id`).all()
      : db.prepare(`${SELECT} WHERE k.checkpoint_id = ? ORDER BY k.id`).all(filter.checkpointId);
  return (rows as RawConceptBank[]).map(toRow);
}

/** The most recent bank built on a checkpoint, if any. */
export function latestConceptBank(db: Db, checkpointId: number): ConceptBankRow | undefined {
  const r = db.prepare(`${SELECT} WHERE k.checkpoint_id = ? ORDER BY k.id DESC LIMIT 1`).get(checkpointId) as
    | RawConceptBank
    | undefined;
  return r ? toRow(r) : undefined;
}

/**
 * A stored bank with its JSON (give it to conceptBankFromJson), the blob's sha256 and the content hash
 * both checked: a damaged bank is a UserError naming it.
 */
export function loadConceptBank(db: Db, id: number): { row: ConceptBankRow; bank: ConceptBankJson } {
  const row = getConceptBank(db, id);
  const raw = db.prepare('SELECT bank_blob_id, analysis FROM concept_banks WHERE id = ?').get(id) as {
    bank_blob_id: number;
    analysis: string | null;
  };
  const bytes = readBlob(db, raw.bank_blob_id, `the concepts of concept bank ${id}`);
  if (conceptBankHash(bytes, raw.analysis) !== row.contentHash) {
    throw new UserError(`the project file is damaged: concept bank ${id} does not match its content hash`);
  }
  const bank = parseJson<ConceptBankJson>(bytes.toString('utf8'), `concept bank ${id}`);
  if (bank?.format !== 'unlearn-studio/concept-bank') {
    throw new UserError(`the project file is damaged: concept bank ${id} holds no concept bank`);
  }
  return { row, bank };
}
