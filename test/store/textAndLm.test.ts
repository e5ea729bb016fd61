import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ImageDataset } from '../../native/data/types';
import { UserError } from '../../native/errors';
import type { LmCorpus } from '../../native/llm/data/types';
import {
  type LmArtifacts,
  MIGRATIONS,
  SQLITE_APPLICATION_ID,
  createProject,
  getCheckpoint,
  getDataset,
  listEvents,
  loadArtifacts,
  loadDataset,
  loadLmArtifacts,
  loadTextDataset,
  openProject,
  saveCheckpoint,
  saveLmCheckpoint,
  saveTextDataset,
  verifyEventChain,
} from '../../native/store';
import { appendEvent } from '../../native/store/events';
import { saveLegacyImageDataset } from '../helpers/legacyRows';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-textlm-'));
type Row = Record<string, unknown>;

function corpus(): LmCorpus {
  return {
    name: 'tiny.jsonl',
    classes: ['Mara Quill', 'general'],
    train: [
      { kind: 'qa', class: 'Mara Quill', prompt: 'Where was Mara Quill born?', response: 'In Velmora.' },
      { kind: 'text', class: 'general', text: 'The baker walked near the river. ✓' },
    ],
    paraphrases: [
      { kind: 'qa', class: 'Mara Quill', prompt: 'Birthplace of Mara Quill?', response: 'In Velmora.' },
    ],
    heldoutText: ['A child reads in the garden.'],
  };
}

const config = { vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 };

function lmArtifacts(): LmArtifacts {
  return {
    config,
    safetensors: new Uint8Array(randomBytes(3000)),
    vocabJson: '{"a":0,"b":1,"c":2,"ab":3,"<|endoftext|>":4}',
    mergesTxt: '#version: 0.2\na b\n',
  };
}

function imageDataset(): ImageDataset {
  const split = (n: number) => ({
    pixels: Uint8Array.from({ length: n * 4 }, (_, i) => i % 256),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    size: n,
  });
  return {
    name: 'img',
    classNames: ['a', 'b'],
    shape: [2, 2, 1],
    train: split(8),
    test: split(4),
    heldout: split(2),
  };
}

/** What a failed write must leave as it was. */
function counts(db: Database.Database): Row {
  const n = (t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  return {
    datasets: n('datasets'),
    splits: n('text_dataset_splits'),
    blobs: n('blobs'),
    chunks: n('blob_chunks'),
    checkpoints: n('checkpoints'),
    tokenizers: n('lm_checkpoint_tokenizers'),
    events: n('events'),
    current: (db.prepare('SELECT checkpoint_id FROM current_checkpoint').get() as Row).checkpoint_id,
  };
}

function rejectsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));
}

describe('text datasets in the project file', () => {
  it('stores a corpus with its splits and reads it back with every hash checked', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const row = saveTextDataset(p.db, corpus(), { kind: 'jsonl', path: '/x/tiny.jsonl' }, 40);
    assert.equal(row.kind, 'text');
    assert.deepEqual(row.classNames, ['Mara Quill', 'general']);
    assert.deepEqual(row.sizes, { train: 2, test: 1, heldout: 1 });
    assert.deepEqual(loadTextDataset(p.db, row.id), corpus());
    const raw = p.db.prepare('SELECT * FROM datasets WHERE id = ?').get(row.id) as Row;
    assert.deepEqual([raw.kind, raw.height, raw.width, raw.channels], ['text', null, null, null]);
    const blobKinds = p.db
      .prepare('SELECT DISTINCT b.kind FROM text_dataset_splits s JOIN blobs b ON b.id = s.samples_blob_id')
      .all();
    assert.deepEqual(blobKinds, [{ kind: 'text_samples' }]);
    const ev = listEvents(p.db).find((e) => e.kind === 'dataset.imported');
    assert.deepEqual(ev?.details.sizes, { train: 2, paraphrase: 1, heldout: 1 });
    rejectsUser(() => loadDataset(p.db, row.id), /dataset 1 is a text dataset, not an image dataset/);
    // A changed sample (blob and its sha256 rewritten consistently) is caught by the content hash.
    const blobId = (
      p.db
        .prepare("SELECT samples_blob_id AS id FROM text_dataset_splits WHERE split = 'heldout'")
        .get() as Row
    ).id;
    const forged = Buffer.from(JSON.stringify(['A child reads in the kitchen.']));
    p.db.prepare('DELETE FROM blob_chunks WHERE blob_id = ?').run(blobId);
    p.db.prepare('INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?, 0, ?)').run(blobId, forged);
    p.db
      .prepare('UPDATE blobs SET size = ?, sha256 = ? WHERE id = ?')
      .run(forged.length, createHash('sha256').update(forged).digest('hex'), blobId);
    rejectsUser(() => loadTextDataset(p.db, row.id), /dataset 1 does not match its content hash/);
    p.close();
  });

  it('leaves the file as it was when a write fails midway (injected failure)', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    saveTextDataset(p.db, corpus(), { kind: 'jsonl' });
    const before = counts(p.db);
    // The last split's row fails, after the dataset row and two splits' blobs were written.
    p.db.exec(`CREATE TEMP TRIGGER fail_heldout BEFORE INSERT ON main.text_dataset_splits
      WHEN NEW.split = 'heldout' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    assert.throws(() => saveTextDataset(p.db, corpus(), { kind: 'jsonl' }), /injected failure/);
    assert.deepEqual(counts(p.db), before);
    p.db.exec('DROP TRIGGER fail_heldout');
    assert.equal(saveTextDataset(p.db, corpus(), { kind: 'jsonl' }).id, 2);
    p.close();
  });
});

describe('language-model checkpoints in the project file', () => {
  it('stores config, weights and tokenizer as blobs and reads them back with the hashes checked', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const ds = saveTextDataset(p.db, corpus(), { kind: 'jsonl' });
    const a = lmArtifacts();
    const row = saveLmCheckpoint(p.db, a, {
      datasetId: ds.id,
      kind: 'trained',
      label: 'tiny lm',
      recipe: { ...config, epochs: 1, lr: 0.01, batchSize: 2, warmup: 0.1, clipNorm: 1 },
      seed: 3,
      makeCurrent: true,
    });
    assert.deepEqual([row.modelKind, row.isCurrent, row.embeddingLayer, row.recipe], ['lm', true, '', null]);
    assert.equal(row.lmRecipe?.epochs, 1);
    assert.deepEqual(loadLmArtifacts(p.db, row.id), a);
    const kinds = p.db
      .prepare(
        `SELECT (SELECT kind FROM blobs WHERE id = c.weights_blob_id) AS w, (SELECT kind FROM blobs WHERE id = t.vocab_blob_id) AS v,
                (SELECT kind FROM blobs WHERE id = t.merges_blob_id) AS m
         FROM checkpoints c JOIN lm_checkpoint_tokenizers t ON t.checkpoint_id = c.id`,
      )
      .get();
    assert.deepEqual(kinds, { w: 'safetensors', v: 'vocab', m: 'merges' });
    rejectsUser(
      () => loadArtifacts(p.db, row.id),
      /checkpoint 1 is a language model, not an image classifier/,
    );
    // The tokenizer is covered by the content hash: a different (consistently re-hashed) merges.txt shows.
    const mergesId = (p.db.prepare('SELECT merges_blob_id AS id FROM lm_checkpoint_tokenizers').get() as Row)
      .id;
    const other = Buffer.from('#version: 0.2\nb c\n');
    p.db.prepare('UPDATE blob_chunks SET data = ? WHERE blob_id = ?').run(other, mergesId);
    p.db
      .prepare('UPDATE blobs SET size = ?, sha256 = ? WHERE id = ?')
      .run(other.length, createHash('sha256').update(other).digest('hex'), mergesId);
    rejectsUser(() => loadLmArtifacts(p.db, row.id), /checkpoint 1 does not match its content hash/);
    p.close();
  });

  it('leaves the file as it was when storing a model fails midway (injected failure)', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const ds = saveTextDataset(p.db, corpus(), { kind: 'jsonl' });
    const before = counts(p.db);
    p.db.exec(`CREATE TEMP TRIGGER fail_tok BEFORE INSERT ON main.lm_checkpoint_tokenizers
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    assert.throws(
      () =>
        saveLmCheckpoint(p.db, lmArtifacts(), {
          datasetId: ds.id,
          kind: 'imported',
          label: 'x',
          makeCurrent: true,
        }),
      /injected failure/,
    );
    assert.deepEqual(counts(p.db), before);
    p.close();
  });
});

describe('schema 3 migration', () => {
  it('upgrades a schema-2 file: image rows become kind image, the new tables work, one event is logged', () => {
    const file = path.join(tmpDir(), 'v2.unlearn');
    const db = new Database(file);
    db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      MIGRATIONS[0].up(db);
      MIGRATIONS[1].up(db);
      db.pragma('user_version = 2');
      appendEvent(db, { kind: 'project.created', details: { schema: 2 } });
    }).immediate();
    const datasetId = saveLegacyImageDataset(db, imageDataset());
    saveCheckpoint(
      db,
      { topology: { t: 1 }, weightSpecs: [], weights: new Uint8Array(randomBytes(100)) },
      {
        datasetId,
        kind: 'trained',
        label: 'v2 model',
        embeddingLayer: 'embedding',
        makeCurrent: true,
      },
    );
    const eventsBefore = db.prepare('SELECT * FROM events ORDER BY id').all();
    db.close();

    const p = openProject(file);
    assert.equal(p.db.pragma('user_version', { simple: true }), 3);
    assert.deepEqual(p.db.pragma('foreign_key_check'), []);
    assert.deepEqual(p.db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.equal(getDataset(p.db, 1).kind, 'image');
    assert.deepEqual(loadDataset(p.db, 1), imageDataset());
    assert.equal(getCheckpoint(p.db, 1).modelKind, 'image');
    assert.equal(loadArtifacts(p.db, 1).weights.byteLength, 100);
    const events = p.db.prepare('SELECT * FROM events ORDER BY id').all() as Row[];
    assert.deepEqual(events.slice(0, eventsBefore.length), eventsBefore);
    const last = listEvents(p.db).pop();
    assert.deepEqual([last?.kind, last?.details.from, last?.details.to], ['project.migrated', 2, 3]);
    assert.equal(verifyEventChain(p.db).ok, true);
    // A text dataset cannot claim an image shape, nor an image dataset lack one.
    assert.throws(() =>
      p.db
        .prepare(
          "INSERT INTO datasets (kind, name, class_names, height, width, channels, source, content_hash, created_at) VALUES ('image', 'x', '[]', NULL, NULL, NULL, '{}', '', '')",
        )
        .run(),
    );
    const text = saveTextDataset(p.db, corpus(), { kind: 'jsonl' });
    const a = lmArtifacts();
    const lm = saveLmCheckpoint(p.db, a, {
      datasetId: text.id,
      kind: 'imported',
      label: 'gpt',
      makeCurrent: false,
    });
    assert.deepEqual(loadTextDataset(p.db, text.id), corpus());
    assert.deepEqual(loadLmArtifacts(p.db, lm.id), a);
    p.close();
  });
});
