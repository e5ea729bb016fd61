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
