import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ImageDataset } from '../../native/data/types';
import { UserError } from '../../native/errors';
import {
  type ConceptAnalysis,
  type ConceptBankJson,
  MIGRATIONS,
  SCHEMA_VERSION,
  SQLITE_APPLICATION_ID,
  createProject,
  latestConceptBank,
  listConceptBanks,
  listEvents,
  loadArtifacts,
  loadConceptBank,
  loadDataset,
  openProject,
  saveCheckpoint,
  saveConceptBank,
  saveDataset,
  verifyEventChain,
} from '../../native/store';
import { appendEvent } from '../../native/store/events';
import { migrate } from '../../native/store/migrations';
import { saveLegacyImageDataset } from '../helpers/legacyRows';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-migrate-'));
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function tinyDataset(): ImageDataset {
  const split = (n: number, seed: number) => ({
    pixels: Uint8Array.from({ length: n * 16 }, (_, i) => (i * 31 + seed * 7) % 256),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    size: n,
  });
  return {
    name: 'tiny',
    classNames: ['a', 'b', 'c'],
    shape: [4, 4, 1],
    train: split(60, 1),
    test: split(30, 2),
    heldout: split(15, 3),
  };
}

const artifacts = () => ({
  topology: { class_name: 'Model', config: { layers: [] } },
  weightSpecs: [{ name: 'w', shape: [256], dtype: 'float32' }],
  weights: new Uint8Array(randomBytes(1024)),
});

/**
 * A schema-1 project made by the schema-1 code path: migration 1 only, user_version 1, then a dataset and
 * a checkpoint stored through the store (whose writes schema 1 accepts), so blobs are referenced by
 * blob_chunks, dataset_splits and checkpoints when migration 2 rebuilds `blobs`.
 */
function makeV1Project(file: string): void {
  const db = new Database(file);
  db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.transaction(() => {
    MIGRATIONS[0].up(db);
    db.pragma('user_version = 1');
    appendEvent(db, { kind: 'project.created', details: { schema: 1 } });
  }).immediate();
  const datasetId = saveLegacyImageDataset(db, tinyDataset());
  saveCheckpoint(db, artifacts(), {
    datasetId,
    kind: 'trained',
    label: 'v1 model',
    embeddingLayer: 'embedding',
    makeCurrent: true,
  });
  db.close();
}

function fakeBank(): ConceptBankJson {
  const concept = (name: string, w: number[], acc: number) => ({
    name,
    source: 'examples',
    weights: w,
    bias: 0.5,
    heldoutAccuracy: acc,
    trainAccuracy: 1,
    lambda: 0.01,
    numPositives: 10,
    numNegatives: 10,
  });
  return {
    format: 'unlearn-studio/concept-bank',
    version: 1,
    embeddingLayer: 'embedding',
    dim: 3,
    minAccuracy: 0.6,
    concepts: [concept('stripes', [1, 0, 0], 0.95), concept('dots', [0, 1, 0], 0.8)],
    dropped: [{ name: 'noise', source: 'examples', heldoutAccuracy: 0.5 }],
  };
}

function fakeAnalysis(): ConceptAnalysis {
  return {
    split: 'test',
    pcbm: {
      numConcepts: 2,
      numClasses: 3,
      mean: [0, 0],
      scale: [1, 1],
      weights: [1, 0, -1, 0, 2, 0],
      bias: [0, 0, 0],
      lambda: 0.01,
      l1Ratio: 0.9,
      iterations: 10,
      nonZero: 3,
      fitSplit: 'train',
      fitImages: 60,
    },
    pcbmReport: { accuracy: 0.9, modelAccuracy: 0.95, fidelity: 0.92, nonZero: 3, sparsity: 0.5, images: 30 },
    importance: {
      numClasses: 3,
      concepts: ['stripes', 'dots'],
      importance: [0.5, 0.1, 0.05, 0.4, 0.02, 0.03],
      counts: [10, 10, 10],
      maxRelativeGap: 1e-7,
      baseline: 'mean',
    },
    confusion: [9, 1, 0, 0, 10, 0, 1, 0, 9],
  };
}

function rejectsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e.name}: ${e.message}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

type Row = Record<string, unknown>;

describe('schema migrations', () => {
  it('upgrades a schema-1 file in place on a read-write open, keeping its data, and logs it', () => {
    assert.equal(SCHEMA_VERSION, 3);
    const file = path.join(tmpDir(), 'old.unlearn');
    makeV1Project(file);
    const before = new Database(file, { readonly: true });
    const blobsBefore = before
      .prepare('SELECT id, kind, size, chunk_size, sha256 FROM blobs ORDER BY id')
      .all();
    const eventsBefore = before.prepare('SELECT * FROM events ORDER BY id').all();
    assert.equal(before.pragma('user_version', { simple: true }), 1);
    assert.equal(before.prepare("SELECT 1 FROM sqlite_master WHERE name = 'concept_banks'").get(), undefined);
    before.close();

    // A read-only open neither migrates nor writes.
    const untouched = sha(file);
    rejectsUser(
      () => openProject(file, { readonly: true }),
      /uses an older project schema \(1\): open it once with write access/,
    );
    assert.equal(sha(file), untouched);

    const p = openProject(file);
    const db = p.db;
    assert.equal(db.pragma('user_version', { simple: true }), 3);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys back on');
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    // The rebuilt blobs table: same rows and ids, the new kind allowed.
    assert.deepEqual(
      db.prepare('SELECT id, kind, size, chunk_size, sha256 FROM blobs ORDER BY id').all(),
      blobsBefore,
    );
    const blobsSql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'blobs'").get() as Row).sql;
    assert.match(String(blobsSql), /'concept_bank'/);
    assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'blobs_v2'").get(), undefined);
    // Data still loads with every hash checked.
    assert.deepEqual(loadDataset(db, 1), tinyDataset());
    assert.equal(loadArtifacts(db, 1).weights.byteLength, 1024);
    // Old events untouched, one new event for the migration, chain intact.
    const events = db.prepare('SELECT * FROM events ORDER BY id').all() as Row[];
    assert.deepEqual(events.slice(0, eventsBefore.length), eventsBefore);
    assert.equal(events.length, eventsBefore.length + 2, 'one event per migration (1 → 2 → 3)');
    const migrated = listEvents(db).slice(-2);
    assert.deepEqual(
      migrated.map((e) => [e.kind, e.details.from, e.details.to]),
      [
        ['project.migrated', 1, 2],
        ['project.migrated', 2, 3],
      ],
    );
    assert.equal(verifyEventChain(db).ok, true);
    assert.ok(db.prepare("SELECT value FROM meta WHERE key = 'schema_migrated_at'").get());
    // The new table works on the migrated file.
    const bank = saveConceptBank(db, {
      checkpointId: 1,
      source: 'folders',
      parameters: { folder: '/x' },
      bank: fakeBank(),
      analysis: null,
    });
    assert.equal(bank.id, 1);
    assert.equal(migrate(db).length, 0, 'nothing left to migrate');
    p.close();

    // Opening again migrates nothing and logs nothing.
    const again = openProject(file);
    assert.deepEqual(
      listEvents(again.db)
        .map((e) => e.kind)
        .filter((k) => k === 'project.migrated'),
      ['project.migrated', 'project.migrated'],
    );
    again.close();
  });

  it('leaves the file at schema 1 when the migration fails', () => {
    const file = path.join(tmpDir(), 'broken.unlearn');
    makeV1Project(file);
    // A chunk whose blob does not exist (written with foreign keys off): the rebuild's check refuses it.
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.prepare('INSERT INTO blob_chunks (blob_id, seq, data) VALUES (999, 0, ?)').run(Buffer.from([1]));
    db.close();
    const untouched = sha(file);
    rejectsUser(
      () => openProject(file),
      /the project file is damaged: upgrading it to schema 2 would break 1 foreign key\(s\) \(first: blob_chunks → blobs\); it is left at schema 1/,
    );
    assert.equal(sha(file), untouched, 'the failed migration changed nothing');
    const after = new Database(file, { readonly: true });
    assert.equal(after.pragma('user_version', { simple: true }), 1);
    assert.equal(after.prepare("SELECT 1 FROM sqlite_master WHERE name = 'concept_banks'").get(), undefined);
    assert.equal(after.prepare("SELECT 1 FROM sqlite_master WHERE name = 'blobs_v2'").get(), undefined);
    assert.equal(
      (after.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'project.migrated'").get() as Row).n,
      0,
    );
    after.close();
  });
});

describe('concept banks in the project file', () => {
  it('stores a bank as a hashed blob with its analysis and event, and detects damage', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const db = p.db;
    const ds = saveDataset(db, tinyDataset(), { kind: 'test' });
    const c = saveCheckpoint(db, artifacts(), {
      datasetId: ds.id,
      kind: 'trained',
      label: 'm',
      embeddingLayer: 'embedding',
      makeCurrent: true,
    });
    assert.equal(latestConceptBank(db, c.id), undefined);
    const row = saveConceptBank(db, {
      checkpointId: c.id,
      source: 'nmf-discovery',
      parameters: { k: 2, seed: 1, nothing: Number.NaN },
      bank: fakeBank(),
      analysis: fakeAnalysis(),
    });
    assert.deepEqual(
      [row.checkpointId, row.datasetId, row.source, row.embeddingLayer, row.numConcepts, row.numDropped],
      [c.id, ds.id, 'nmf-discovery', 'embedding', 2, 1],
    );
    assert.deepEqual(row.parameters, { k: 2, seed: 1, nothing: null });
    assert.deepEqual(row.analysis, fakeAnalysis());
    assert.match(row.contentHash, /^[0-9a-f]{64}$/);
    const blob = db
      .prepare('SELECT b.kind FROM concept_banks k JOIN blobs b ON b.id = k.bank_blob_id')
      .get() as Row;
    assert.equal(blob.kind, 'concept_bank');
    const { bank } = loadConceptBank(db, row.id);
    assert.deepEqual(bank, fakeBank());
    const second = saveConceptBank(db, {
      checkpointId: c.id,
      source: 'folders',
      parameters: {},
      bank: fakeBank(),
      analysis: null,
    });
    assert.equal(latestConceptBank(db, c.id)?.id, second.id);
    assert.deepEqual(
      listConceptBanks(db).map((b) => b.id),
      [row.id, second.id],
    );
    const ev = listEvents(db).filter((e) => e.kind === 'concept-bank.created');
    assert.equal(ev.length, 2);
    assert.equal(ev[0].checkpointId, c.id);
    assert.deepEqual(
      [ev[0].details.bankId, ev[0].details.concepts, ev[0].details.dropped, ev[0].details.pcbm],
      [row.id, ['stripes', 'dots'], ['noise'], { accuracy: 0.9, fidelity: 0.92 }],
    );
    assert.throws(() => db.prepare("UPDATE concept_banks SET source = 'magic' WHERE id = 1").run());
    assert.throws(() =>
      saveConceptBank(db, { ...second, checkpointId: 99, bank: fakeBank(), analysis: null }),
    );
    rejectsUser(() => loadConceptBank(db, 7), /no concept bank 7 in this project/);

    // Damage: the analysis edited behind the store's back, then a flipped byte in the bank blob.
    db.prepare("UPDATE concept_banks SET analysis = replace(analysis, '0.92', '0.99') WHERE id = ?").run(
      row.id,
    );
    rejectsUser(() => loadConceptBank(db, row.id), /concept bank 1 does not match its content hash/);
    db.prepare(
      'UPDATE blob_chunks SET data = zeroblob(length(data)) WHERE blob_id = (SELECT bank_blob_id FROM concept_banks WHERE id = ?)',
    ).run(second.id);
    rejectsUser(
      () => loadConceptBank(db, second.id),
      /the concepts of concept bank 2 does not match its sha256/,
    );
    p.close();
  });
});
