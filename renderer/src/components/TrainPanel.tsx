/** Train the original model, with a live loss and accuracy chart. */
import { useId, useState } from 'react';
import type { Catalog, JobSnapshot, ProjectSummary, UnlearnClient } from '../../../native/services/api';
import { pct } from '../format';
import { JobProgress } from './JobProgress';
import { ErrorMessage, FocusHeading, NumberField, Section, useAction } from './ui';

export function TrainPanel(props: {
  client: UnlearnClient;
  summary: ProjectSummary;
  catalog: Catalog;
  job: JobSnapshot | undefined;
  onStarted: (job: JobSnapshot) => void;
}) {
  const { client, summary, catalog, job } = props;
  const [arch, setArch] = useState(catalog.archs[0]?.name ?? 'cnn-ref');
  const [epochs, setEpochs] = useState('2');
  const [seed, setSeed] = useState('1');
  const start = useAction();
  const archId = useId();
  const busy = summary.activeJob !== null || job?.status === 'running';
  const current = summary.currentCheckpoint;

  return (
    <div>
      <FocusHeading>Train the model</FocusHeading>
      <p className="lead">
        Trains a small convolutional network from scratch on the dataset. It becomes the model the project
        serves; unlearning starts from it.
      </p>
      {current && (
        <p className="note">
          Model in service: {current.label} (checkpoint {current.id})
          {typeof current.metadata.testAcc === 'number' && `, test accuracy ${pct(current.metadata.testAcc)}`}
          .
        </p>
      )}
      <Section title="Settings">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void start.run(async () =>
              props.onStarted(
                await client.call('train.start', { arch, epochs: Number(epochs), seed: Number(seed) || 0 }),
              ),
            );
          }}
        >
          <div className="field">
            <label htmlFor={archId}>Architecture</label>
            <select id={archId} value={arch} onChange={(e) => setArch(e.target.value)}>
              {catalog.archs.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name} — {a.description}
                </option>
              ))}
            </select>
          </div>
          <NumberField
            label="Epochs"
            value={epochs}
            onChange={setEpochs}
            min={1}
            max={200}
            step={1}
            hint="Passes over the training images. More is more accurate and slower."
          />
          <details>
            <summary>Advanced settings</summary>
            <NumberField label="Random seed" value={seed} onChange={setSeed} step={1} />
          </details>
          <button type="submit" className="primary" disabled={busy || start.busy || !(Number(epochs) >= 1)}>
            {busy ? 'Training…' : 'Train model'}
          </button>
          <ErrorMessage error={start.error} />
        </form>
      </Section>
      {job && (
        <Section title="Training">
          <JobProgress
            client={client}
            job={job}
            chartCaption="Training loss and accuracy on a sample of test images"
          />
          {job.status === 'succeeded' && (
            <output className="success block">
              Model trained: checkpoint {job.checkpointId} is now in service
              {current?.id === job.checkpointId && typeof current.metadata.testAcc === 'number'
                ? `, test accuracy ${pct(current.metadata.testAcc)}`
                : ''}
              .
            </output>
          )}
        </Section>
      )}
    </div>
  );
}
