/** `unlearn history P [--json]`: datasets, checkpoints, concept banks, requests, runs and the audit trail. */
import { UserError } from '../../errors';
import {
  SCHEMA_VERSION,
  currentCheckpointId,
  listCheckpoints,
  listConceptBanks,
  listDatasets,
  listEvents,
  listRequests,
  listRuns,
  read,
  verifyEventChain,
  withProject,
} from '../../store';
import { json, out, parseCommand, pct } from './args';

export const HISTORY_USAGE = 'history P [--json]';

export async function historyCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(argv, { json: { type: 'boolean' } }, HISTORY_USAGE);
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const h = await withProject(file, ({ db }) =>
    read(db, () => ({
      project: {
        file,
        schemaVersion: SCHEMA_VERSION,
        currentCheckpointId: currentCheckpointId(db),
        auditTrail: verifyEventChain(db),
      },
      datasets: listDatasets(db),
      checkpoints: listCheckpoints(db),
      conceptBanks: listConceptBanks(db).map(({ analysis, ...b }) => ({
        ...b,
        pcbm: analysis?.pcbmReport ?? null,
      })),
      requests: listRequests(db),
      runs: listRuns(db),
      events: listEvents(db),
    })),
  );
  if (values.json) {
    json(h);
    return;
  }
  const lines: string[] = [];
  lines.push(`project ${file} (schema ${h.project.schemaVersion})`);
  lines.push('', 'datasets:');
  for (const d of h.datasets) {
    lines.push(
      `  ${d.id}  ${d.name}  ${d.sizes.train}/${d.sizes.test}/${d.sizes.heldout} ${d.kind === 'text' ? 'train/paraphrase/held-out  text' : `train/test/held-out  ${d.shape.join('x')}`}  ${d.classNames.length} classes  sha256 ${d.contentHash.slice(0, 12)}…  ${d.createdAt}`,
    );
  }
  lines.push('', 'checkpoints:');
  for (const c of h.checkpoints) {
    lines.push(
      `${c.isCurrent ? '* ' : '  '}${c.id}  ${c.kind.padEnd(9)} parent ${c.parentId ?? '-'}  ${c.label}  sha256 ${c.contentHash.slice(0, 12)}…  ${c.createdAt}`,
    );
  }
  lines.push('', 'concept banks:');
  for (const b of h.conceptBanks) {
    lines.push(
      `  ${b.id}  checkpoint ${b.checkpointId}  ${b.source.padEnd(13)} ${b.numConcepts} concepts (${b.numDropped} dropped) on '${b.embeddingLayer}'${b.pcbm ? `  PCBM test ${pct(b.pcbm.accuracy)} fidelity ${pct(b.pcbm.fidelity)}` : ''}  sha256 ${b.contentHash.slice(0, 12)}…  ${b.createdAt}`,
    );
  }
  lines.push('', 'deletion requests:');
  for (const r of h.requests) {
    lines.push(
      `  ${r.id}  class '${r.className}' (${r.classIndex})  by ${r.requester}  ${r.status}${r.honouredByRunId ? ` by run ${r.honouredByRunId}` : ''}  ${r.createdAt}`,
    );
  }
  lines.push('', 'runs:');
  for (const r of h.runs) {
    const m = r.metrics;
    const lm = r.lmMetrics;
    const measures = m
      ? `  forget-test ${pct(m.forget_test_acc)} retain-test ${pct(m.retain_test_acc)}`
      : lm
        ? `  forget-terms ${pct(lm.forget_term_rate)} retain-rougeL ${lm.retain_answer_rouge_l.toFixed(3)}`
        : '';
    lines.push(
      `  ${r.id}  request ${r.requestId}  ${r.method.padEnd(16)} ${r.status.padEnd(11)} checkpoint ${r.inputCheckpointId} → ${r.outputCheckpointId ?? '-'}${measures}${r.error ? `  (${r.error})` : ''}  ${r.startedAt ?? r.createdAt}`,
    );
  }
  lines.push(
    '',
    `events (${h.project.auditTrail.ok ? 'hash chain intact' : `HASH CHAIN BROKEN at event ${h.project.auditTrail.firstBadId}`}):`,
  );
  for (const e of h.events) {
    const refs = [
      e.datasetId && `dataset ${e.datasetId}`,
      e.checkpointId && `checkpoint ${e.checkpointId}`,
      e.requestId && `request ${e.requestId}`,
      e.runId && `run ${e.runId}`,
      typeof e.details.bankId === 'number' && `concept bank ${e.details.bankId}`,
    ].filter(Boolean);
    lines.push(`  ${String(e.id).padStart(4)}  ${e.at}  ${e.kind.padEnd(20)} ${refs.join(', ')}  ${e.actor}`);
  }
  out(lines.join('\n'));
}
