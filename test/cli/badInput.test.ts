/**
 * The workbench's bad inputs through the command line: each exits 1 with one `error:` line naming the
 * problem and no stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { writeIdx } from '../../native/data/idx';
import { initBackend } from '../../native/engine/backend/select';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import { exportClassifier } from '../../native/models/modelIO';

const cli = path.join(__dirname, '..', '..', 'native', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

function failsWith(args: string[], re: RegExp): void {
  const r = run(...args);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errorLines.length, 1, r.stderr);
  assert.match(errorLines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('bad input through the CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-bad-'));
  const project = path.join(dir, 'p.unlearn');

  before(async () => {
    await initBackend();
    assert.equal(run('init', project).status, 0);
    const imported = run('import-dataset', project, '--mnist', '--limit', '200');
    assert.equal(imported.status, 0, imported.stderr);
  });

  it('a missing image folder', () => {
    const missing = path.join(dir, 'no-such-folder');
    failsWith(['import-dataset', project, '--folder', missing], new RegExp(missing.replace(/[/.]/g, '\\$&')));
  });

  it('a corrupt image, named', async () => {
    const folder = path.join(dir, 'images');
    for (const cls of ['cat', 'dog']) {
      fs.mkdirSync(path.join(folder, cls), { recursive: true });
      for (let i = 0; i < 3; i++) {
        await sharp({
          create: { width: 12, height: 12, channels: 3, background: { r: 40 * i, g: 90, b: 10 } },
        })
          .png()
          .toFile(path.join(folder, cls, `${i}.png`));
      }
    }
    fs.writeFileSync(path.join(folder, 'dog', 'broken.png'), Buffer.from('this is not a png'));
    failsWith(['import-dataset', project, '--folder', folder], /broken\.png/);
  });

  it('an IDX file with a wrong magic number', () => {
    const images = path.join(dir, 'images.idx');
    const labels = path.join(dir, 'labels.idx');
    writeIdx(images, { dims: [4, 3, 3], data: new Uint8Array(36) });
    writeIdx(labels, { dims: [4], data: new Uint8Array([0, 1, 0, 1]) });
    const bytes = fs.readFileSync(labels);
    bytes.writeUInt32BE(0xdeadbeef, 0);
    fs.writeFileSync(labels, bytes);
    failsWith(['import-dataset', project, '--idx', images, labels], /labels\.idx.*magic/i);
  });

  it('a class index out of range', () => {
    failsWith(['request', project, '--class', '12'], /12/);
  });

  it('a model whose output size does not match the dataset', async () => {
    const modelDir = path.join(dir, 'five-classes');
    const c = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [28, 28, 1], 5, 1));
    await exportClassifier(c, modelDir);
    c.dispose();
    failsWith(['import-model', project, modelDir], /5 classes.*10|10.*5 classes/);
  });
});
