/**
 * `unlearn verify P [--checkpoint ID] [--class C] [--json]`: checks the file (SQLite integrity, foreign
 * keys, the audit trail's hash chain), loads a checkpoint and its dataset with their hashes checked,
 * recomputes evaluate()'s metrics and compares them with the metrics stored by the runs.
 */
import { describeBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import { getCheckpoint, requireCurrentCheckpoint, withProject } from '../../store';
import { verifyCheckpoint } from '../../verification/checkpoint';
import { verifyLmCheckpoint } from '../../verification/lmCheckpoint';
import { json, out, parseCommand, pct, positiveInt, say } from './args';
import { verifyLmCommand } from './verifyLm';

export const VERIFY_USAGE = 'verify P [--checkpoint ID] [--class NAME_OR_INDEX] [--json]';

/** Largest absolute difference between two metric sets (numbers and per-class lists). */
export async function verifyCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, class: { type: 'string' }, json: { type: 'boolean' } },
    VERIFY_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const id = positiveInt(values.checkpoint, 'checkpoint');
  const lm = await withProject(file, async ({ db }) => {
    const c = id !== undefined ? getCheckpoint(db, id) : requireCurrentCheckpoint(db);
    return c.modelKind === 'lm' ? verifyLmCheckpoint(db, c, values.class) : null;
  });
  if (lm !== null) {
    verifyLmCommand(file, lm, values.json === true);
    return;
  }
  const report = await withProject(file, async ({ db }) => {
    const v = await verifyCheckpoint(db, { checkpointId: id, forgetClass: values.class });
    say(describeBackend(v.backend));
    return {
      ok: v.ok,
      file: {
        integrity: v.integrity,
        foreignKeyViolations: v.foreignKeyViolations,
        auditTrail: v.auditTrail,
      },
      checkpoint: { id: v.checkpoint.id, contentHash: v.checkpoint.contentHash, hashVerified: true },
      dataset: { id: v.dataset.id, contentHash: v.dataset.contentHash, hashVerified: true },
      forgetClass: v.forgetClass,
      forgetClassName: v.forgetClassName,
      forgetClassSource: v.forgetClassSource,
      seed: v.seed,
      metrics: v.metrics,
      comparisons: v.comparisons,
    };
  });
  if (values.json) {
    json(report);
  } else {
    const m = report.metrics;
    const lines = [
      `file: integrity ${report.file.integrity.join('; ')}, ${report.file.foreignKeyViolations} foreign-key violations, audit trail ${report.file.auditTrail.ok ? `intact (${report.file.auditTrail.count} events)` : `BROKEN at event ${report.file.auditTrail.firstBadId}`}`,
      `checkpoint ${report.checkpoint.id}: sha256 ${report.checkpoint.contentHash} verified`,
      `dataset ${report.dataset.id}: sha256 ${report.dataset.contentHash} verified`,
      `metrics for forget class '${report.forgetClassName}' (${report.forgetClass}, from ${report.forgetClassSource}):`,
      `  test ${pct(m.test_acc)}  forget-train ${pct(m.forget_train_acc)}  forget-test ${pct(m.forget_test_acc)}  retain-train ${pct(m.retain_train_acc)}  retain-test ${pct(m.retain_test_acc)}  MIA forget rate ${pct(m.mia_forget_rate)}`,
      ...report.comparisons.map(
        (c) =>
          `  ${c.matches ? 'matches' : 'DIFFERS FROM'} the metrics stored by run ${c.runId} (as its ${c.as}; max difference ${c.maxAbsDiff.toExponential(2)})`,
      ),
    ];
    out(lines.join('\n'));
  }
  if (!report.ok) throw new UserError(`verification of ${file} failed (see the report above)`);
}
