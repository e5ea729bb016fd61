/** The language-model demo's readable tables: the methods, and the sensitive words found by IG. */
import type { MetricSummary } from '../../verification/summary';
import type { LlmDemoReport, LlmModelResult } from './report';

const METRICS: { key: keyof LlmModelResult; head: string; digits: number }[] = [
  { key: 'forget_term_rate', head: 'forget-term', digits: 3 },
  { key: 'forget_answer_rouge_l', head: 'forget-RL', digits: 3 },
  { key: 'paraphrase_term_rate', head: 'para-term', digits: 3 },
  { key: 'retain_answer_rouge_l', head: 'retain-RL', digits: 3 },
  { key: 'heldout_perplexity', head: 'ppl', digits: 2 },
  { key: 'mia_auc', head: 'MIA-AUC', digits: 3 },
  { key: 'seconds', head: 'seconds', digits: 1 },
];

function cell(value: number | null | undefined, digits: number, s?: MetricSummary): string {
  if (value === null || value === undefined) return '-';
  return s && s.n > 1 ? `${s.mean.toFixed(digits)}±${s.std.toFixed(digits)}` : value.toFixed(digits);
}

function align(head: string[], rows: string[][], left: number[] = [0]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(head.map((_, i) => '-'.repeat(widths[i]))), ...rows.map(line)];
}

export function formatLlmTable(r: LlmDemoReport): string {
  const head = ['method', ...METRICS.map((m) => m.head)];
  const row = (name: string, m: LlmModelResult, sums?: Record<string, MetricSummary>) => [
    name,
    ...METRICS.map((k) => cell(m[k.key] as number | null, k.digits, sums?.[k.key])),
  ];
  const rows = [row('original', r.original, r.summary?.original)];
  for (const [name, m] of Object.entries(r.methods)) rows.push(row(name, m, r.summary?.methods[name]));
  const seeds =
    r.seeds.length > 1
      ? `, mean±std of ${r.seeds.length} seeds (${r.seeds.join(', ')})`
      : `, seed ${r.seeds[0]}`;
  const conceptSeconds = Object.entries(r.methods)
    .filter(([, m]) => m.seconds_with_concepts !== undefined)
    .map(([name, m]) => `${name} ${m.seconds_with_concepts!.toFixed(1)} s`);
  return [
    `${r.dataset}: forget '${r.forget_class}', backend ${r.backend}${seeds}`,
    'term rates, ROUGE-L F1 and MIA AUC in [0, 1]; ppl = held-out perplexity; original seconds = its training',
    ...align(head, rows),
    conceptSeconds.length > 0
      ? `with the token concept stage (${r.sensitive_words.seconds.toFixed(1)} s): ${conceptSeconds.join(', ')}`
      : '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

export function formatSensitiveWordTable(r: LlmDemoReport, max = 20): string {
  const s = r.sensitive_words;
  const head = ['rank', 'word', 'importance', 'retain-imp', 'shared', 'in-prompt', 'selected', 'truth'];
  const rows = s.rows
    .slice(0, max)
    .map((w, i) => [
      String(i + 1),
      w.word,
      w.importance.toFixed(4),
      w.retain_importance.toFixed(4),
      w.shared ? 'yes' : '-',
      w.in_prompt ? 'yes' : '-',
      w.selected ? 'yes' : '-',
      w.ground_truth ? 'yes' : '-',
    ]);
  const pct = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  return [
    `sensitive words of '${r.forget_class}' (IG on tokens, ${s.ig.steps} ${s.ig.rule} nodes, ${s.ig.baseline} baseline; ${s.samples.forget} forget and ${s.samples.retain} retained samples)`,
    'importance: mean share of the positive attribution per forget sample; truth: an answer word in no question of the class and no retained sample',
    ...align(head, rows, [1]),
    `selected (${s.selected.length}): ${s.selected.join(', ') || '-'}`,
    `precision ${pct(s.precision)}, recall ${pct(s.recall)} against the ${s.ground_truth.length} data-derived sensitive words`,
    `donor: ${s.donor ? `${s.donor.name} (question similarity ${s.donor.similarity.toFixed(2)})` : '-'}`,
    `IG completeness gap (max, relative): ${(100 * s.completeness_max_gap).toPrecision(2)}%`,
  ].join('\n');
}
