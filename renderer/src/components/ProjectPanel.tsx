/** Open or create a project file; what the open project holds. */
import { useState } from 'react';
import type { ProjectSummary, UnlearnClient } from '../../../native/services/api';
import { pct, when } from '../format';
import { ErrorMessage, FocusHeading, PathField, Section, useAction } from './ui';

export function ProjectPanel(props: {
  client: UnlearnClient;
  summary: ProjectSummary | null;
  onSummary: (s: ProjectSummary | null) => void;
}) {
  const { client, summary, onSummary } = props;
  const [newPath, setNewPath] = useState('');
  const [openPath, setOpenPath] = useState('');
  const create = useAction();
  const open = useAction();
  const close = useAction();

  return (
    <div>
      <FocusHeading>Project</FocusHeading>
      <p className="lead">
        A project is one file that keeps the dataset, every version of the model, the deletion requests and an
        audit trail that cannot be edited unnoticed.
      </p>
      {summary && (
        <Section title="Open project">
          <dl className="facts">
            <dt>File</dt>
            <dd className="mono">{summary.file}</dd>
            <dt>Datasets</dt>
            <dd>
              {summary.datasets.length === 0
                ? 'none yet'
                : summary.datasets
                    .map(
                      (d) => `${d.name} (${d.sizes.train} training images, ${d.classNames.length} classes)`,
                    )
                    .join('; ')}
            </dd>
            <dt>Model in service</dt>
            <dd>
              {summary.currentCheckpoint
                ? `${summary.currentCheckpoint.label} — checkpoint ${summary.currentCheckpoint.id}${
                    typeof summary.currentCheckpoint.metadata.testAcc === 'number'
                      ? `, test accuracy ${pct(summary.currentCheckpoint.metadata.testAcc)}`
                      : ''
                  }`
                : 'none yet'}
            </dd>
            <dt>Deletion requests</dt>
            <dd>
              {summary.requests.length} ({summary.requests.filter((r) => r.status === 'open').length} open)
            </dd>
            <dt>Unlearning runs</dt>
            <dd>{summary.runs.length}</dd>
            {summary.recovered.length > 0 && (
              <>
                <dt>Recovered</dt>
                <dd>
                  Runs {summary.recovered.join(', ')} were interrupted when the app last stopped; they can be
                  started again.
                </dd>
              </>
            )}
            <dt>Created</dt>
            <dd>{when(summary.datasets[0]?.createdAt)}</dd>
          </dl>
          <button
            type="button"
            disabled={close.busy}
            onClick={() =>
              close.run(async () => {
                await client.call('project.close', {});
                onSummary(null);
              })
            }
          >
            Close project
          </button>
          <ErrorMessage error={close.error} />
        </Section>
      )}
      <div className="two-col">
        <Section title="Create a new project">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void create.run(async () => onSummary(await client.call('project.create', { path: newPath })));
            }}
          >
            <PathField
              label="New project file"
              value={newPath}
              onChange={setNewPath}
              client={client}
              pick="new-project"
              placeholder="/home/me/studies/mnist.unlearn"
              hint="A file that does not exist yet; by convention it ends in .unlearn."
            />
            <button type="submit" className="primary" disabled={create.busy || newPath.trim() === ''}>
              {create.busy ? 'Creating…' : 'Create project'}
            </button>
            <ErrorMessage error={create.error} />
          </form>
        </Section>
        <Section title="Open an existing project">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void open.run(async () => onSummary(await client.call('project.open', { path: openPath })));
            }}
          >
            <PathField
              label="Project file"
              value={openPath}
              onChange={setOpenPath}
              client={client}
              pick="open-project"
              placeholder="/home/me/studies/mnist.unlearn"
            />
            <button type="submit" disabled={open.busy || openPath.trim() === ''}>
              {open.busy ? 'Opening…' : 'Open project'}
            </button>
            <ErrorMessage error={open.error} />
          </form>
        </Section>
      </div>
    </div>
  );
}
