/** A running (or finished) job: its stages, the current stage's progress and time left, a live chart. */
import type { JobSnapshot, UnlearnClient } from '../../../native/services/api';
import { duration, stageLabel } from '../format';
import { ProgressChart } from './Charts';
import { ErrorMessage, ProgressBar, useAction } from './ui';

const STATUS_TEXT: Record<JobSnapshot['status'], string> = {
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

export function JobProgress(props: {
  client: UnlearnClient;
  job: JobSnapshot;
  /** The caption of the live loss chart; no chart without it. */
  chartCaption?: string;
}) {
  const { client, job } = props;
  const cancel = useAction();
  const running = job.status === 'running';
  const current = `${job.phase}:${job.stage}`;
  return (
    <div className="job">
      <p className={`job-status status-${job.status}`} aria-live="polite">
        <strong>{STATUS_TEXT[job.status]}</strong>
        {running && job.cancelRequested && ' — stopping at the next step…'}
        {running && !job.cancelRequested && ` — ${stageLabel(current)}`}
        {running && job.etaSeconds !== null && `, about ${duration(job.etaSeconds)} left in this stage`}
      </p>
      <ol className="stages" aria-label="Stages">
        {job.stagesSeen.map((key) => {
          const active = running && key === current;
          return (
            <li key={key} className={active ? 'active' : 'done'} aria-current={active ? 'step' : undefined}>
              <span aria-hidden="true">{active ? '▶' : '✓'}</span> {stageLabel(key)}
            </li>
          );
        })}
      </ol>
      {running && <ProgressBar value={job.fraction} label={`Progress of: ${stageLabel(current)}`} />}
      {props.chartCaption && <ProgressChart points={job.points} caption={props.chartCaption} />}
      {running && (
        <button
          type="button"
          className="danger"
          disabled={job.cancelRequested || cancel.busy}
          onClick={() => cancel.run(() => client.call('job.cancel', { jobId: job.id }))}
        >
          {job.cancelRequested ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      <ErrorMessage error={cancel.error} />
      {!running && job.status !== 'succeeded' && (
        <p role="alert" className="error">
          {STATUS_TEXT[job.status]}: {job.error ?? 'no reason given'}
        </p>
      )}
    </div>
  );
}
