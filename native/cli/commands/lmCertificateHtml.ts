/**
 * A language-model run's certificate as one self-contained, printable HTML page, laid out as the image
 * certificate (./certificateHtml.ts: same style, sections and audit trail), with the language-model
 * measures and example answers instead of accuracies. Every value from the project file is escaped.
 */
import type { LmEvaluation } from '../../llm/evaluation/evaluate';
import {
  auditSection,
  esc,
  modelRows,
  pageTop,
  paramRows,
  pct,
  requestSection,
  runSection,
  serviceSentence,
  when,
} from './certificateHtml';
import type { LmAnswer, LmCertificateData } from './lmCertificate';

type Measure = { key: keyof LmEvaluation; label: string; better: string; percent: boolean };

/** Plain-language names of the measures, in the order they are shown. */
const MEASURES: Measure[] = [
  {
    key: 'forget_term_rate',
    label: 'Answers about the subject that still reveal one of its facts',
    better: 'close to 0%',
    percent: true,
  },
  {
    key: 'forget_answer_rouge_l',
    label: 'Overlap of those answers with the original answers (ROUGE-L)',
    better: 'low',
    percent: false,
  },
  {
    key: 'paraphrase_term_rate',
    label: 'Reworded questions about the subject that still reveal a fact',
    better: 'close to 0%',
    percent: true,
  },
  {
    key: 'retain_answer_rouge_l',
    label: 'Answers on other subjects, overlap with the true answers (ROUGE-L)',
    better: 'stay high',
    percent: false,
  },
  {
    key: 'heldout_perplexity',
    label: 'Perplexity on unseen generic text',
    better: 'stay low',
    percent: false,
  },
  {
    key: 'mia_auc',
    label: 'Membership test: tells the subject’s training questions from unseen rewordings (AUC)',
    better: 'close to 0.5',
    percent: false,
  },
];

function value(m: Measure, v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'n/a';
  return m.percent ? pct(v) : v.toFixed(3);
}

function answerRows(before: LmAnswer[], after: LmAnswer[]): string {
  return after
    .map(
      (a, i) =>
        `<tr><td>${esc(a.prompt)}</td><td>${esc(before[i]?.answer ?? '')}</td><td><strong>${esc(a.answer)}</strong></td></tr>`,
    )
    .join('');
}

export function renderLmCertificateHtml(d: LmCertificateData): string {
  const cls = d.request.className;
  const b = d.before.metrics;
  const a = d.after.metrics;
  const r = d.retrain?.metrics;
  const metricRows = MEASURES.map(
    (m) =>
      `<tr><th>${esc(m.label)}</th><td>${value(m, b[m.key])}</td><td><strong>${value(m, a[m.key])}</strong></td>${r ? `<td>${value(m, r[m.key])}</td>` : ''}<td class="muted">${esc(m.better)}</td></tr>`,
  ).join('');
  const params = paramRows(d.run.parameters);
  const service = serviceSentence(d.run.honoursRequest);
  return `${pageTop(d.request.id, d.run.id, d.generatedAt)}

<div class="summary">
<p>On ${esc(when(d.request.createdAt))}, <strong>${esc(d.request.requester)}</strong> asked that the language model forget what it learnt about <strong>“${esc(cls)}”</strong>.</p>
<p>On ${esc(when(d.run.finishedAt))} the method <strong>${esc(d.run.method)}</strong> produced a new model. Its answers to questions about “${esc(cls)}” revealed one of the subject’s facts <strong>${pct(b.forget_term_rate)}</strong> of the time before and <strong>${pct(a.forget_term_rate)}</strong> after. On other subjects, the overlap of its answers with the true ones went from ${value(MEASURES[3], b.retain_answer_rouge_l)} to ${value(MEASURES[3], a.retain_answer_rouge_l)} (ROUGE-L).</p>
<p>${esc(service)}</p>
</div>

${requestSection(d.request, cls, 'Subject')}

<h2>Data and models</h2>
<table>
<tr><th>Dataset</th><td>${esc(d.dataset.name)}: ${esc(d.dataset.sizes.train)} training texts, ${esc(d.dataset.sizes.paraphrase)} held-out reworded questions and ${esc(d.dataset.sizes.heldout)} held-out generic texts, ${esc(d.dataset.classNames.length)} classes<br><span class="hash">sha256 ${esc(d.dataset.contentHash)}</span></td></tr>
${modelRows(d)}
</table>
<p class="muted">Every hash above was recomputed from the stored data when this certificate was made and matched.</p>

${runSection(d.run, params)}

<h2>Results</h2>
<table class="metrics">
<tr><th>Measure</th><th>Before</th><th>After</th>${r ? '<th>Retrained</th>' : ''}<th>Goal</th></tr>
${metricRows}
</table>
${d.retrain ? '' : '<p class="muted">No model retrained from scratch exists for this request, so the comparison with the exact reference is not shown.</p>'}

<h2>Example answers</h2>
<p class="muted">The model’s answers to some training questions about “${esc(cls)}”, before and after.</p>
<table>
<tr><th>Question</th><th>Before</th><th>After</th></tr>
${answerRows(d.before.answers, d.after.answers)}
</table>

${auditSection(d.project, d.events)}

<footer>
<p>Project file: <span class="hash">${esc(d.project.file)}</span>.</p>
<p>“Membership test”: how well the model’s loss separates the questions about the subject it was trained on from reworded questions it never saw. After good unlearning it should not separate them (AUC near 0.5).</p>
</footer>
</body>
</html>
`;
}
