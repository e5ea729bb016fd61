/**
 * End to end: `npm run serve` (the bridge, with its real worker processes) driven in headless Chromium
 * through playwright-core. The whole wizard on a small MNIST project (1,000 images, 2 epochs of cnn-ref),
 * from the import to the class's concepts (found by the concept job: ranked table, heat map; a concept
 * unticked, k and the donor changed), concept-guided poisoning (donor labels, mask) compared with random
 * labels and retrain, a verified run and an exported certificate; a run cancelled in the middle; a corrupt
 * import shown as an error. Screenshots of every step go to out/e2e/ (test artefacts) and, with
 * UNLEARN_DOCS_SCREENSHOTS=1 (`npm run screenshots`), to docs/screenshots/.
 *
 * Needs Chromium (/usr/bin/chromium, or UNLEARN_CHROMIUM) and the built renderer (dist/renderer): without
 * either the suite is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

const repo = path.join(__dirname, '..', '..', '..');
const bridgeMain = path.join(__dirname, '..', '..', 'native', 'bridge', 'main.js');
const rendererIndex = path.join(__dirname, '..', '..', 'renderer', 'index.html');
const chromiumPath = process.env.UNLEARN_CHROMIUM ?? '/usr/bin/chromium';
const artefacts = path.join(repo, 'out', 'e2e');
const docsShots =
  process.env.UNLEARN_DOCS_SCREENSHOTS === '1' ? path.join(repo, 'docs', 'screenshots') : null;

/** MNIST training images of the project (a fifth as many test and held-out images). */
const IMAGES = 1000;

const missing = !fs.existsSync(chromiumPath)
  ? `no Chromium at ${chromiumPath} (apt-get install chromium, or set UNLEARN_CHROMIUM)`
  : !fs.existsSync(rendererIndex)
    ? 'the renderer is not built (npm run build:renderer)'
    : undefined;

/** Run in the page (as text: these tests compile without the DOM types): controls with no accessible name. */
const UNNAMED_CONTROLS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('button, input, select, textarea, progress, meter')) {
    const labelled = el.getAttribute('aria-labelledby');
    const name =
      el.getAttribute('aria-label') ||
      (labelled ? document.getElementById(labelled)?.textContent : '') ||
      Array.from(el.labels ?? []).map((l) => l.textContent).join(' ') ||
      (el.tagName === 'BUTTON' ? el.textContent : '');
    if (!name || !name.trim()) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
})()`;

/** Starts `node dist/native/bridge/main.js --port 0` and reads its URL from stdout. */
function startServer(): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bridgeMain, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /served at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ child, url: m[1], stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`the server exited with code ${code}: ${err}`)));
  });
}

describe('the app in headless Chromium against npm run serve', { skip: missing, timeout: 600000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  const problems: string[] = [];
  let shot = 0;

  /** Every control on the page has an accessible name (label, aria-label or its text). */
  async function assertNamedControls(where: string): Promise<void> {
    const unnamed = (await page.evaluate(UNNAMED_CONTROLS)) as string[];
    assert.deepEqual(unnamed, [], `controls without an accessible name on ${where}`);
  }

  async function screenshot(name: string): Promise<void> {
    await assertNamedControls(name);
    shot++;
    const file = `${String(shot).padStart(2, '0')}-${name}.png`;
    const png = await page.screenshot({ fullPage: true });
    fs.writeFileSync(path.join(artefacts, file), png);
    if (docsShots) fs.writeFileSync(path.join(docsShots, file), png);
  }

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });

  before(async () => {
    fs.mkdirSync(artefacts, { recursive: true });
    if (docsShots) fs.mkdirSync(docsShots, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-e2e-'));
    server = await startServer();
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60000);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    await page.goto(server.url);
  });

  after(async () => {
    await context?.close();
    if (server) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      // It cancels its jobs and exits; a server that hangs is killed.
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('goes from an import to a verified run and an exported certificate', async () => {
    const project = path.join(dir, 'study.unlearn');
    await page.getByRole('heading', { name: 'Project', exact: true }).waitFor();
    await page.getByLabel('New project file').fill(project);
    await screenshot('project');
    await page.getByRole('button', { name: 'Create project' }).click();

    // Dataset: the built-in MNIST, 1,000 training images, and its preview.
    await page.getByRole('heading', { name: 'Dataset', exact: true }).waitFor();
    assert.equal(await page.getByRole('radio', { name: /^MNIST/ }).isChecked(), true);
    await page.getByLabel('Number of training images').fill(String(IMAGES));
    await page.getByRole('button', { name: 'Import dataset' }).click();
    const grid = page.getByRole('list', { name: 'Examples of each class of mnist' });
    await grid.waitFor();
    assert.equal(await grid.getByRole('listitem').count(), 10);
    assert.equal(await page.getByRole('img', { name: /^Class 3, example/ }).count(), 8);
    await screenshot('dataset-preview');

    // Training: cnn-ref, two epochs, with its live chart.
    await nav('Train').click();
    await page.getByLabel('Architecture').selectOption('cnn-ref');
    await page.getByLabel('Epochs').fill('2');
    await page.getByRole('button', { name: 'Train model' }).click();
    await page.getByRole('status').filter({ hasText: 'Model trained' }).waitFor({ timeout: 180000 });
    await page.getByText('Training loss and accuracy on a sample of test images').waitFor();
    await screenshot('train');

    // Wizard, step 1: the class and the request.
    await nav('Unlearn').click();
    const class3 = page.getByRole('radio', { name: /^Class 3:/ });
    await class3.check();
    await page.getByLabel('Requested by').fill('Data subject 42');
    await screenshot('wizard-1-select-class');
    await page.getByRole('button', { name: 'Record the request and continue' }).click();

    // Step 2: the class's accuracy, then its concepts, found by a job in a worker.
    await page.getByRole('heading', { name: /^Step 2/ }).waitFor();
    await page.getByRole('heading', { name: 'Concepts the model uses for this class' }).waitFor();
    // Past the worker's start: discovering the concepts, measuring them or drawing them.
    await page.getByRole('progressbar', { name: /^Progress of: (Discovering|Measuring|Drawing)/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Continue to the method' }).isDisabled(), true);
    await screenshot('wizard-2-concepts-job');
    const concepts = page.getByRole('table', { name: 'Concepts of class 3, most important first' });
    await concepts.waitFor({ timeout: 240000 });
    // Ranked by importance, each with a checkbox.
    const rows = concepts.locator('tbody tr');
    const n = await rows.count();
    assert.ok(n >= 2, `${n} concepts`);
    const importances = (await concepts.locator('tbody tr td:nth-child(4)').allTextContents()).map(Number);
    assert.ok(
      importances.every((v, i) => Number.isFinite(v) && (i === 0 || v <= importances[i - 1])),
      importances.join(' '),
    );
    const names = (await concepts.getByRole('rowheader').allTextContents()).map((t) => t.trim());
    // The heat map: a row per class, a column per concept, values in the cells' titles.
    const heat = page.getByRole('table', { name: 'Importance of each concept for each class' });
    assert.equal(await heat.locator('tbody tr').count(), 10);
    assert.equal(await heat.locator('thead th').count(), n + 1);
    assert.match(
      (await heat.locator('tbody tr').nth(3).locator('td').first().getAttribute('title')) ?? '',
      new RegExp(`^class 3, concept ${names[0]}: importance `),
    );
    assert.equal(
      await page
        .getByRole('list', { name: 'Where each concept appears in images of class 3' })
        .getByRole('listitem')
        .count(),
      n,
    );
    const checked = async () => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        if (await rows.nth(i).getByRole('checkbox').isChecked()) out.push(names[i]);
      }
      return out;
    };
    // k: the automatic selection has at most k concepts.
    const k = page.getByLabel('Concepts selected automatically (k)');
    await k.fill('1');
    await page.getByText(/^(Automatic selection for k = 1|No concept is specific to class 3)/).waitFor();
    assert.ok((await checked()).length <= 1);
    await k.fill('2');
    await page.getByText(/^(Automatic selection for k = 2|No concept is specific to class 3)/).waitFor();
    // Tick concepts until two are used, then untick the first.
    for (let i = 0; i < n && (await checked()).length < 2; i++) {
      const box = rows.nth(i).getByRole('checkbox');
      if (!(await box.isChecked())) await box.check();
    }
    const two = await checked();
    assert.equal(two.length, 2);
    await page.getByRole('checkbox', { name: `Use concept ${two[0]}` }).uncheck();
    const chosen = await checked();
    assert.deepEqual(chosen, [two[1]]);
    await page.getByText(`To disturb: ${two[1]}`).waitFor();
    // The donor: the most similar class by default; the second most similar instead.
    const donor = page.getByLabel('Donor class');
    assert.match((await donor.locator('option').first().textContent()) ?? '', /\(most similar\)$/);
    await donor.selectOption({ index: 1 });
    const donorIndex = Number(await donor.inputValue());
    const donorName = /^class (\S+) /.exec((await donor.locator('option').nth(1).textContent()) ?? '')?.[1];
    assert.ok(donorName);
    await page.getByText(`Donor: class ${donorName}`).waitFor();
    await screenshot('wizard-2-inspect');
    await page.getByRole('button', { name: 'Continue to the method' }).click();

    // Step 3: concept-guided poisoning by default, donor labels and masking; compared with others.
    await page.getByRole('heading', { name: /^Step 3/ }).waitFor();
    for (const name of [
      /Random labels/,
      /SalUn/,
      /Gradient ascent/,
      /Fine-tune on the rest/,
      /Retrain from scratch/,
    ]) {
      assert.equal(await page.getByRole('radio', { name }).count(), 1, `method ${name}`);
    }
    assert.equal(await page.getByRole('radio', { name: /^Concept-guided poisoning/ }).isChecked(), true);
    const targeted = page.getByRole('radio', { name: new RegExp(`^The donor class: class ${donorName}`) });
    assert.equal(await targeted.isChecked(), true);
    assert.equal(await page.getByRole('radio', { name: /^Random other classes/ }).isChecked(), false);
    assert.equal(await page.getByRole('radio', { name: /^Mask the concepts/ }).isChecked(), true);
    for (const mode of [/^Replace them with the donor’s/, /^Leave the images as they are/]) {
      assert.equal(await page.getByRole('radio', { name: mode }).isChecked(), false);
    }
    await page.getByText(`Concepts to disturb (chosen in step 2, k = 2): ${chosen.join(', ')}`).waitFor();
    await page.getByText('Advanced settings for Concept poisoning (donor class)').waitFor();
    await page.getByRole('checkbox', { name: /Also retrain from scratch/ }).check();
    await page.getByRole('checkbox', { name: /^Also run Random labels/ }).check();
    await screenshot('wizard-3-method');
    await page.getByRole('button', { name: 'Start unlearning' }).click();

    // Step 4: progress per stage, then step 5 opens by itself.
    await page.getByRole('heading', { name: /^Step 4/ }).waitFor();
    await page.getByRole('list', { name: 'Stages' }).getByRole('listitem').first().waitFor();
    await screenshot('wizard-4-run-start');
    await page.getByRole('heading', { name: /^Step 5/ }).waitFor({ timeout: 420000 });

    // Step 5: verdict, before/after chart, the comparison, verification, exports.
    await page.getByRole('heading', { name: /^Verdict:/ }).waitFor();
    await page.getByText('Accuracy on each class’s test images, before and after').waitFor();
    const measures = page.getByRole('table', { name: 'Forgotten class against the retained classes' });
    assert.match((await measures.textContent()) ?? '', /Retrained model/);
    assert.doesNotMatch((await measures.textContent()) ?? '', /not run/, 'the retrain ran for comparison');
    const compared = page.getByRole('table', { name: 'Compared with other methods on the same request' });
    assert.deepEqual(
      (await compared.getByRole('rowheader').allTextContents()).map((t) => t.trim()),
      ['Concept poisoning (donor class) (1) — this run', 'Random labels (2)', 'Retrain from scratch (3)'],
    );
    await page.getByRole('button', { name: 'Check the project file again' }).click();
    await page.getByText(/^Verified: file integrity ok/).waitFor({ timeout: 120000 });
    await page.getByRole('button', { name: 'Export model' }).click();
    await page.getByText(/^Model exported to/).waitFor();
    await page.getByRole('button', { name: 'Export certificate' }).click();
    await page.getByText(/^Certificate saved/).waitFor();
    await screenshot('wizard-5-verify');
    const exportsDir = path.join(dir, 'study-exports');
    const html = fs.readFileSync(path.join(exportsDir, 'certificate-run-1.html'), 'utf8');
    assert.match(html, /Data subject 42/);
    const cert = JSON.parse(fs.readFileSync(path.join(exportsDir, 'certificate-run-1.json'), 'utf8'));
    assert.equal(cert.run.method, 'concept_targeted');
    assert.equal(cert.run.honoursRequest, true);
    // The run used what was chosen in steps 2 and 3.
    const p = cert.run.parameters;
    assert.deepEqual(
      [p.mode, p.concepts, p.k, p.donor, p.concept_bank],
      ['mask', chosen.join(','), 2, donorIndex, 1],
    );
    assert.equal(cert.retrain?.runId, 3);
    assert.ok(fs.existsSync(path.join(exportsDir, 'checkpoint-2', 'model.json')));

    // History, and a rollback to the original model.
    await nav('History').click();
    await page.getByRole('heading', { name: 'History', exact: true }).waitFor();
    await page.getByText(/^Audit trail intact/).waitFor();
    await screenshot('history');
    await page.getByRole('button', { name: 'Put checkpoint 1 back in service' }).click();
    await page.getByRole('button', { name: 'Yes, put checkpoint 1 in service' }).click();
    await page.getByText('Checkpoint 1 is in service again (was 2).').waitFor();
    await page.getByText(/was not made to forget class 3 \(request 1\)/).waitFor();
  });

  it('cancels a run in the middle', async () => {
    await nav('Unlearn').click();
    await page
      .getByRole('navigation', { name: 'Unlearning steps' })
      .getByRole('button', { name: /Select class/ })
      .click();
    await page.getByRole('radio', { name: /^Class 5:/ }).check();
    await page.getByRole('button', { name: 'Record the request and continue' }).click();
    // The concepts of class 5 come from the bank stored by the first test.
    await page
      .getByRole('table', { name: 'Concepts of class 5, most important first' })
      .waitFor({ timeout: 120000 });
    await page.getByText(/^Concept bank 1: .*stored in the project \(/).waitFor();
    await page.getByRole('button', { name: 'Continue to the method' }).click();
    await page.getByRole('radio', { name: /Fine-tune on the rest/ }).check();
    const advanced = page.getByText('Advanced settings for Fine-tune on the rest');
    await advanced.click();
    await page.getByLabel('epochs', { exact: true }).fill('300');
    const compare = page.getByRole('checkbox', { name: /Also retrain from scratch/ });
    if (await compare.isChecked()) await compare.uncheck();
    await page.getByRole('button', { name: 'Start unlearning' }).click();
    await page.getByRole('heading', { name: /^Step 4/ }).waitFor();
    // Cancel once fine-tuning itself reports progress (the method is running in the worker).
    await page.getByRole('progressbar', { name: 'Progress of: Fine-tuning on the other classes' }).waitFor({
      timeout: 120000,
    });
    // The time left in the stage and the live loss curve.
    await page.getByText(/left in this stage/).waitFor({ timeout: 120000 });
    await page.locator('.recharts-line').first().waitFor();
    await screenshot('wizard-4-run-progress');
    await page.getByRole('button', { name: 'Cancel' }).click();
    const alert = page.getByRole('alert').filter({ hasText: /^Cancelled:/ });
    await alert.waitFor({ timeout: 60000 });
    await screenshot('wizard-4-cancelled');
    await page.getByRole('button', { name: 'Back to the method' }).waitFor();
    await nav('History').click();
    const runs = page.getByRole('table').filter({ hasText: 'Fine-tune on the rest' });
    await runs.getByText('cancelled').waitFor();
  });

  it('shows a corrupt import as an error message', async () => {
    const images = path.join(dir, 'corrupt-images.idx');
    const labels = path.join(dir, 'corrupt-labels.idx');
    fs.writeFileSync(images, Buffer.from('this is not an IDX file at all, just text'));
    fs.writeFileSync(labels, Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]));
    await nav('Dataset').click();
    await page.getByRole('radio', { name: /IDX files/ }).check();
    await page.getByLabel('Images file').fill(images);
    await page.getByLabel('Labels file').fill(labels);
    await page.getByRole('button', { name: 'Import dataset' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /corrupt-images\.idx/);
    assert.doesNotMatch(text, /\n\s+at /, 'one line, no stack trace');
    await screenshot('corrupt-import');
    // Nothing was stored: the project still has its one dataset.
    await nav('Project').click();
    const facts = (await page.getByRole('definition').first().textContent()) ?? '';
    const datasets = (await page.getByRole('definition').nth(1).textContent()) ?? '';
    assert.match(facts, /study\.unlearn$/);
    assert.equal(datasets, `mnist (${IMAGES} training images, 10 classes)`);
  });

  it('is usable from the keyboard alone', async () => {
    // A reload starts from the top of the page; the project stays open (the server owns it).
    await page.reload();
    await page.getByRole('heading', { name: 'Project', exact: true }).waitFor();
    await page
      .getByText(/study\.unlearn$/)
      .first()
      .waitFor();
    const focused = async () =>
      (await page.evaluate(
        "((el) => el ? (el.getAttribute('aria-label') || el.textContent || '').trim() : '')(document.activeElement)",
      )) as string;
    // The view's heading has the focus; the first control of the view comes next.
    assert.equal(await page.evaluate('document.activeElement.tagName'), 'H2');
    assert.equal(await focused(), 'Project');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Close project');
    // Backwards: the main navigation, then the skip link.
    const reached: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Shift+Tab');
      reached.push(await focused());
    }
    assert.deepEqual(reached, ['History', 'Unlearn', 'Train', 'Dataset', 'Project', 'Skip to content']);
    // Enter on a navigation button opens its view and moves the focus to the view's heading.
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    assert.equal(await focused(), 'History');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'History', exact: true }).waitFor();
    assert.equal(await focused(), 'History');
    assert.equal(await page.evaluate('document.activeElement.tagName'), 'H2');
    await assertNamedControls('history');
  });

  it('logged no page errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(problems, [], server.stderr());
  });
});
