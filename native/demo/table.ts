/** The demo's readable results table. */
import type { MetricSummary } from '../verification';
import type { DemoReport, ModelResult, SeedsReport } from './report';

const pct = (v: number | undefined) => (v === undefined ? '-' : (100 * v).toFixed(2));
const cpu = (v: number | null) => (v === null ? '-' : v.toFixed(1));

/** Columns padded to their widest cell; the first left-aligned, the others right-aligned. */
function grid(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(head.map((_, i) => '-'.repeat(widths[i]))), ...rows.map(line)];
}

export function formatTable(report: DemoReport): string {
  const head = [
    'method',
    'forget-train',
    'forget-test',
    'retain-train',
    'retain-test',
    'MIA-forget',
    'avg-gap',
    'seconds',
    'CPU-s',
  ];
  const rows: string[][] = [
    [
      'original',
      pct(report.original.forget_train_acc),
      pct(report.original.forget_test_acc),
      pct(report.original.retain_train_acc),
      pct(report.original.retain_test_acc),
      pct(report.original.mia_forget_rate),
      '-',
      report.original.seconds.toFixed(1),
      cpu(report.original.cpu_seconds),
    ],
  ];
  for (const [name, m] of Object.entries(report.methods)) {
    rows.push([
      name,
      pct(m.forget_train_acc),
      pct(m.forget_test_acc),
      pct(m.retain_train_acc),
      pct(m.retain_test_acc),
      pct(m.mia_forget_rate),
      m.avg_gap === null ? '-' : pct(m.avg_gap),
      m.seconds.toFixed(1),
      cpu(m.cpu_seconds),
    ]);
  }
  return [
    `${report.dataset}: forget class ${report.forget_class} ('${report.forget_class_name}'), backend ${report.backend}, seed ${report.seed}`,
    'accuracies and MIA forget rate in %, avg-gap = mean |difference to retrain| in points',
    ...grid(head, rows),
  ].join('\n');
}

const verificationCells = (m: ModelResult): string[] => [
  m.probe_forget_acc === null ? '-' : pct(m.probe_forget_acc),
  m.relearn_epochs === null ? '>max' : String(m.relearn_epochs),
  m.concept_residue === null ? '-' : m.concept_residue.toFixed(3),
];

/** Verification beyond accuracy: linear probe, relearning epochs, concept residue, per model. */
export function formatVerificationTable(report: DemoReport): string {
  const head = ['model', 'probe-forget', 'relearn-epochs', 'concept-residue'];
  const rows = [
    ['original', ...verificationCells(report.original)],
    ...Object.entries(report.methods).map(([name, m]) => [name, ...verificationCells(m)]),
  ];
  return [
    'verification: probe-forget = linear probe on the embedding, forget-class test accuracy in %; relearn-epochs =',
    "epochs on 1% of the forget data until forget-test accuracy > 50%; concept-residue = selected concepts' mean score after / before",
    ...grid(head, rows),
  ].join('\n');
}

const SEED_COLUMNS: [string, string, number][] = [
  ['forget-test', 'forget_test_acc', 100],
  ['retain-test', 'retain_test_acc', 100],
  ['MIA-forget', 'mia_forget_rate', 100],
  ['avg-gap', 'avg_gap', 100],
  ['probe', 'probe_forget_acc', 100],
  ['relearn', 'relearn_epochs', 1],
  ['residue', 'concept_residue', 1],
  ['seconds', 'seconds', 1],
  ['CPU-s', 'cpu_seconds', 1],
];

function meanStdCell(s: MetricSummary | undefined, scale: number): string {
  if (!s) return '-';
  const digits = scale === 100 ? 2 : 1;
  return `${(scale * s.mean).toFixed(digits)} ± ${(scale * s.std).toFixed(digits)}`;
}

/** --seeds N: mean ± std over the seeds per model. */
export function formatSeedTable(seeds: SeedsReport): string {
  const head = ['model', ...SEED_COLUMNS.map(([h]) => h)];
  const row = (name: string, summary: Record<string, MetricSummary>) => [
    name,
    ...SEED_COLUMNS.map(([, key, scale]) => meanStdCell(summary[key], scale)),
  ];
  const rows = [
    row('original', seeds.summary.original),
    ...Object.entries(seeds.summary.methods).map(([name, s]) => row(name, s)),
  ];
  return [
    `mean ± std over seeds ${seeds.seeds.join(', ')} (accuracies, MIA, avg-gap, probe in %; relearn in epochs, runs that relearned)`,
    ...grid(head, rows),
  ].join('\n');
}

const num = (v: number | null) => (v === null ? '-' : v.toFixed(3));

/** The concept stage as a table: the forget class's concepts by importance, then the summary lines. */
export function formatConceptTable(report: DemoReport): string {
  const c = report.concepts;
  const head = [
    'rank',
    'concept',
    'importance',
    'specificity',
    'shared',
    'selected',
    'PCBM-weight',
    'IG-embedding',
  ];
  const rows = c.forget_class_top.map((r, i) => [
    String(i + 1),
    r.name,
    num(r.importance),
    num(r.specificity),
    r.shared ? 'yes' : '-',
    r.selected ? 'yes' : '-',
    num(r.pcbm_weight),
    num(r.ig_importance),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((v, i) => (i === 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const out = [
    `concepts of class ${report.forget_class} ('${report.forget_class_name}'), ${c.source}: ${c.concepts} kept, ${c.dropped.length} dropped${c.dropped.length ? ` (${c.dropped.map((d) => d.name).join(', ')})` : ''}`,
    'importance, specificity: IG of the PCBM class logit (logit units); IG-embedding: IG of the model logit along the concept direction',
    line(head),
    line(head.map((_, i) => '-'.repeat(widths[i]))),
    ...rows.map(line),
    `selected: ${c.selected.join(', ') || '-'}${c.ground_truth_precision_at_k === undefined ? '' : `  (ground truth: ${c.ground_truth_specific?.join(', ')}; precision@k ${c.ground_truth_precision_at_k.toFixed(2)})`}`,
    `donor class: ${c.donor_class ? `${c.donor_class.index} ('${c.donor_class.name}', cosine ${c.donor_class.similarity.toFixed(2)})` : '-'}`,
    c.pcbm
      ? `PCBM: accuracy ${pct(c.pcbm.accuracy)}% vs model ${pct(c.pcbm.model_accuracy)}%, fidelity ${pct(c.pcbm.fidelity)}%, ${c.pcbm.nonzero} of ${c.pcbm.weights} weights non-zero`
      : 'PCBM: - (no concept kept)',
    `IG completeness gap (max, relative): ${(100 * c.ig_completeness_max).toPrecision(2)}%`,
  ];
  if (c.images.length > 0) out.push(`${c.images.length} concept images under ${'concepts/'}`);
  return out.join('\n');
}
