import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { initBackend } from '../../native/engine/backend/select';
import { loadGpt2Checkpoint } from '../../native/llm/checkpoint/gpt2Directory';
import { gptToSafetensors } from '../../native/llm/checkpoint/gptSafetensors';
import { readSafetensors } from '../../native/llm/checkpoint/safetensors';
import { createProject, createRequest, loadLmArtifacts, openProject, saveDataset } from '../../native/store';
import { barsDataset } from '../helpers/tinyData';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-llm-project-'));

function ok(r: ReturnType<typeof run>, what: string): string {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The command failed with exit code 1 and one `error:` line matching `re`. */
function fails(r: ReturnType<typeof run>, re: RegExp): void {
  assert.equal(r.status, 1, `expected a user error, got ${r.status}: ${r.stdout} ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  const last = lines[lines.length - 1];
  assert.match(last, /^error: /);
  assert.match(last, re);
}

type Row = Record<string, unknown>;

/** A tiny built-in facts corpus (2 entities, 2 facts each) and a 1-layer, 16-wide GPT trained on it. */
const TINY_IMPORT = ['--builtin', 'facts', '--seed', '2', '--quick', '--entities', '2', '--facts', '2'];
const TINY_TRAIN = ['--epochs', '3', '--n-embd', '16', '--n-layer', '1', '--n-head', '2'];
const TINY_TRAIN2 = ['--vocab-size', '300', '--batch-size', '8', '--n-positions', '48'];

function tinyLmProject(dir: string): string {
  const p = path.join(dir, 'lm.unlearn');
  ok(run('init', p), 'init');
  assert.equal(ok(run('import-dataset', p, ...TINY_IMPORT), 'import-dataset'), '1');
  assert.equal(ok(run('train', p, ...TINY_TRAIN, ...TINY_TRAIN2), 'train'), '1');
  return p;
}

describe('language models through the project commands', () => {
  before(async () => {
    await initBackend();
  });

  it('init → import built-in facts → train → request → run idk → certificate → export → reload', async () => {
    const dir = tmpDir();
    const p = tinyLmProject(dir);
    const db = new Database(p, { readonly: true });
    const one = (sql: string) => db.prepare(sql).get() as Row;
    const ds = one('SELECT * FROM datasets');
    assert.deepEqual([ds.kind, ds.name, ds.height], ['text', 'facts', null]);
    const classes = JSON.parse(String(ds.class_names)) as string[];
    assert.equal(classes.length, 3, 'two entities and the generic class');
    const splits = db.prepare('SELECT split, size FROM text_dataset_splits ORDER BY split').all();
    assert.deepEqual(splits, [
      { split: 'heldout', size: 12 },
      { split: 'paraphrase', size: 4 },
      { split: 'train', size: 2 * 2 * 2 + 30 },
    ]);
    const trained = one('SELECT * FROM checkpoints WHERE id = 1');
    assert.deepEqual([trained.kind, trained.model_kind], ['trained', 'lm']);
    assert.deepEqual(JSON.parse(String(trained.topology)), {
      vocabSize: 300,
      nPositions: 48,
      nEmbd: 16,
      nLayer: 1,
      nHead: 2,
      layerNormEpsilon: 1e-5,
    });
    assert.equal(JSON.parse(String(trained.recipe)).epochs, 3);
    db.close();

    // The request names the entity with another case; the run unlearns it with idk.
    const entity = classes[1];
    assert.equal(ok(run('request', p, '--class', entity.toUpperCase()), 'request'), '1');
    const r = run('run', p, '--request', '1', '--method', 'idk', '--set', 'stop_at=-1', '--set', 'epochs=2');
    assert.equal(ok(r, 'run'), '1');
    assert.match(
      r.stderr,
      /run 1 succeeded .* checkpoint 2 is now current and honours request 1; forget term rate/,
    );

    const db2 = new Database(p, { readonly: true });
    const runRow = db2.prepare('SELECT * FROM runs WHERE id = 1').get() as Row;
    assert.deepEqual([runRow.status, runRow.method, runRow.forget_class], ['succeeded', 'idk', 1]);
    assert.equal(JSON.parse(String(runRow.parameters)).stop_at, -1);
    const metrics = JSON.parse(String(runRow.metrics)) as Record<string, number | null>;
    const baseline = JSON.parse(String(runRow.baseline_metrics)) as Record<string, number | null>;
    for (const m of [metrics, baseline]) {
      for (const k of ['forget_term_rate', 'forget_answer_rouge_l', 'retain_answer_rouge_l', 'mia_auc']) {
        const v = m[k];
        assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${k} = ${v}`);
      }
      assert.ok(typeof m.heldout_perplexity === 'number' && m.heldout_perplexity > 1);
    }
    assert.ok(typeof metrics.seconds === 'number' && metrics.seconds > 0);
    const out = db2.prepare('SELECT * FROM checkpoints WHERE id = 2').get() as Row;
    assert.deepEqual([out.kind, out.model_kind, out.parent_id, out.run_id], ['unlearned', 'lm', 1, 1]);
    assert.equal((db2.prepare('SELECT checkpoint_id FROM current_checkpoint').get() as Row).checkpoint_id, 2);
    const hashes = db2
      .prepare('SELECT b.sha256 FROM checkpoints c JOIN blobs b ON b.id = c.weights_blob_id')
      .all();
    assert.notDeepEqual(hashes[0], hashes[1], 'two epochs of idk changed the weights');
    assert.equal(
      (db2.prepare('SELECT status, honoured_by_run_id FROM deletion_requests').get() as Row)
        .honoured_by_run_id,
      1,
    );
    db2.close();

    assert.match(
      ok(run('history', p), 'history'),
      /1 {2}request 1 {2}idk +succeeded +checkpoint 1 → 2 {2}forget-terms \d+\.\d+% retain-rougeL \d\.\d{3}/,
    );

    // The certificate: the image certificate's format, with the LLM metrics.
    const cert = path.join(dir, 'cert.html');
    ok(run('certificate', p, '--run', '1', '--out', cert), 'certificate');
    const data = JSON.parse(fs.readFileSync(path.join(dir, 'cert.json'), 'utf8'));
    assert.deepEqual([data.kind, data.version, data.modelKind], ['unlearn-studio-certificate', 1, 'lm']);
    assert.equal(data.request.className, entity);
    assert.deepEqual([data.dataset.kind, data.dataset.hashVerified], ['text', true]);
    assert.deepEqual(data.after.metrics, metrics);
    assert.deepEqual(data.before.metrics, baseline);
    assert.deepEqual([data.before.checkpointId, data.after.checkpointId], [1, 2]);
    assert.equal(data.run.honoursRequest, true);
    assert.ok(data.after.answers.length > 0);
    assert.ok(data.project.auditTrailIntact);
    const html = fs.readFileSync(cert, 'utf8');
    assert.match(html, /forget what it learnt about <strong>“/);
    assert.ok(html.includes(entity));

    // Export as a GPT-2 folder, reload it, and compare with what the project file stores.
    const folder = path.join(dir, 'gpt2');
    ok(run('export-model', p, '--checkpoint', '2', '--out', folder), 'export-model');
    const project = openProject(p, { readonly: true });
    const stored = loadLmArtifacts(project.db, 2);
    project.close();
    assert.deepEqual(
      fs.readFileSync(path.join(folder, 'model.safetensors')),
      Buffer.from(stored.safetensors),
    );
    assert.equal(fs.readFileSync(path.join(folder, 'vocab.json'), 'utf8'), stored.vocabJson);
    assert.equal(fs.readFileSync(path.join(folder, 'merges.txt'), 'utf8'), stored.mergesTxt);
    const { model, config } = await loadGpt2Checkpoint(folder);
    try {
      assert.deepEqual(config, stored.config);
      const storedTensors = readSafetensors(stored.safetensors);
      for (const [name, variable] of model.namedWeights()) {
        assert.deepEqual(variable.dataSync(), storedTensors.get(name)?.data, name);
      }
      assert.deepEqual(gptToSafetensors(model), stored.safetensors);
    } finally {
      model.dispose();
    }
    // Imported back, it is the same checkpoint (same content hash: config, weights, tokenizer).
    assert.equal(ok(run('import-model', p, folder), 'import-model'), '3');
    const db3 = new Database(p, { readonly: true });
    const [a, b] = db3
      .prepare('SELECT content_hash FROM checkpoints WHERE id IN (2, 3) ORDER BY id')
      .all() as Row[];
    db3.close();
    assert.equal(a.content_hash, b.content_hash);

    // verify recomputes the metrics of the unlearned model (checkpoint 2) and of its input (checkpoint 1).
    assert.match(
      ok(run('verify', p, '--checkpoint', '2'), 'verify 2'),
      /language model 2: sha256 [0-9a-f]{64} verified[\s\S]*matches the metrics stored by run 1 \(as its output; max difference 0\.00e\+0\)/,
    );
    assert.match(
      ok(run('verify', p, '--checkpoint', '1'), 'verify 1'),
      /matches the metrics stored by run 1 \(as its input/,
    );
    // A stored metric changed behind the application's back is caught.
    const rw = new Database(p);
    rw.prepare('UPDATE runs SET metrics = ? WHERE id = 1').run(
      JSON.stringify({ ...metrics, forget_term_rate: (metrics.forget_term_rate as number) + 0.5 }),
    );
    rw.close();
    const tampered = run('verify', p, '--checkpoint', '2');
    assert.equal(tampered.status, 1);
    assert.match(
      tampered.stdout,
      /DIFFERS FROM the metrics stored by run 1 \(as its output; max difference 5\.00e-1\)/,
    );
  });

  it('imports a JSONL corpus, and refuses bad input with one clear line', () => {
    const dir = tmpDir();
    const p = tinyLmProject(dir);

    // JSONL with a missing field: the line number and the field.
    const jsonl = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(
      jsonl,
      '{"class": "Ann", "prompt": "Who is Ann?", "response": "A pilot."}\n\n{"class": "Ann", "prompt": "Where?"}\n',
    );
    fails(run('import-dataset', p, '--jsonl', jsonl), /bad\.jsonl line 3: missing field 'response'/);
    fails(
      run('import-dataset', p, '--builtin', 'novels'),
      /unknown built-in dataset 'novels' \(known: facts\)/,
    );
    const good = path.join(dir, 'good.jsonl');
    fs.writeFileSync(
      good,
      [
        '{"class": "Ann", "prompt": "Who is Ann?", "response": "A pilot."}',
        '{"class": "Ann", "prompt": "What is Ann?", "response": "A pilot.", "split": "paraphrase"}',
        '{"class": "misc", "text": "Rain fell all day."}',
        '{"class": "misc", "text": "The sea was calm.", "split": "heldout"}',
      ].join('\n'),
    );
    assert.equal(ok(run('import-dataset', p, '--jsonl', good), 'import-dataset --jsonl'), '2');
    const jdb = new Database(p, { readonly: true });
    const jrow = jdb
      .prepare('SELECT kind, name, class_names, source FROM datasets WHERE id = 2')
      .get() as Row;
    assert.deepEqual(
      [jrow.kind, jrow.name, JSON.parse(String(jrow.class_names))],
      ['text', 'good.jsonl', ['Ann', 'misc']],
    );
    assert.deepEqual(JSON.parse(String(jrow.source)), { kind: 'jsonl', path: good });
    assert.deepEqual(
      jdb.prepare('SELECT split, size FROM text_dataset_splits WHERE dataset_id = 2 ORDER BY split').all(),
      [
        { split: 'heldout', size: 1 },
        { split: 'paraphrase', size: 1 },
        { split: 'train', size: 2 },
      ],
    );
    jdb.close();

    // A class that is not in the dataset, and one without questions.
    fails(run('request', p, '--class', 'Nobody Atall'), /unknown forget class 'Nobody Atall' \(classes: /);
    fails(run('request', p, '--class', 'general'), /'general' has no question-answer samples/);

    // An image method on a text dataset.
    const db = new Database(p, { readonly: true });
    const entity = (
      JSON.parse(
        String((db.prepare('SELECT class_names FROM datasets').get() as Row).class_names),
      ) as string[]
    )[0];
    db.close();
    ok(run('request', p, '--class', entity), 'request');
    fails(
      run('run', p, '--request', '1', '--method', 'random_label'),
      /method 'random_label' is an image method but dataset 1 is a text dataset \(language-model methods: retrain, /,
    );
    fails(
      run('run', p, '--request', '1', '--method', 'magic'),
      /unknown method 'magic' \(image methods: .*; language-model methods: retrain, /,
    );
    fails(run('train', p, '--arch', 'cnn-ref'), /--arch applies to an image dataset only/);
    fails(
      run('concepts', p, '--discover'),
      /`concepts` works on image classifiers only: checkpoint 1 is a language model/,
    );

    // A checkpoint folder whose config does not match the weights.
    const folder = path.join(dir, 'gpt2');
    ok(run('export-model', p, '--out', folder), 'export-model');
    const configFile = path.join(folder, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    fs.writeFileSync(configFile, JSON.stringify({ ...config, n_embd: 32 }));
    fails(
      run('import-model', p, folder),
      /model\.safetensors: tensor wte\.weight has shape \[300,16\], the config needs \[300,32\]/,
    );
    fs.writeFileSync(configFile, JSON.stringify({ ...config, vocab_size: 299 }));
    fails(
      run('import-model', p, folder),
      /vocab\.json has 300 tokens but config\.json's vocab_size .* is 299/,
    );

    // A language-model method on an image dataset.
    const imageProject = path.join(dir, 'images.unlearn');
    const ip = createProject(imageProject);
    const image = saveDataset(ip.db, barsDataset(), { kind: 'test' });
    createRequest(ip.db, { requester: 't', datasetId: image.id, classIndex: 1, className: 'bar1' });
    ip.close();
    fails(
      run('run', imageProject, '--request', '1', '--method', 'idk'),
      /method 'idk' is a language-model method but dataset 1 is an image dataset \(image methods: /,
    );
    fails(
      run('train', imageProject, '--n-embd', '16'),
      /--n-embd applies to a text dataset \(language model\) only/,
    );
  });
});
