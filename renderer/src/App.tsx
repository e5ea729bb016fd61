/** The app: a navigation between the project, dataset, training, unlearning wizard and history views. */
import { useCallback, useEffect, useState } from 'react';
import type { Catalog, JobSnapshot, ProjectSummary, UnlearnClient } from '../../native/services/api';
import { connect, errorText } from './client';
import { DatasetPanel } from './components/DatasetPanel';
import { HistoryPanel } from './components/HistoryPanel';
import { ProjectPanel } from './components/ProjectPanel';
import { TrainPanel } from './components/TrainPanel';
import { INITIAL_WIZARD, Wizard, type WizardState } from './components/Wizard';
import { ErrorMessage } from './components/ui';
import { latestJob, useJobs } from './jobs';

type View = 'project' | 'dataset' | 'train' | 'unlearn' | 'history';

export function App() {
  const [client, setClient] = useState<UnlearnClient | null>(null);
  const [lost, setLost] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    connect(() => setLost(true)).then(setClient, (e) => setError(errorText(e)));
  }, []);
  if (!client) {
    return (
      <main className="app">
        <h1>Unlearn Studio</h1>
        {error ? <ErrorMessage error={error} /> : <p aria-live="polite">Connecting…</p>}
      </main>
    );
  }
  return <Studio client={client} lost={lost} />;
}

function Studio({ client, lost }: { client: UnlearnClient; lost: boolean }) {
  const [view, setView] = useState<View>('project');
  const [summary, setSummary] = useState<ProjectSummary | null>(null);
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [wizard, setWizard] = useState<WizardState>(INITIAL_WIZARD);
  const [error, setError] = useState<string | null>(null);
  const { jobs, register } = useJobs(client);

  const refresh = useCallback(() => {
    client.call('project.summary', {}).then(setSummary, (e) => setError(errorText(e)));
  }, [client]);

  useEffect(() => {
    refresh();
    client.call('catalog.get', {}).then(setCatalog, (e) => setError(errorText(e)));
  }, [client, refresh]);

  // The project summary changes when a job ends (a new model, a honoured request).
  const finished = Object.values(jobs).filter((j) => j.status !== 'running').length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh when the count of finished jobs changes
  useEffect(() => {
    if (finished > 0) refresh();
  }, [finished]);

  const onSummary = (s: ProjectSummary | null) => {
    setSummary(s);
    setWizard(INITIAL_WIZARD);
    if (s) setView(s.datasets.length === 0 ? 'dataset' : s.currentCheckpoint ? 'unlearn' : 'train');
  };
  const onStarted = (job: JobSnapshot) => {
    register(job);
    refresh();
  };

  const running = Object.values(jobs).some((j) => j.status === 'running');
  const nav: { key: View; label: string; enabled: boolean }[] = [
    { key: 'project', label: 'Project', enabled: true },
    { key: 'dataset', label: 'Dataset', enabled: summary !== null },
    { key: 'train', label: 'Train', enabled: (summary?.datasets.length ?? 0) > 0 },
    { key: 'unlearn', label: 'Unlearn', enabled: summary?.currentCheckpoint != null },
    { key: 'history', label: 'History', enabled: summary !== null },
  ];

  return (
    <div className="app">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="top">
        <h1>Unlearn Studio</h1>
        <p className="project-file">{summary ? summary.file : 'No project open'}</p>
      </header>
      <nav aria-label="Main" className="main-nav">
        <ul>
          {nav.map((n) => (
            <li key={n.key}>
              <button
                type="button"
                aria-current={view === n.key ? 'page' : undefined}
                disabled={!n.enabled}
                onClick={() => setView(n.key)}
              >
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        {running && (
          <p className="running-badge" aria-live="polite">
            A job is running
          </p>
        )}
      </nav>
      <main id="content" className="content">
        {lost && (
          <p role="alert" className="error">
            The connection to the Unlearn Studio server was lost. Restart it (npm run serve) and reload this
            page.
          </p>
        )}
        <ErrorMessage error={error} />
        {view === 'project' && <ProjectPanel client={client} summary={summary} onSummary={onSummary} />}
        {view === 'dataset' && summary && (
          <DatasetPanel client={client} summary={summary} onChanged={refresh} />
        )}
        {view === 'train' && summary && catalog && (
          <TrainPanel
            client={client}
            summary={summary}
            catalog={catalog}
            job={latestJob(jobs, 'train')}
            onStarted={onStarted}
          />
        )}
        {view === 'unlearn' && summary && catalog && (
          <Wizard
            client={client}
            summary={summary}
            catalog={catalog}
            state={wizard}
            setState={setWizard}
            jobs={jobs}
            onStarted={onStarted}
            onChanged={refresh}
          />
        )}
        {view === 'history' && summary && (
          <HistoryPanel
            client={client}
            busy={running}
            onChanged={refresh}
            onViewRun={(runId) => {
              setWizard({ ...INITIAL_WIZARD, runId, step: 5 });
              setView('unlearn');
            }}
          />
        )}
      </main>
    </div>
  );
}
