/** Everything that happened to the project: models (with rollback), requests, runs and the audit trail. */
import { useCallback, useEffect, useState } from 'react';
import type { HistoryView, RollbackResult, UnlearnClient } from '../../../native/services/api';
import { methodLabel, pct, when } from '../format';
import { ErrorMessage, FocusHeading, Section, useAction } from './ui';

export function HistoryPanel(props: {
  client: UnlearnClient;
  busy: boolean;
  onChanged: () => void;
  onViewRun: (runId: number) => void;
}) {
  const { client, onChanged } = props;
  const [history, setHistory] = useState<HistoryView | null>(null);
  const [confirm, setConfirm] = useState<number | null>(null);
  const [result, setResult] = useState<RollbackResult | null>(null);
  const load = useAction();
  const rollback = useAction();
  const refresh = useCallback(
    () => load.run(async () => setHistory(await client.call('history.get', {}))),
    [client, load.run],
  );
  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <div>
      <FocusHeading>History</FocusHeading>
      <ErrorMessage error={load.error} />
      {history && (
        <>
          <p className={history.auditTrail.ok ? 'success' : 'error'}>
            Audit trail{' '}
            {history.auditTrail.ok
              ? `intact: ${history.auditTrail.count} events, each sealed with the hash of the one before.`
              : `BROKEN at event ${history.auditTrail.firstBadId}: the file was edited outside Unlearn Studio.`}
          </p>
          <Section title="Models">
            <table>
              <thead>
                <tr>
                  <th scope="col">Checkpoint</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Description</th>
                  <th scope="col">Created</th>
                  <th scope="col">In service</th>
                </tr>
              </thead>
              <tbody>
                {history.checkpoints.map((c) => (
                  <tr key={c.id} className={c.isCurrent ? 'current' : undefined}>
                    <th scope="row">{c.id}</th>
                    <td>{c.kind}</td>
                    <td>{c.label}</td>
                    <td>{when(c.createdAt)}</td>
                    <td>
                      {c.isCurrent ? (
                        <strong>in service</strong>
                      ) : (
                        <button
                          type="button"
                          disabled={props.busy || rollback.busy}
                          aria-label={`Put checkpoint ${c.id} back in service`}
                          onClick={() => {
                            setResult(null);
                            setConfirm(c.id);
                          }}
                        >
                          Put back in service
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {confirm !== null && (
              <fieldset className="confirm">
                <legend>Confirm the rollback</legend>
                <p>
                  Put checkpoint {confirm} back in service? Nothing is deleted: the change is recorded in the
                  audit trail and can be undone the same way.
                </p>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    rollback.run(async () => {
                      const r = await client.call('rollback', { checkpointId: confirm });
                      setResult(r);
                      setConfirm(null);
                      onChanged();
                      await refresh();
                    })
                  }
                >
                  Yes, put checkpoint {confirm} in service
                </button>{' '}
                <button type="button" onClick={() => setConfirm(null)}>
                  Keep the current model
                </button>
              </fieldset>
            )}
            <ErrorMessage error={rollback.error} />
            {result && (
              <output className="block">
                <p className="success">
                  Checkpoint {result.to} is in service again (was {result.from ?? 'none'}).
                </p>
                {result.undoesRequests.map((r) => (
                  <p key={r.id} className="warning">
                    Warning: this model was not made to forget class {r.className} (request {r.id}): it may
                    recognise that class again.
                  </p>
                ))}
              </output>
            )}
          </Section>
          <Section title="Unlearning runs">
            {history.runs.length === 0 ? (
              <p>No runs yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Request</th>
                    <th scope="col">Method</th>
                    <th scope="col">Status</th>
                    <th scope="col">Removed class, after</th>
                    <th scope="col">Other classes, after</th>
                    <th scope="col">Results</th>
                  </tr>
                </thead>
                <tbody>
                  {history.runs.map((r) => (
                    <tr key={r.id}>
                      <th scope="row">{r.id}</th>
                      <td>{r.requestId}</td>
                      <td>{methodLabel(r.method)}</td>
                      <td>
                        {r.status}
                        {r.error && <span className="hint"> ({r.error})</span>}
                      </td>
                      <td>{pct(r.metrics?.forget_test_acc)}</td>
                      <td>{pct(r.metrics?.retain_test_acc)}</td>
                      <td>
                        {r.status === 'succeeded' && (
                          <button
                            type="button"
                            aria-label={`View the results of run ${r.id}`}
                            onClick={() => props.onViewRun(r.id)}
                          >
                            View
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Deletion requests">
            {history.requests.length === 0 ? (
              <p>No requests yet.</p>
            ) : (
              <ul className="plain">
                {history.requests.map((r) => (
                  <li key={r.id}>
                    Request {r.id}: forget class {r.className}, asked by {r.requester} on {when(r.createdAt)}{' '}
                    — {r.status === 'honoured' ? `honoured by run ${r.honouredByRunId}` : 'open'}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title="Audit trail">
            <details>
              <summary>Show all {history.events.length} events</summary>
              <ol className="events">
                {history.events.map((e) => (
                  <li key={e.id}>
                    <span className="mono">{when(e.at)}</span> {e.kind}
                    {e.runId !== null && ` (run ${e.runId})`}
                    {e.checkpointId !== null && ` (checkpoint ${e.checkpointId})`} — {e.actor}
                  </li>
                ))}
              </ol>
            </details>
          </Section>
        </>
      )}
    </div>
  );
}
