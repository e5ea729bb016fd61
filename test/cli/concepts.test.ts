import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { Rng } from '../../native/engine/random';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-concepts-'));

function ok(r: ReturnType<typeof run>, what: string): string {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The command fails with exactly one `error:` line matching `re`, and no stack trace. */
function fails(r: ReturnType<typeof run>, re: RegExp, what: string): void {
  assert.equal(r.status, 1, `${what}: ${r.stderr}`);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 1, `${what}: ${r.stderr}`);
  assert.match(errors[0], re, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

/** Writes `n` 28x28 grey PNGs of a bright bar (horizontal or vertical, at a random place) on noise. */
async function writeBars(dir: string, n: number, vertical: boolean, seed: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(28 * 28);
    for (let j = 0; j < px.length; j++) px[j] = Math.floor(rng.next() * 40);
    const at = 6 + Math.floor(rng.next() * 16);
    for (let t = 4; t < 24; t++) {
      for (let w = 0; w < 3; w++) px[vertical ? t * 28 + at + w : (at + w) * 28 + t] = 255;
    }
    await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(path.join(dir, `bar-${i}.png`));
  }
}

type Row = Record<string, unknown>;
interface TableRow {
  rank: number;
  concept: string;
  importance: number;
  specificity: number;
  shared: boolean;
  selected: boolean;
  pcbmWeight: number | null;
}

const inUnit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;

describe('concepts command', () => {
  it('builds concept banks by discovery and from folders, stores them, re-prints them; one-line errors', async () => {
    const dir = tmpDir();
    const p = path.join(dir, 'study.unlearn');
    ok(run('init', p), 'init');
    ok(run('import-dataset', p, '--mnist', '--limit', '400'), 'import-dataset');
    fails(
      run('concepts', p, '--discover', '--k', '4'),
      /this project has no model yet: run `train` or `import-model` first/,
      'no checkpoint',
    );
    ok(run('train', p, '--epochs', '1', '--arch', 'cnn-ref'), 'train');

    // Discovery on the project's training images, with the class table and the PNGs.
    const images = path.join(dir, 'discovered');
    const built = run('concepts', p, '--discover', '--k', '4', '--class', '3', '--json', '--images', images);
    const r = JSON.parse(ok(built, 'concepts --discover'));
    assert.match(built.stderr, /concept bank 1 stored/);
    assert.deepEqual(
      [r.bankId, r.checkpointId, r.datasetId, r.source, r.embeddingLayer],
      [1, 1, 1, 'nmf-discovery', 'embedding'],
    );
    assert.equal(r.concepts.length + r.dropped.length, 4);
    assert.ok(r.concepts.length > 0, 'some discovered concept is kept');
    for (const c of r.concepts) assert.ok(c.heldoutAccuracy >= 0.6 && c.heldoutAccuracy <= 1, c.name);
    for (const c of r.dropped) assert.ok(c.heldoutAccuracy < 0.6, c.name);
    assert.deepEqual([...r.concepts, ...r.dropped].map((c: Row) => c.name).sort(), [
      'nmf-1',
      'nmf-2',
      'nmf-3',
      'nmf-4',
    ]);
    for (const key of ['accuracy', 'modelAccuracy', 'fidelity', 'sparsity']) {
      assert.ok(inUnit(r.pcbm[key]), `pcbm.${key} = ${r.pcbm[key]}`);
    }
    assert.equal(r.pcbm.images, 80);
    assert.equal(r.parameters.k, 4);
    assert.equal(r.class.index, 3);
    assert.equal(r.class.name, '3');
    assert.ok(r.class.images > 0);
    const table = r.class.concepts as TableRow[];
    assert.equal(table.length, r.concepts.length);
    table.forEach((t, i) => {
      assert.equal(t.rank, i + 1);
      assert.equal(typeof t.concept, 'string');
      for (const v of [t.importance, t.specificity]) assert.ok(Number.isFinite(v));
      assert.equal(typeof t.shared, 'boolean');
      assert.equal(t.selected, r.class.selected.includes(t.concept));
      assert.ok(Number.isFinite(t.pcbmWeight));
      if (i > 0) assert.ok(table[i - 1].importance >= t.importance, 'ranked by importance');
    });
    assert.ok(r.class.selected.length <= 5);
    assert.ok(r.class.donor === null || (r.class.donor.index !== 3 && r.class.donor.index < 10));
    assert.ok(r.files.length > 0);
    for (const f of r.files) assert.ok(f.startsWith(images) && fs.existsSync(f), f);
    assert.ok(fs.existsSync(path.join(images, 'concepts.json')));

    // The stored row, read straight from the file.
    const db = new Database(p, { readonly: true });
    const row = db
      .prepare(
        'SELECT k.*, b.kind AS blob_kind, b.sha256 AS blob_sha FROM concept_banks k JOIN blobs b ON b.id = k.bank_blob_id',
      )
      .get() as Row;
    assert.deepEqual(
      [row.id, row.checkpoint_id, row.dataset_id, row.source, row.embedding_layer, row.blob_kind],
      [1, 1, 1, 'nmf-discovery', 'embedding', 'concept_bank'],
    );
    assert.deepEqual([row.num_concepts, row.num_dropped], [r.concepts.length, r.dropped.length]);
    assert.equal(row.content_hash, r.contentHash);
    const chunks = db
      .prepare('SELECT data FROM blob_chunks WHERE blob_id = ? ORDER BY seq')
      .all(row.bank_blob_id) as { data: Buffer }[];
    const bankBytes = Buffer.concat(chunks.map((c) => c.data));
    assert.equal(createHash('sha256').update(bankBytes).digest('hex'), row.blob_sha);
    const bank = JSON.parse(bankBytes.toString('utf8'));
    assert.equal(bank.format, 'unlearn-studio/concept-bank');
    assert.equal(bank.concepts[0].weights.length, bank.dim);
    const analysis = JSON.parse(String(row.analysis));
    assert.equal(analysis.importance.numClasses, 10);
    assert.equal(analysis.pcbm.weights.length, r.concepts.length * 10);
    assert.equal(analysis.pcbmReport.fidelity, r.pcbm.fidelity);
    db.close();

    // --show re-prints the stored table without building anything.
    const shown = JSON.parse(ok(run('concepts', p, '--show', '--class', '3', '--json'), 'concepts --show'));
    const { files: _files, ...withoutFiles } = r;
    assert.deepEqual(shown, withoutFiles);
    const text = ok(run('concepts', p, '--show', '--bank', '1', '--class', '3', '--top', '2'), 'show text');
    assert.match(text, /concept bank 1: \d concepts? by NMF discovery on checkpoint 1/);
    assert.match(text, /rank +concept +importance +specificity +shared +PCBM weight +selected/);
    assert.match(text, /donor class: /);
    assert.match(text, /selected \(at most 2 class-specific concepts\)/);

    // Concept folders written with sharp.
    const folders = path.join(dir, 'concepts');
    await writeBars(path.join(folders, 'hbar'), 12, false, 1);
    await writeBars(path.join(folders, 'vbar'), 12, true, 2);
    const f = JSON.parse(ok(run('concepts', p, '--folder', folders, '--json'), 'concepts --folder'));
    assert.deepEqual([f.bankId, f.source, f.class], [2, 'folders', undefined]);
    assert.deepEqual(
      [...f.concepts, ...f.dropped].map((c: Row) => c.name),
      ['hbar', 'vbar'],
    );
    assert.ok(f.concepts.length >= 1, 'bars are told apart from digits');
    assert.equal(f.parameters.folder, folders);
    assert.deepEqual(f.parameters.examples, { hbar: 12, vbar: 12 });

    // Errors: one line each, and nothing stored.
    const empty = path.join(dir, 'with-empty');
    await writeBars(path.join(empty, 'full'), 3, false, 3);
    fs.mkdirSync(path.join(empty, 'nothing'));
    const solo = path.join(dir, 'with-solo');
    await writeBars(path.join(solo, 'solo'), 1, true, 4);
    const cases: [string[], RegExp][] = [
      [['--folder', empty], /no images in concept folder: .*nothing/],
      [['--folder', solo], /concept 'solo' has only 1 image in .*: at least 2 are needed/],
      [['--discover', '--class', 'banana'], /unknown class 'banana' \(classes of 'mnist': 0, 1/],
      [['--show', '--class', '12'], /class index 12 is out of range/],
      [['--show', '--bank', '9'], /no concept bank 9 in this project/],
      [['--show', '--checkpoint', '5'], /no checkpoint 5 in this project/],
      [['--discover', '--show'], /give exactly one of --folder DIR, --discover or --show/],
      [['--folder', folders, '--k', '3'], /--k applies to --discover only/],
    ];
    for (const [args, re] of cases) fails(run('concepts', p, ...args), re, args.join(' '));

    // history lists the banks and their events.
    const h = JSON.parse(ok(run('history', p, '--json'), 'history'));
    assert.deepEqual(
      h.conceptBanks.map((b: Row) => [b.id, b.checkpointId, b.source]),
      [
        [1, 1, 'nmf-discovery'],
        [2, 1, 'folders'],
      ],
    );
    const events = h.events.filter((e: Row) => e.kind === 'concept-bank.created');
    assert.deepEqual(
      events.map((e: { checkpointId: number; details: Row }) => [e.checkpointId, e.details.bankId]),
      [
        [1, 1],
        [1, 2],
      ],
    );
    assert.equal(h.project.auditTrail.ok, true);
    assert.match(
      ok(run('history', p), 'history'),
      /concept-bank\.created +dataset 1, checkpoint 1, concept bank 2/,
    );
  });
});
