/**
 * GPT-2 checkpoints: the fixture made with PyTorch (scripts/gpt2_fixture.py) loads and gives PyTorch's
 * logits; save -> load keeps every weight bit-identical; bad folders and files give clear UserErrors.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { tf } from '../../native/engine/tf';
import { UserError } from '../../native/errors';
import { loadGpt2Checkpoint, saveGpt2Checkpoint } from '../../native/llm/checkpoint/gpt2Directory';
import { gptFromSafetensors, gptToSafetensors } from '../../native/llm/checkpoint/gptSafetensors';
import { type NamedTensor, readSafetensors, writeSafetensors } from '../../native/llm/checkpoint/safetensors';
import type { GptModel } from '../../native/llm/model/gpt';
import { FIXTURE_DIR, expectations, fixtureBytes, fixtureText, maxAbsDiff, randomGpt } from './fixture';

function userError(pattern: RegExp) {
  return (err: Error) => err instanceof UserError && pattern.test(err.message);
}

/** Every weight's float32 bits, by name. */
function weightBits(model: GptModel): Map<string, Uint32Array> {
  const out = new Map<string, Uint32Array>();
  for (const [name, v] of model.namedWeights())
    out.set(name, new Uint32Array((v.dataSync() as Float32Array).slice().buffer));
  return out;
}

/** The fixture's logits from our model, per sequence, compared with PyTorch's (max abs diff). */
function fixtureLogitsDiff(model: GptModel): number {
  const { sequences, logits } = expectations();
  let worst = 0;
  sequences.forEach((seq, s) => {
    const ours = tf.tidy(() => model.logits(tf.tensor2d(seq, [1, seq.length], 'int32')).dataSync());
    worst = Math.max(worst, maxAbsDiff(ours, logits[s].flat()));
  });
  return worst;
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt2-ckpt-'));
  tempDirs.push(dir);
  return dir;
}

function copyFixture(): string {
  const dir = path.join(tempDir(), 'ckpt');
  fs.mkdirSync(dir);
  for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) {
    fs.copyFileSync(path.join(FIXTURE_DIR, f), path.join(dir, f));
  }
  return dir;
}

describe('GPT-2 checkpoints', () => {
  before(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  after(async () => {
    await tf.setBackend('wasm');
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("loads the PyTorch fixture and reproduces PyTorch's logits on wasm and cpu (max abs diff <= 1e-4)", async (t) => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const { model, tokenizer, config } = await loadGpt2Checkpoint(FIXTURE_DIR);
      assert.deepEqual(config, {
        vocabSize: 320,
        nPositions: 32,
        nEmbd: 32,
        nLayer: 2,
        nHead: 4,
        layerNormEpsilon: 1e-5,
      });
      assert.equal(tokenizer.vocabSize, 320);
      const diff = fixtureLogitsDiff(model);
      t.diagnostic(`${backend}: logits max abs diff vs PyTorch (float64) ${diff.toExponential(2)}`);
      assert.ok(diff <= 1e-4, `${backend}: ${diff}`);
      model.dispose();
    }
    await tf.setBackend('wasm');
  });

  it("gives a right-padded batch the same logits as each sequence alone (PyTorch's, on its real positions)", async () => {
    const { model } = await loadGpt2Checkpoint(FIXTURE_DIR);
    const { sequences, logits } = expectations();
    const width = Math.max(...sequences.map((s) => s.length));
    const padded = sequences.map((s) => [...s, ...new Array(width - s.length).fill(0)]);
    const out = tf.tidy(() => model.logits(tf.tensor2d(padded, [padded.length, width], 'int32')).arraySync());
    sequences.forEach((seq, s) => {
      const real = out[s].slice(0, seq.length).flat();
      assert.ok(maxAbsDiff(real, logits[s].flat()) <= 1e-4);
    });
    model.dispose();
  });

  it('saves and loads back bit-identical weights and the same tokenizer files', async () => {
    const { model, tokenizer } = await loadGpt2Checkpoint(FIXTURE_DIR);
    const dir = path.join(tempDir(), 'saved');
    await saveGpt2Checkpoint(dir, model, tokenizer);
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      'config.json',
      'merges.txt',
      'model.safetensors',
      'vocab.json',
    ]);
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['saved']); // no temporary folder left
    assert.equal(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8'), fixtureText('vocab.json'));
    assert.equal(fs.readFileSync(path.join(dir, 'merges.txt'), 'utf8'), fixtureText('merges.txt'));
    const hf = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(hf.model_type, 'gpt2');
    assert.equal(hf.n_embd, 32);
    const back = await loadGpt2Checkpoint(dir);
    assert.deepEqual(weightBits(back.model), weightBits(model));
    // The saved file has no prefix and no mask buffers; the fixture has both.
    const names = [...readSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors'))).keys()];
    assert.ok(
      names.includes('h.1.attn.c_attn.weight') &&
        !names.some((n) => n.includes('transformer.') || /\.attn\.bias$/.test(n)),
    );
    // Saving over an existing checkpoint replaces it whole.
    const other = randomGpt(back.config, 5);
    await saveGpt2Checkpoint(dir, other, tokenizer);
    const replaced = await loadGpt2Checkpoint(dir);
    assert.deepEqual(weightBits(replaced.model), weightBits(other));
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['saved']);
    tf.dispose([model, back.model, other, replaced.model].flatMap((m) => m.variables));
  });

  it('refuses to save a tokenizer whose size is not the embedding rows, leaving the old checkpoint', async () => {
    const dir = copyFixture();
    const { model, tokenizer } = await loadGpt2Checkpoint(dir);
    const wide = randomGpt({ ...model.config, vocabSize: 321 }, 1);
    await assert.rejects(
      saveGpt2Checkpoint(dir, wide, tokenizer),
      userError(/tokenizer has 320 tokens but the model's embedding has 321 rows/),
    );
    assert.deepEqual(
      fs.readFileSync(path.join(dir, 'model.safetensors')),
      Buffer.from(fixtureBytes('model.safetensors')),
    );
    tf.dispose([...model.variables, ...wide.variables]);
  });

  it('round-trips in memory: gptToSafetensors -> gptFromSafetensors, with or without the transformer. prefix', () => {
    const config = { vocabSize: 23, nPositions: 9, nEmbd: 8, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5 };
    const model = randomGpt(config, 3);
    const bytes = gptToSafetensors(model);
    const back = gptFromSafetensors(bytes, config);
    assert.deepEqual(weightBits(back), weightBits(model));
    const prefixed = [...readSafetensors(bytes).values()].map((t) => ({
      ...t,
      name: `transformer.${t.name}`,
    }));
    const again = gptFromSafetensors(writeSafetensors(prefixed), config);
    assert.deepEqual(weightBits(again), weightBits(model));
    tf.dispose([model, back, again].flatMap((m) => m.variables));
  });

  it('names the missing tensor, the mismatched shape and the unexpected tensor', () => {
    const config = { vocabSize: 23, nPositions: 9, nEmbd: 8, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5 };
    const model = randomGpt(config, 3);
    const tensors = [...readSafetensors(gptToSafetensors(model)).values()];
    model.dispose();
    const edit = (f: (ts: NamedTensor[]) => NamedTensor[]) =>
      writeSafetensors(f(tensors.map((t) => ({ ...t }))));
    assert.throws(
      () =>
        gptFromSafetensors(
          edit((ts) => ts.filter((t) => t.name !== 'h.1.mlp.c_fc.bias')),
          config,
        ),
      userError(/^model\.safetensors has no tensor h\.1\.mlp\.c_fc\.bias$/),
    );
    assert.throws(
      () =>
        gptFromSafetensors(
          edit((ts) => ts),
          { ...config, nPositions: 10 },
        ),
      userError(/tensor wpe\.weight has shape \[9,8\], the config needs \[10,8\]/),
    );
    assert.throws(
      () =>
        gptFromSafetensors(
          edit((ts) => ts),
          { ...config, nLayer: 1 },
        ),
      userError(/has tensor h\.1\.ln_1\.weight, which a 1-layer GPT-2 config has no place for/),
    );
    const transposed = edit((ts) =>
      ts.map((t) => (t.name === 'h.0.attn.c_attn.weight' ? { ...t, shape: [24, 8] } : t)),
    );
    assert.throws(
      () => gptFromSafetensors(transposed, config),
      userError(/h\.0\.attn\.c_attn\.weight has shape \[24,8\], the config needs \[8,24\]/),
    );
  });

  it('refuses a bad checkpoint folder with a UserError naming the file and the problem', async () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['missing file', (d) => fs.rmSync(path.join(d, 'merges.txt')), /has no merges\.txt/],
      [
        'config without fields',
        (d) =>
          fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_embd: 32 })),
        /config\.json has no vocab_size, n_positions, n_layer, n_head, layer_norm_epsilon/,
      ],
      [
        'config not JSON',
        (d) => fs.writeFileSync(path.join(d, 'config.json'), '{'),
        /config\.json is not valid JSON/,
      ],
      [
        'another model type',
        (d) => editConfig(d, { model_type: 'llama' }),
        /model_type "llama"; only "gpt2"/,
      ],
      [
        'another activation',
        (d) => editConfig(d, { activation_function: 'relu' }),
        /activation_function "relu"/,
      ],
      ['bad n_head', (d) => editConfig(d, { n_head: 5 }), /n_embd 32, not a multiple of n_head 5/],
      [
        'vocab size',
        (d) => editConfig(d, { vocab_size: 321 }),
        /vocab\.json has 320 tokens but config\.json's vocab_size \(the embedding's rows\) is 321/,
      ],
      [
        'truncated weights',
        (d) =>
          fs.writeFileSync(
            path.join(d, 'model.safetensors'),
            fixtureBytes('model.safetensors').subarray(0, 5000),
          ),
        /model\.safetensors: tensor \S+ has data_offsets \[\d+, \d+\] outside its \d+ data bytes/,
      ],
      [
        'bad vocab',
        (d) => fs.writeFileSync(path.join(d, 'vocab.json'), '{"a": 1}'),
        /vocab\.json: ids are not dense/,
      ],
    ];
    for (const [what, damage, pattern] of cases) {
      const dir = copyFixture();
      damage(dir);
      await assert.rejects(loadGpt2Checkpoint(dir), userError(pattern), what);
    }
    await assert.rejects(
      loadGpt2Checkpoint(path.join(tempDir(), 'nothing')),
      userError(/has no config\.json/),
    );
  });
});

function editConfig(dir: string, changes: Record<string, unknown>): void {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...changes }));
}
