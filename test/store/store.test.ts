import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ImageDataset } from '../../native/data/types';
import { UserError } from '../../native/errors';
import {
  APP_ID,
  type ModelArtifacts,
  SCHEMA_VERSION,
  SQLITE_APPLICATION_ID,
  claimRun,
  createProject,
  createRequest,
  createRun,
  currentCheckpointId,
  getRun,
  listEvents,
  loadArtifacts,
  loadDataset,
  openProject,
  saveCheckpoint,
  saveDataset,
  setCurrentCheckpoint,
  verifyEventChain,
} from '../../native/store';
import { migrate } from '../../native/store/migrations';
import { endRun } from '../../native/store/runs';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-store-'));
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function tinyDataset(): ImageDataset {
  const split = (n: number, seed: number) => {
    const pixels = new Uint8Array(n * 16);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seed * 7) % 256;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    return { pixels, labels, size: n };
  };
  return {
    name: 'tiny',
    classNames: ['a', 'b', 'c'],
    shape: [4, 4, 1],
    train: split(300, 1),
    test: split(60, 2),
    heldout: split(30, 3),
  };
}

function fakeArtifacts(bytes = 5000): ModelArtifacts {
  return {
    topology: { class_name: 'Model', config: { layers: [] } },
    weightSpecs: [{ name: 'w', shape: [bytes / 4], dtype: 'float32' }],
    weights: new Uint8Array(randomBytes(bytes)),
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

describe('project file', () => {
  it('creates a versioned WAL project with the app marker and refuses to overwrite', () => {
    const file = path.join(tmpDir(), 'p.unlearn');
    const p = createProject(file);
    assert.equal(p.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(p.db.pragma('application_id', { simple: true }), SQLITE_APPLICATION_ID);
    assert.equal(p.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(p.db.pragma('foreign_keys', { simple: true }), 1);
    assert.deepEqual(p.db.prepare("SELECT value FROM meta WHERE key = 'app_id'").get(), { value: APP_ID });
    assert.deepEqual(
      listEvents(p.db).map((e) => e.kind),
      ['project.created'],
    );
    assert.deepEqual(migrate(p.db), [], 'migrating an up-to-date file does nothing');
    p.close();
    rejectsUser(() => createProject(file), /already exists/);
    const again = openProject(file);
    assert.equal(again.db.pragma('foreign_keys', { simple: true }), 1);
    again.close();
  });

  it('stores a dataset in chunks and reads it back identical, with its hash', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const ds = tinyDataset();
    const row = saveDataset(p.db, ds, { kind: 'test' }, 1000);
    assert.deepEqual(row.sizes, { train: 300, test: 60, heldout: 30 });
    const chunks = p.db.prepare('SELECT COUNT(*) AS n FROM blob_chunks').get() as { n: number };
    assert.ok(chunks.n > 6, `several chunks per blob (${chunks.n})`);
    const back = loadDataset(p.db, row.id);
    assert.deepEqual(back, ds);
    p.close();
  });

  it('reports a corrupted, truncated or missing dataset chunk as a one-line error naming it', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const row = saveDataset(p.db, tinyDataset(), { kind: 'test' }, 1000);
    const pixelsBlob = (
      p.db.prepare("SELECT pixels_blob_id AS id FROM dataset_splits WHERE split = 'train'").get() as {
        id: number;
      }
    ).id;
    const chunk = p.db
      .prepare('SELECT id, data FROM blob_chunks WHERE blob_id = ? AND seq = 1')
      .get(pixelsBlob) as {
      id: number;
      data: Buffer;
    };
    const flipped = Buffer.from(chunk.data);
    flipped[10] ^= 0xff;
    p.db.prepare('UPDATE blob_chunks SET data = ? WHERE id = ?').run(flipped, chunk.id);
    rejectsUser(() => loadDataset(p.db, row.id), /train images of dataset 1 does not match its sha256/);
    p.db.prepare('UPDATE blob_chunks SET data = ? WHERE id = ?').run(chunk.data.subarray(0, 100), chunk.id);
    rejectsUser(() => loadDataset(p.db, row.id), /missing chunk|truncated/);
    p.db.prepare('UPDATE blob_chunks SET data = ? WHERE id = ?').run(chunk.data, chunk.id);
    loadDataset(p.db, row.id);
    p.db.prepare('DELETE FROM blob_chunks WHERE id = ?').run(chunk.id);
    rejectsUser(() => loadDataset(p.db, row.id), /train images of dataset 1 has a missing chunk \(1\)/);
    p.close();
  });

  it('stores checkpoints with lineage, a current pointer and verified weights', () => {
    const p = createProject(path.join(tmpDir(), 'p.unlearn'));
    const ds = saveDataset(p.db, tinyDataset(), { kind: 'test' });
    const a = fakeArtifacts(6 * 1024 * 1024); // more than one 4 MiB chunk
    const c1 = saveCheckpoint(p.db, a, {
      datasetId: ds.id,
      kind: 'trained',
      label: 'original',
      embeddingLayer: 'embedding',
      makeCurrent: true,
    });
    assert.equal(currentCheckpointId(p.db), c1.id);
    assert.equal(c1.isCurrent, true);
    assert.equal(c1.weightsBytes, a.weights.byteLength);
    const back = loadArtifacts(p.db, c1.id);
    assert.deepEqual(Buffer.from(back.weights), Buffer.from(a.weights));
    assert.deepEqual(back.topology, a.topology);
    const c2 = saveCheckpoint(p.db, fakeArtifacts(), {
      datasetId: ds.id,
      parentId: c1.id,
      kind: 'unlearned',
      label: 'child',
      embeddingLayer: 'embedding',
      makeCurrent: false,
    });
    assert.equal(c2.parentId, c1.id);
    assert.equal(currentCheckpointId(p.db), c1.id);
    setCurrentCheckpoint(p.db, c2.id, 'checkpoint.current');
    assert.equal(currentCheckpointId(p.db), c2.id);

    // A truncated weights blob, then a topology edited behind the store's back.
    const blobId = (
      p.db.prepare('SELECT weights_blob_id AS id FROM checkpoints WHERE id = ?').get(c1.id) as { id: number }
    ).id;
    p.db
      .prepare('UPDATE blob_chunks SET data = substr(data, 1, 1000) WHERE blob_id = ? AND seq = 1')
      .run(blobId);
    rejectsUser(() => loadArtifacts(p.db, c1.id), /weights of checkpoint 1 is truncated/);
    p.db.prepare("UPDATE checkpoints SET topology = '{}' WHERE id = ?").run(c2.id);
    rejectsUser(() => loadArtifacts(p.db, c2.id), /checkpoint 2 does not match its content hash/);
    p.close();
  });

  it('keeps the events append-only and hash-chained', () => {
    const file = path.join(tmpDir(), 'p.unlearn');
    const p = createProject(file);
    saveDataset(p.db, tinyDataset(), { kind: 'test' });
    assert.throws(() => p.db.prepare("UPDATE events SET kind = 'x'").run(), /append-only/);
    assert.throws(() => p.db.prepare('DELETE FROM events').run(), /append-only/);
    assert.deepEqual(verifyEventChain(p.db), { ok: true, count: 2 });
    // Someone with another SQLite tool drops the trigger and edits the trail: the chain shows it.
    p.db.exec('DROP TRIGGER events_no_update');
    p.db.prepare("UPDATE events SET actor = 'mallory' WHERE id = 2").run();
    assert.deepEqual(verifyEventChain(p.db), { ok: false, count: 2, firstBadId: 2 });
    p.close();
  });

  it('runs a run through its life cycle and recovers runs whose worker is gone on open', () => {
    const file = path.join(tmpDir(), 'p.unlearn');
    const p = createProject(file);
    const ds = saveDataset(p.db, tinyDataset(), { kind: 'test' });
    const req = createRequest(p.db, { requester: 'x', datasetId: ds.id, classIndex: 1, className: 'b' });
    rejectsUser(
      () => createRun(p.db, { requestId: req.id, method: 'finetune', parameters: {}, seed: 1 }),
      /no model yet/,
    );
    const c = saveCheckpoint(p.db, fakeArtifacts(), {
      datasetId: ds.id,
      kind: 'trained',
      label: 'o',
      embeddingLayer: 'e',
      makeCurrent: true,
    });
    const run = createRun(p.db, {
      requestId: req.id,
      method: 'finetune',
      parameters: { epochs: 1 },
      seed: 1,
    });
    assert.equal(run.status, 'queued');
    assert.equal(run.inputCheckpointId, c.id);
    assert.equal(run.forgetClass, 1);
    // A worker that no longer exists claimed it.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    claimRun(p.db, run.id, dead);
    rejectsUser(() => claimRun(p.db, run.id, dead), /already running/);
    assert.equal(endRun(p.db, run.id, dead + 1, 'failed', 'not the owner'), false);
    p.close();

    const reopened = openProject(file);
    assert.deepEqual(reopened.recovered, [run.id]);
    const after = getRun(reopened.db, run.id);
    assert.equal(after.status, 'interrupted');
    assert.match(after.error ?? '', /was gone/);
    assert.deepEqual(
      listEvents(reopened.db, { runId: run.id }).map((e) => e.kind),
      ['run.created', 'run.started', 'run.interrupted'],
    );
    // It can be started again.
    assert.equal(claimRun(reopened.db, run.id, process.pid).attempts, 2);
    reopened.close();
  });

  it('refuses, read-only and without changing a byte, files that are not projects it can open', () => {
    const dir = tmpDir();
    const random = path.join(dir, 'random.bin');
    fs.writeFileSync(random, randomBytes(8192));
    const empty = path.join(dir, 'empty.unlearn');
    fs.writeFileSync(empty, '');
    const other = path.join(dir, 'other.sqlite');
    const o = new Database(other);
    o.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES (1);');
    o.close();
    const newer = path.join(dir, 'newer.unlearn');
    createProject(newer).close();
    const n = new Database(newer);
    n.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    n.close();
    const cases: [string, RegExp][] = [
      [random, /random\.bin is not an Unlearn Studio project \(not a SQLite database\)/],
      [empty, /is not an Unlearn Studio project \(the file is empty\)/],
      [other, /other\.sqlite is not an Unlearn Studio project \(a SQLite database of another application\)/],
      [
        newer,
        new RegExp(
          `written by a newer version of Unlearn Studio \\(project schema ${SCHEMA_VERSION + 1}, this version reads up to ${SCHEMA_VERSION}\\)`,
        ),
      ],
      [path.join(dir, 'missing.unlearn'), /project file not found/],
    ];
    for (const [file, re] of cases) {
      const before = fs.existsSync(file) ? sha(file) : null;
      rejectsUser(() => openProject(file), re);
      rejectsUser(() => openProject(file, { readonly: true }), re);
      assert.equal(fs.existsSync(file) ? sha(file) : null, before, `${file} unchanged`);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      'empty.unlearn',
      'newer.unlearn',
      'other.sqlite',
      'random.bin',
    ]);
  });
});
