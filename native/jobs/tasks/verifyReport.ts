/**
 * The `verify` task: `unlearn verify` for the app (verification/checkpoint.ts: file integrity, foreign keys,
 * the audit trail, the hashes, the metrics recomputed and compared with the stored ones), in a worker
 * process, as the contract's VerifyReport.
 */
import type { VerifyReport } from '../../services/api';
import type { Db } from '../../store';
import { verifyCheckpoint } from '../../verification/checkpoint';
import { metricsValue } from './metricsValue';

export async function verifyReport(
  db: Db,
  opts: { checkpointId?: number; forgetClass?: number },
): Promise<VerifyReport> {
  const v = await verifyCheckpoint(db, { checkpointId: opts.checkpointId, forgetClass: opts.forgetClass });
  return {
    ok: v.ok,
    integrity: v.integrity,
    foreignKeyViolations: v.foreignKeyViolations,
    auditTrail: v.auditTrail,
    checkpointId: v.checkpoint.id,
    contentHash: v.checkpoint.contentHash,
    datasetId: v.dataset.id,
    datasetHash: v.dataset.contentHash,
    forgetClass: v.forgetClass,
    forgetClassName: v.forgetClassName,
    metrics: metricsValue(v.metrics),
    comparisons: v.comparisons.map((c) => ({
      ...c,
      maxAbsDiff: Number.isFinite(c.maxAbsDiff) ? c.maxAbsDiff : null,
    })),
  };
}
