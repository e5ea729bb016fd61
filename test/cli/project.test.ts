import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, createProject, saveCheckpoint, saveDataset } from '../../native/store';
import { barsDataset } from '../helpers/tinyData';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-project-'));
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function ok(r: ReturnType<typeof run>, what: string): string {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r.stdout.trim();
}

type Row = Record<string, unknown>;

describe('project commands', () => {
  it('init, import, train, request, run, history, verify, certificate, export and rollback on a fresh project', () => {
    const dir = tmpDir();
    const p = path.join(dir, 'study.unlearn');
    ok(run('init', p), 'init');
    assert.equal(ok(run('import-dataset', p, '--mnist', '--limit', '600'), 'import-dataset'), '1');
    assert.equal(ok(run('train', p, '--epochs', '1', '--arch', 'cnn-ref'), 'train'), '1');
    assert.equal(ok(run('request', p, '--class', '3', '--requester', 'Data Subject <42>'), 'request'), '1');
    const r = run('run', p, '--request', '1');
    assert.equal(ok(r, 'run'), '1');
    assert.match(r.stderr, /run 1 succeeded .* checkpoint 2 is now current and honours request 1/);

    // The rows, read straight from the file.
    const db = new Database(p, { readonly: true });
    const one = (sql: string) => db.prepare(sql).get() as Row;
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const ds = one('SELECT * FROM datasets');
    assert.equal(ds.name, 'mnist');
    assert.equal(JSON.parse(String(ds.class_names)).length, 10);
    assert.deepEqual([ds.height, ds.width, ds.channels], [28, 28, 1]);
    assert.match(String(ds.content_hash), /^[0-9a-f]{64}$/);
    assert.deepEqual(db.prepare('SELECT split, size FROM dataset_splits ORDER BY split').all(), [
      { split: 'heldout', size: 120 },
      { split: 'test', size: 120 },
      { split: 'train', size: 600 },
    ]);
    const cks = db.prepare('SELECT * FROM checkpoints ORDER BY id').all() as Row[];
    assert.equal(cks.length, 2);
    assert.equal(cks[0].kind, 'trained');
    assert.equal(JSON.parse(String(cks[0].recipe)).arch, 'cnn-ref');
    assert.equal(JSON.parse(String(cks[0].recipe)).epochs, 1);
    assert.equal(cks[0].embedding_layer, 'embedding');
    assert.deepEqual([cks[1].kind, cks[1].parent_id, cks[1].run_id], ['unlearned', 1, 1]);
    assert.equal(one('SELECT checkpoint_id FROM current_checkpoint').checkpoint_id, 2);
    const req = one('SELECT * FROM deletion_requests');
    assert.deepEqual(
      [req.requester, req.class_index, req.class_name, req.status, req.honoured_by_run_id],
      ['Data Subject <42>', 3, '3', 'honoured', 1],
    );
    const runRow = one('SELECT * FROM runs');
    assert.deepEqual(
      [
        runRow.method,
        runRow.status,
        runRow.input_checkpoint_id,
        runRow.output_checkpoint_id,
        runRow.attempts,
      ],
      ['random_label', 'succeeded', 1, 2, 1],
    );
    assert.equal(typeof JSON.parse(String(runRow.parameters)).lr, 'number');
    const metrics = JSON.parse(String(runRow.metrics));
    assert.ok(metrics.forget_test_acc >= 0 && metrics.forget_test_acc <= 1);
    assert.equal(metrics.per_class_test_acc.length, 10);
    assert.ok(String(runRow.started_at) <= String(runRow.finished_at));
    assert.deepEqual(
      (db.prepare('SELECT kind FROM events ORDER BY id').all() as Row[]).map((e) => e.kind),
      [
        'project.created',
        'dataset.imported',
        'checkpoint.created',
        'checkpoint.current',
        'request.created',
        'run.created',
        'run.started',
        'checkpoint.created',
        'run.succeeded',
        'request.honoured',
        'checkpoint.current',
      ],
    );
    const hashes = (db.prepare('SELECT content_hash FROM checkpoints ORDER BY id').all() as Row[]).map(
      (c) => c.content_hash as string,
    );
    const weightsSha = one(
      'SELECT b.sha256 FROM checkpoints c JOIN blobs b ON b.id = c.weights_blob_id WHERE c.id = 2',
    ).sha256 as string;
    db.close();

    // history --json
    const h = JSON.parse(ok(run('history', p, '--json'), 'history'));
    assert.equal(h.project.currentCheckpointId, 2);
    assert.equal(h.project.auditTrail.ok, true);
    assert.deepEqual(
      h.checkpoints.map((c: Row) => [c.id, c.isCurrent]),
      [
        [1, false],
        [2, true],
      ],
    );
    assert.equal(h.requests[0].status, 'honoured');
    assert.equal(h.runs[0].status, 'succeeded');
    assert.equal(h.events.length, 11);
    assert.match(ok(run('history', p), 'history'), /\* 2 {2}unlearned parent 1/);

    // verify recomputes the stored metrics exactly
    const v = JSON.parse(ok(run('verify', p, '--json'), 'verify'));
    assert.equal(v.ok, true);
    assert.deepEqual(v.file.integrity, ['ok']);
    assert.equal(v.checkpoint.id, 2);
    assert.equal(v.forgetClass, 3);
    assert.deepEqual(
      v.comparisons.map((c: Row) => [c.runId, c.as, c.matches]),
      [[1, 'output', true]],
    );

    // certificate
    const html = path.join(dir, 'certificate.html');
    ok(run('certificate', p, '--run', '1', '--out', html), 'certificate');
    const page = fs.readFileSync(html, 'utf8');
    for (const needle of [
      '<!DOCTYPE html>',
      'Data Subject &lt;42&gt;',
      '“3”',
      'random_label',
      hashes[0],
      hashes[1],
      '<svg',
      'Accuracy by class',
      'hash chain is <span class="ok">intact',
    ]) {
      assert.ok(page.includes(needle), `certificate contains ${needle}`);
    }
    assert.ok(!page.includes('Data Subject <42>'), 'user text is escaped');
    for (const external of ['<script', ' src=', '<link', 'url(', '@import', 'href=']) {
      assert.ok(!page.includes(external), `no external resource (${external})`);
    }
    const cert = JSON.parse(fs.readFileSync(path.join(dir, 'certificate.json'), 'utf8'));
    assert.equal(cert.kind, 'unlearn-studio-certificate');
    assert.equal(cert.request.requester, 'Data Subject <42>');
    assert.equal(cert.dataset.contentHash, ds.content_hash);
    assert.deepEqual([cert.before.contentHash, cert.after.contentHash], hashes);
    assert.equal(cert.run.method, 'random_label');
    assert.equal(cert.run.honoursRequest, true);
    assert.equal(cert.after.metrics.forget_test_acc, metrics.forget_test_acc);
    assert.equal(typeof cert.before.metrics.forget_test_acc, 'number');
    assert.equal(cert.retrain, null);
    assert.ok(page.includes(cert.run.finishedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')));

    // export-model writes the stored bytes
    const out = path.join(dir, 'exported');
    ok(run('export-model', p, '--checkpoint', '2', '--out', out), 'export-model');
    assert.equal(sha(path.join(out, 'weights.bin')), weightsSha);
    const modelJson = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    assert.equal(modelJson.userDefinedMetadata.unlearnStudio.contentHash, hashes[1]);

    // rollback: deletes nothing, logs an event, warns that request 1 is undone
    const rb = run('rollback', p, '--checkpoint', '1');
    ok(rb, 'rollback');
    assert.match(rb.stderr, /current checkpoint: 2 → 1/);
    assert.match(rb.stderr, /warning: checkpoint 1 was not unlearned for deletion request 1/);
    const after = JSON.parse(ok(run('history', p, '--json'), 'history'));
    assert.equal(after.project.currentCheckpointId, 1);
    assert.equal(after.checkpoints.length, 2);
    const last = after.events[after.events.length - 1];
    assert.equal(last.kind, 'checkpoint.rollback');
    assert.deepEqual([last.details.from, last.details.to, last.details.undoesRequests], [2, 1, [1]]);
  });

  it('bad input: one-line errors, and the file is left byte for byte as it was', () => {
    const dir = tmpDir();
    const random = path.join(dir, 'random.unlearn');
    fs.writeFileSync(random, randomBytes(4096));
    const other = path.join(dir, 'other.sqlite');
    const o = new Database(other);
    o.exec(
      'CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (9.5);',
    );
    o.close();
    const newer = path.join(dir, 'newer.unlearn');
    createProject(newer).close();
    const n = new Database(newer);
    n.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    n.close();
    // A project whose weights blob is damaged (one flipped byte), and another whose blob is truncated.
    const damaged = path.join(dir, 'damaged.unlearn');
    const truncated = path.join(dir, 'truncated.unlearn');
    for (const file of [damaged, truncated]) {
      const p = createProject(file);
      const ds = saveDataset(p.db, barsDataset(), { kind: 'bars' });
      saveCheckpoint(
        p.db,
        { topology: {}, weightSpecs: [], weights: new Uint8Array(randomBytes(2048)) },
        { datasetId: ds.id, kind: 'imported', label: 'x', embeddingLayer: 'e', makeCurrent: true },
      );
      const sql =
        file === damaged
          ? 'UPDATE blob_chunks SET data = zeroblob(2048) WHERE blob_id = (SELECT weights_blob_id FROM checkpoints WHERE id = 1)'
          : 'UPDATE blob_chunks SET data = substr(data, 1, 1000) WHERE blob_id = (SELECT weights_blob_id FROM checkpoints WHERE id = 1)';
      p.db.prepare(sql).run();
      p.close();
    }
    const exportDir = path.join(os.tmpdir(), `unlearn-never-${process.pid}`);
    const cases: [string, string[], RegExp][] = [
      [
        random,
        ['history', random],
        /random\.unlearn is not an Unlearn Studio project \(not a SQLite database\)/,
      ],
      [
        other,
        ['history', other],
        /other\.sqlite is not an Unlearn Studio project \(a SQLite database of another application\)/,
      ],
      [
        newer,
        ['history', newer],
        new RegExp(
          `newer\\.unlearn was written by a newer version of Unlearn Studio \\(project schema ${SCHEMA_VERSION + 1}`,
        ),
      ],
      [newer, ['run', newer, '--request', '1'], /written by a newer version/],
      [
        damaged,
        ['export-model', damaged, '--checkpoint', '1', '--out', exportDir],
        /the project file is damaged: the weights of checkpoint 1 does not match its sha256/,
      ],
      [
        truncated,
        ['export-model', truncated, '--out', exportDir],
        /the weights of checkpoint 1 is truncated \(1000 of 2048 bytes\)/,
      ],
      [
        damaged,
        ['request', damaged, '--class', 'banana'],
        /unknown class 'banana' \(classes of 'bars': bar0, bar1, bar2, bar3\)/,
      ],
      [damaged, ['run', damaged, '--request', '5'], /no deletion request 5 in this project/],
      [damaged, ['run', damaged, '--request', '1', '--method', 'magic'], /unknown method 'magic'/],
      [damaged, ['rollback', damaged, '--checkpoint', '9'], /no checkpoint 9 in this project/],
      [
        damaged,
        ['certificate', damaged, '--run', '1', '--out', path.join(dir, 'c.html')],
        /no run 1 in this project/,
      ],
    ];
    const before = new Map([random, other, newer, damaged, truncated].map((f) => [f, sha(f)]));
    for (const [file, args, re] of cases) {
      const r = run(...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      assert.equal(errorLines.length, 1, r.stderr);
      assert.match(errorLines[0], re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(sha(file), before.get(file), `${args.join(' ')} left ${file} unchanged`);
    }
    assert.ok(!fs.existsSync(exportDir), 'nothing exported from a damaged checkpoint');
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      ['damaged.unlearn', 'newer.unlearn', 'other.sqlite', 'random.unlearn', 'truncated.unlearn'],
      'no -wal or -shm file left behind',
    );
    const missing = run('history', path.join(dir, 'nope.unlearn'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /error: project file not found/);
  });
});
