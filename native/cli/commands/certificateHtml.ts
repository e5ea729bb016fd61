/**
 * The certificate as one self-contained, printable HTML page: inline CSS, an inline SVG chart, no
 * script, no external resource. Every value from the project file is HTML-escaped.
 */
import type { EventRow, RequestRow } from '../../store';
import type { Evaluation } from '../../unlearning/evaluate';
import type { CertificateData } from './certificate';
import type { CertificateModel, CertificateProject, CertificateRun } from './certificateRecord';

export function esc(v: unknown): string {
  return String(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function pct(v: number | null | undefined, digits = 1): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : 'n/a';
}

export function when(iso: string | null): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Plain-language names of the measures, in the order they are shown. */
const MEASURES: { key: Exclude<keyof Evaluation, 'per_class_test_acc'>; label: string; better: string }[] = [
  { key: 'forget_test_acc', label: 'Recognises the removed class (new images)', better: 'close to 0%' },
  {
    key: 'forget_train_acc',
    label: 'Recognises the removed class (its training images)',
    better: 'close to 0%',
  },
  { key: 'retain_test_acc', label: 'Accuracy on all other classes (new images)', better: 'stay high' },
  { key: 'retain_train_acc', label: 'Accuracy on all other classes (training images)', better: 'stay high' },
  { key: 'test_acc', label: 'Accuracy on all new images', better: '' },
  {
    key: 'mia_forget_rate',
    label: 'Removed images judged “never seen” by a membership test',
    better: 'close to the retrained model',
  },
];

export const EVENT_WORDS: Record<string, string> = {
  'request.created': 'Deletion request recorded',
  'request.honoured': 'Deletion request marked as honoured',
  'run.created': 'Unlearning run queued',
  'run.started': 'Unlearning run started',
  'run.succeeded': 'Unlearning run finished',
  'run.failed': 'Unlearning run failed',
  'run.cancelled': 'Unlearning run cancelled',
  'run.interrupted': 'Unlearning run interrupted (can be restarted)',
  'checkpoint.created': 'New model stored',
  'checkpoint.current': 'Model put in service',
  'checkpoint.rollback': 'Earlier model put back in service',
};

interface Series {
  name: string;
  color: string;
  values: (number | null)[];
}

/** Grouped bar chart of per-class test accuracy, the removed class highlighted. */
export function perClassChart(classNames: string[], forgetClass: number, series: Series[]): string {
  const k = classNames.length;
  const barW = 12;
  const gap = 10;
  const groupW = series.length * barW + gap;
  const left = 44;
  const top = 16;
  const plotH = 180;
  const width = Math.max(420, left + k * groupW + 16);
  const height = top + plotH + 54;
  const y = (v: number) => top + plotH - v * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    '<title>Accuracy on new images, class by class</title>',
  );
  const fx = left + forgetClass * groupW - gap / 4;
  parts.push(`<rect x="${fx}" y="${top}" width="${groupW - gap / 2}" height="${plotH}" fill="#fdecea"/>`);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y(t)}" y2="${y(t)}" stroke="#d0d7de" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#57606a">${t * 100}%</text>`,
    );
  }
  classNames.forEach((name, c) => {
    const x0 = left + c * groupW;
    series.forEach((s, i) => {
      const v = s.values[c];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const h = Math.max(v * plotH, 0.5);
      parts.push(
        `<rect x="${x0 + i * barW}" y="${y(v)}" width="${barW - 2}" height="${h}" fill="${s.color}"><title>${esc(name)} — ${esc(s.name)}: ${pct(v)}</title></rect>`,
      );
    });
    const label = name.length > 8 ? `${name.slice(0, 7)}…` : name;
    const isForget = c === forgetClass;
    parts.push(
      `<text x="${x0 + (series.length * barW) / 2}" y="${top + plotH + 14}" text-anchor="middle" fill="${isForget ? '#b42318' : '#24292f'}"${isForget ? ' font-weight="bold"' : ''}>${esc(label)}</text>`,
    );
  });
  let lx = left;
  for (const s of series) {
    parts.push(
      `<rect x="${lx}" y="${height - 18}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${height - 9}" fill="#24292f">${esc(s.name)}</text>`,
    );
    lx += 24 + s.name.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('');
}

export function modelRow(title: string, m: CertificateModel): string {
  return `<tr><th>${esc(title)}</th><td>checkpoint ${esc(m.checkpointId)} — ${esc(m.label)}<br><span class="hash">sha256 ${esc(m.contentHash)}</span><br><span class="muted">stored ${esc(when(m.createdAt))}</span></td></tr>`;
}

export function eventRows(events: EventRow[]): string {
  return events
    .map(
      (e) =>
        `<tr><td class="nowrap">${esc(when(e.at))}</td><td>${esc(EVENT_WORDS[e.kind] ?? e.kind)}</td><td>${esc(e.actor)}</td><td class="hash">${esc(e.hash.slice(0, 16))}…</td></tr>`,
    )
    .join('');
}

/** The page's inline CSS (shared by the image and language-model certificates). */
/** The request section; `what` names the thing to forget ('Class', 'Subject'). */
export function requestSection(request: RequestRow, name: string, what: string): string {
  return `<h2>The request</h2>
<table>
<tr><th>Request</th><td>${esc(request.id)}</td></tr>
<tr><th>Requested by</th><td>${esc(request.requester)}</td></tr>
<tr><th>${esc(what)} to forget</th><td>“${esc(name)}” (class number ${esc(request.classIndex)})</td></tr>
<tr><th>Recorded</th><td>${esc(when(request.createdAt))}</td></tr>
<tr><th>Status</th><td>${esc(request.status)}${request.honouredByRunId ? ` by run ${esc(request.honouredByRunId)} on ${esc(when(request.honouredAt))}` : ''}</td></tr>
</table>`;
}

/** The rows of the models involved: original (when it is not the input), before, after, retrained. */
export function modelRows(d: {
  original: CertificateModel;
  before: CertificateModel;
  after: CertificateModel;
  retrain: (CertificateModel & { runId: number }) | null;
}): string {
  return `${d.original.checkpointId !== d.before.checkpointId ? modelRow('Original model', d.original) : ''}
${modelRow('Model before', d.before)}
${modelRow('Model after', d.after)}
${d.retrain ? modelRow(`Retrained reference (run ${d.retrain.runId})`, d.retrain) : ''}`;
}

/** "What was done": the method, its parameters' rows, the seed and the run's times. */
export function runSection(run: CertificateRun, params: string): string {
  return `<h2>What was done</h2>
<table>
<tr><th>Method</th><td><strong>${esc(run.method)}</strong>${run.methodSummary ? ` — ${esc(run.methodSummary)}` : ''}</td></tr>
${params}
<tr><th>Random seed</th><td>${esc(run.seed)}</td></tr>
<tr><th>Queued</th><td>${esc(when(run.createdAt))}</td></tr>
<tr><th>Started</th><td>${esc(when(run.startedAt))}${run.attempts > 1 ? ` (attempt ${esc(run.attempts)})` : ''}</td></tr>
<tr><th>Finished</th><td>${esc(when(run.finishedAt))} (${esc(run.seconds.toFixed(1))} s of computation)</td></tr>
</table>`;
}

/** The audit trail: whether its hash chain is intact, and the run's events. */
export function auditSection(project: CertificateProject, events: EventRow[]): string {
  return `<h2>Audit trail</h2>
<p>The project's audit trail holds ${esc(project.auditTrailEvents)} events; its hash chain is ${project.auditTrailIntact ? '<span class="ok">intact</span>' : '<span class="bad">BROKEN: the trail was modified outside Unlearn Studio</span>'}.</p>
<table>
<tr><th>When</th><th>What</th><th>Who</th><th>Event hash</th></tr>
${eventRows(events)}
</table>`;
}

export const CERTIFICATE_STYLE = `<style>
  body { font-family: Helvetica, Arial, sans-serif; color: #24292f; max-width: 820px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
  h1 { font-size: 1.6em; margin-bottom: 0.1em; }
  h2 { font-size: 1.15em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; margin-top: 1.8em; }
  .summary { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.8em 1.1em; }
  table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
  th, td { text-align: left; vertical-align: top; padding: 0.3em 0.6em; border-bottom: 1px solid #eaeef2; }
  th { font-weight: 600; width: 38%; }
  table.metrics th { width: 46%; }
  .hash { font-family: Menlo, Consolas, monospace; font-size: 0.85em; word-break: break-all; }
  .muted { color: #57606a; font-size: 0.9em; }
  .nowrap { white-space: nowrap; }
  .ok { color: #1a7f37; } .bad { color: #b42318; font-weight: bold; }
  footer { margin-top: 2em; font-size: 0.85em; color: #57606a; }
  @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
</style>
`;

/** The rows of a run's parameters. */
export function paramRows(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
}

/** Whether the run's model went into service, in one sentence. */
export function serviceSentence(honoursRequest: boolean): string {
  return honoursRequest
    ? 'The new model is the one now in service, and the request is marked as honoured by this run.'
    : 'This run was made for comparison: its model was stored but not put in service.';
}

/** The page's head, title and first line, up to the summary. */
export function pageTop(requestId: number, runId: number, generatedAt: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unlearning certificate — request ${esc(requestId)}, run ${esc(runId)}</title>
${CERTIFICATE_STYLE}</head>
<body>
<h1>Unlearning certificate</h1>
<p class="muted">Deletion request ${esc(requestId)} · run ${esc(runId)} · generated ${esc(when(generatedAt))} by Unlearn Studio</p>`;
}

export function renderCertificateHtml(d: CertificateData): string {
  const cls = d.request.className;
  const b = d.before.metrics;
  const a = d.after.metrics;
  const r = d.retrain?.metrics;
  const series: Series[] = [
    { name: 'Before', color: '#8c959f', values: b.per_class_test_acc },
    { name: 'After', color: '#1f6feb', values: a.per_class_test_acc },
  ];
  if (r) series.push({ name: 'Retrained from scratch', color: '#2da44e', values: r.per_class_test_acc });
  const metricRows = MEASURES.map(
    (m) =>
      `<tr><th>${esc(m.label)}</th><td>${pct(b[m.key])}</td><td><strong>${pct(a[m.key])}</strong></td>${r ? `<td>${pct(r[m.key])}</td>` : ''}<td class="muted">${esc(m.better)}</td></tr>`,
  ).join('');
  const params = paramRows(d.run.parameters);
  const service = serviceSentence(d.run.honoursRequest);
  return `${pageTop(d.request.id, d.run.id, d.generatedAt)}

<div class="summary">
<p>On ${esc(when(d.request.createdAt))}, <strong>${esc(d.request.requester)}</strong> asked that the image classifier stop recognising the class <strong>“${esc(cls)}”</strong>.</p>
<p>On ${esc(when(d.run.finishedAt))} the method <strong>${esc(d.run.method)}</strong> produced a new model. On new images of “${esc(cls)}” the model was right <strong>${pct(b.forget_test_acc)}</strong> of the time before and <strong>${pct(a.forget_test_acc)}</strong> after. On all other classes its accuracy went from ${pct(b.retain_test_acc)} to ${pct(a.retain_test_acc)}.</p>
<p>${esc(service)}</p>
</div>

${requestSection(d.request, cls, 'Class')}

<h2>Data and models</h2>
<table>
<tr><th>Dataset</th><td>${esc(d.dataset.name)}: ${esc(d.dataset.sizes.train)} training, ${esc(d.dataset.sizes.test)} test and ${esc(d.dataset.sizes.heldout)} held-out images of ${esc(d.dataset.shape.join('×'))} pixels, ${esc(d.dataset.classNames.length)} classes<br><span class="hash">sha256 ${esc(d.dataset.contentHash)}</span></td></tr>
${modelRows(d)}
</table>
<p class="muted">Every hash above was recomputed from the stored data when this certificate was made and matched.</p>

${runSection(d.run, params)}

<h2>Results</h2>
<table class="metrics">
<tr><th>Measure</th><th>Before</th><th>After</th>${r ? '<th>Retrained</th>' : ''}<th>Goal</th></tr>
${metricRows}
</table>
${d.retrain ? `<p>Average distance to the model retrained from scratch without “${esc(cls)}”: <strong>${pct(d.retrain.avgGapAfter, 2)}</strong> after unlearning (it was ${pct(d.retrain.avgGapBefore, 2)} before). Smaller is better; 0% means indistinguishable on these measures.</p>` : '<p class="muted">No model retrained from scratch exists for this request, so the comparison with the exact reference is not shown.</p>'}

<h2>Accuracy by class</h2>
<p class="muted">Share of new (test) images of each class that the model recognises; the removed class is highlighted.</p>
${perClassChart(d.dataset.classNames, d.run.forgetClass, series)}

${auditSection(d.project, d.events)}

<footer>
<p>Project file: <span class="hash">${esc(d.project.file)}</span>. To check this certificate, run <code>unlearn verify ${esc(d.project.file)} --checkpoint ${esc(d.after.checkpointId)}</code>: it recomputes the hashes and the measures from the project file.</p>
<p>“Membership test”: a classifier trained to tell images the model was trained on from images it never saw. After good unlearning, it should judge the removed images about as often “never seen” as it does for a model that never saw them.</p>
</footer>
</body>
</html>
`;
}
