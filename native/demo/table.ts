/** The demo's readable results table. */
import type { DemoReport } from './report';

const pct = (v: number | undefined) => (v === undefined ? '-' : (100 * v).toFixed(2));

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
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `${report.dataset}: forget class ${report.forget_class} ('${report.forget_class_name}'), backend ${report.backend}, seed ${report.seed}`,
    'accuracies and MIA forget rate in %, avg-gap = mean |difference to retrain| in points',
    line(head),
    line(head.map((_, i) => '-'.repeat(widths[i]))),
    ...rows.map(line),
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
