/** The report of `unlearn verify` on a language model (../../verification/lmCheckpoint.ts). */
import { describeBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import type { LmCheckpointVerification } from '../../verification/lmCheckpoint';
import { json, out, pct, say } from './args';

/** Prints the verification (as text or JSON); a UserError when it failed. */
export function verifyLmCommand(file: string, v: LmCheckpointVerification, asJson: boolean): void {
  say(describeBackend(v.backend));
  const report = {
    ok: v.ok,
    file: { integrity: v.integrity, foreignKeyViolations: v.foreignKeyViolations, auditTrail: v.auditTrail },
    checkpoint: {
      id: v.checkpoint.id,
      modelKind: 'lm',
      contentHash: v.checkpoint.contentHash,
      hashVerified: true,
    },
    dataset: { id: v.dataset.id, kind: 'text', contentHash: v.dataset.contentHash, hashVerified: true },
    forgetClass: v.forgetClass,
    forgetClassName: v.forgetClassName,
    forgetClassSource: v.forgetClassSource,
    seed: v.seed,
    metrics: v.metrics,
    comparisons: v.comparisons,
  };
  if (asJson) {
    json(report);
  } else {
    const m = v.metrics;
    const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
    out(
      [
        `file: integrity ${v.integrity.join('; ')}, ${v.foreignKeyViolations} foreign-key violations, audit trail ${v.auditTrail.ok ? `intact (${v.auditTrail.count} events)` : `BROKEN at event ${v.auditTrail.firstBadId}`}`,
        `language model ${v.checkpoint.id}: sha256 ${v.checkpoint.contentHash} verified (weights and tokenizer)`,
        `text dataset ${v.dataset.id}: sha256 ${v.dataset.contentHash} verified`,
        `metrics for forget class '${v.forgetClassName}' (${v.forgetClass}, from ${v.forgetClassSource}):`,
        `  forget term rate ${pct(m.forget_term_rate)}  forget ROUGE-L ${num(m.forget_answer_rouge_l)}  paraphrase term rate ${pct(m.paraphrase_term_rate)}  retain ROUGE-L ${num(m.retain_answer_rouge_l)}  held-out perplexity ${num(m.heldout_perplexity)}  MIA AUC ${num(m.mia_auc)}`,
        ...v.comparisons.map(
          (c) =>
            `  ${c.matches ? 'matches' : 'DIFFERS FROM'} the metrics stored by run ${c.runId} (as its ${c.as}; max difference ${c.maxAbsDiff.toExponential(2)})`,
        ),
      ].join('\n'),
    );
  }
  if (!v.ok) throw new UserError(`verification of ${file} failed (see the report above)`);
}
