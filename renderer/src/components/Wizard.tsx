/**
 * The unlearning wizard: 1 select the class (and record the deletion request), 2 inspect what the model does
 * with it and its concepts (./ConceptStep.tsx), 3 choose the method (./MethodStep.tsx), 4 run it, 5 verify
 * the result and export the model and the certificate.
 */
import { useEffect, useId, useState } from 'react';
import type {
  Catalog,
  JobSnapshot,
  Metrics,
  ProjectSummary,
  RunDetail,
  RunInfo,
  SavedFiles,
  UnlearnClient,
  VerifyReport,
} from '../../../native/services/api';
import type { ConceptChoice } from '../conceptChoice';
import { duration, methodLabel, pct } from '../format';
import { PerClassChart } from './Charts';
import { ConceptStep } from './ConceptStep';
import { JobProgress } from './JobProgress';
import { MethodStep } from './MethodStep';
import { ErrorMessage, FocusHeading, Section, useAction } from './ui';
import { useClasses } from './useClasses';

export interface WizardState {
  step: 1 | 2 | 3 | 4 | 5;
  classIndex: number | null;
  requestId: number | null;
  requester: string;
  method: string;
  /** The concept methods' `mode`: mask, patch or none. */
  mode: string;
  /** Option values as typed (numbers as text). */
  options: Record<string, string | boolean>;
  seed: string;
  /** Also run retrain for comparison. */
  compare: boolean;
  /** Other methods also run for comparison. */
  compareWith: string[];
  /** The concept job of step 2. */
  conceptJobId: string | null;
  /** The concepts, k and donor chosen in step 2. */
  concepts: ConceptChoice | null;
  jobId: string | null;
  runId: number | null;
}

export const INITIAL_WIZARD: WizardState = {
  step: 1,
  classIndex: null,
  requestId: null,
  requester: '',
  method: 'concept_targeted',
  mode: 'mask',
  options: {},
  seed: '1',
  compare: false,
  compareWith: [],
  conceptJobId: null,
  concepts: null,
  jobId: null,
  runId: null,
};

const STEPS = ['Select class', 'Inspect', 'Choose method', 'Run', 'Verify'] as const;

export interface WizardProps {
  client: UnlearnClient;
  summary: ProjectSummary;
  catalog: Catalog;
  state: WizardState;
  setState: (fn: (s: WizardState) => WizardState) => void;
  jobs: Record<string, JobSnapshot>;
  onStarted: (job: JobSnapshot) => void;
  onChanged: () => void;
}

type Props = WizardProps;

export function Wizard(props: Props) {
  const { state, setState, jobs } = props;
  const job = state.jobId ? jobs[state.jobId] : undefined;
  const running = job?.status === 'running';
  const reachable = (n: number) => {
    // A concept job keeps the wizard in step 2.
    if (state.conceptJobId && jobs[state.conceptJobId]?.status === 'running') return n === 2;
    if (running) return n === 4;
    if (n === 1) return true;
    if (n <= 3) return state.requestId !== null;
    if (n === 4) return state.jobId !== null;
    return state.runId !== null;
  };
  return (
    <div>
      <FocusHeading>Unlearn a class</FocusHeading>
      <nav aria-label="Unlearning steps" className="steps">
        <ol>
          {STEPS.map((label, i) => {
            const n = (i + 1) as WizardState['step'];
            return (
              <li key={label}>
                <button
                  type="button"
                  aria-current={state.step === n ? 'step' : undefined}
                  disabled={!reachable(n)}
                  onClick={() => setState((s) => ({ ...s, step: n }))}
                >
                  <span className="step-number">{n}</span> {label}
                </button>
              </li>
            );
          })}
        </ol>
      </nav>
      {state.step === 1 && <SelectClass {...props} />}
      {state.step === 2 && <ConceptStep {...props} />}
      {state.step === 3 && <MethodStep {...props} />}
      {state.step === 4 && <RunStep {...props} job={job} />}
      {state.step === 5 && state.runId !== null && <Verify {...props} runId={state.runId} />}
    </div>
  );
}

function SelectClass({ client, summary, state, setState, onChanged }: Props) {
  const { classes, busy, error } = useClasses(client, summary.currentCheckpoint?.id);
  const create = useAction();
  const requesterId = useId();
  const open = summary.requests.filter((r) => r.status === 'open');
  if (!summary.currentCheckpoint) {
    return (
      <p className="note">Train or import a model first: unlearning starts from the model in service.</p>
    );
  }
  return (
    <div>
      <FocusHeading level={3}>Step 1: Which class should the model forget?</FocusHeading>
      {busy && <p aria-live="polite">Measuring the model on each class…</p>}
      <ErrorMessage error={error} />
      {classes && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const cls = state.classIndex;
            if (cls === null) return;
            void create.run(async () => {
              const req = await client.call('request.create', {
                classIndex: cls,
                ...(state.requester.trim() ? { requester: state.requester.trim() } : {}),
              });
              onChanged();
              setState((s) => ({ ...s, requestId: req.id, step: 2 }));
            });
          }}
        >
          <fieldset className="class-grid">
            <legend>
              Class to forget (model accuracy on all test images: {pct(classes.testAcc)}, checkpoint{' '}
              {classes.checkpointId})
            </legend>
            {classes.classes.map((c) => (
              <label key={c.index} className={`class-card${state.classIndex === c.index ? ' selected' : ''}`}>
                <input
                  type="radio"
                  name="forget-class"
                  value={c.index}
                  checked={state.classIndex === c.index}
                  onChange={() =>
                    setState((s) => ({
                      ...s,
                      classIndex: c.index,
                      requestId: null,
                      conceptJobId: null,
                      concepts: null,
                    }))
                  }
                  aria-label={`Class ${c.name}: ${c.trainCount} training images, test accuracy ${pct(c.testAcc)}`}
                />
                {c.thumbnail && <img src={c.thumbnail} alt="" width={42} height={42} />}
                <span className="class-name">Class {c.name}</span>
                <span className="hint">
                  {c.trainCount} images · {pct(c.testAcc, 0)} correct
                </span>
              </label>
            ))}
          </fieldset>
          <Section title="Deletion request">
            <div className="field">
              <label htmlFor={requesterId}>Requested by</label>
              <input
                id={requesterId}
                type="text"
                value={state.requester}
                placeholder="name, reference number or e-mail of the person asking"
                onChange={(e) => setState((s) => ({ ...s, requester: e.target.value }))}
              />
              <p className="hint">
                Recorded in the audit trail and on the certificate. Empty: your user name.
              </p>
            </div>
            <button type="submit" className="primary" disabled={state.classIndex === null || create.busy}>
              Record the request and continue
            </button>
            <ErrorMessage error={create.error} />
          </Section>
        </form>
      )}
      {open.length > 0 && (
        <Section title="Open requests">
          <ul className="plain">
            {open.map((r) => (
              <li key={r.id}>
                Request {r.id}: class {r.className}, by {r.requester}{' '}
                <button
                  type="button"
                  onClick={() =>
                    setState((s) => ({
                      ...s,
                      requestId: r.id,
                      classIndex: r.classIndex,
                      step: 2,
                      ...(s.classIndex === r.classIndex ? {} : { conceptJobId: null, concepts: null }),
                    }))
                  }
                >
                  Continue with request {r.id}
                </button>
              </li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}

function RunStep({ client, state, setState, job, onChanged }: Props & { job: JobSnapshot | undefined }) {
  const status = job?.status;
  // biome-ignore lint/correctness/useExhaustiveDependencies: react to the job's end only
  useEffect(() => {
    if (!job || status === 'running') return;
    onChanged();
    if (status === 'succeeded' && job.runIds.length > 0) {
      setState((s) => ({ ...s, runId: job.runIds[0], step: 5 }));
    }
  }, [status]);
  return (
    <div>
      <FocusHeading level={3}>Step 4: Unlearning</FocusHeading>
      {!job && <p>Starting…</p>}
      {job && (
        <>
          <p>
            {methodLabel(state.method)}
            {job.phases.length > 1 &&
              `, then for comparison: ${job.phases
                .slice(1)
                .map((p) => methodLabel(p))
                .join(', ')}`}
            . Elapsed: {duration(job.points.at(-1)?.t ?? 0)}.
          </p>
          <JobProgress client={client} job={job} chartCaption="Loss of the unlearning run" />
          {status !== 'running' && status !== 'succeeded' && (
            <button type="button" onClick={() => setState((s) => ({ ...s, step: 3 }))}>
              Back to the method
            </button>
          )}
        </>
      )}
    </div>
  );
}

function Verify({ client, runId, setState, onChanged }: Props & { runId: number }) {
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [saved, setSaved] = useState<{ model?: SavedFiles; certificate?: SavedFiles }>({});
  const load = useAction();
  const check = useAction();
  const exportModel = useAction();
  const exportCert = useAction();
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per run
  useEffect(() => {
    void load.run(async () => setDetail(await client.call('run.get', { runId })));
  }, [client, runId]);
  const run = detail?.run;
  const before = run?.baselineMetrics;
  const after = run?.metrics;
  const retrain = detail?.retrain?.metrics ?? null;
  const rows: { label: string; key: keyof NonNullable<typeof after>; better: string }[] = [
    { label: 'Recognises the removed class (new images)', key: 'forget_test_acc', better: 'close to 0%' },
    {
      label: 'Recognises the removed class (its training images)',
      key: 'forget_train_acc',
      better: 'close to 0%',
    },
    { label: 'Accuracy on the other classes (new images)', key: 'retain_test_acc', better: 'stays high' },
    {
      label: 'Accuracy on the other classes (training images)',
      key: 'retain_train_acc',
      better: 'stays high',
    },
    {
      label: 'Removed images judged “never seen” by a membership test',
      key: 'mia_forget_rate',
      better: 'like the retrained model',
    },
  ];
  return (
    <div>
      <FocusHeading level={3}>Step 5: Did it forget?</FocusHeading>
      <ErrorMessage error={load.error} />
      {detail && run && before && after && (
        <>
          {detail.verdict && (
            <section className={`verdict verdict-${detail.verdict.level}`} aria-labelledby="verdict-heading">
              <h4 id="verdict-heading">
                Verdict:{' '}
                {detail.verdict.level === 'pass'
                  ? 'forgotten'
                  : detail.verdict.level === 'warn'
                    ? 'forgotten, with a caveat'
                    : 'not forgotten'}
              </h4>
              <ul>
                {detail.verdict.lines.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </section>
          )}
          <p>
            Run {run.id}: {methodLabel(run.method)} removed class {detail.request.className} (request{' '}
            {detail.request.id}, by {detail.request.requester}) in {duration(after.seconds ?? null)}.{' '}
            {detail.isCurrent
              ? `Its model (checkpoint ${run.outputCheckpointId}) is now in service.`
              : `Its model is stored as checkpoint ${run.outputCheckpointId} but is not the one in service.`}
          </p>
          <PerClassChart
            classNames={detail.classNames}
            forgetClass={run.forgetClass}
            before={before.per_class_test_acc}
            after={after.per_class_test_acc}
            retrain={retrain?.per_class_test_acc ?? null}
          />
          <table className="measures">
            <caption>Forgotten class against the retained classes</caption>
            <thead>
              <tr>
                <th scope="col">Measure</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
                <th scope="col">Retrained model</th>
                <th scope="col">Should be</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key}>
                  <th scope="row">{r.label}</th>
                  <td>{pct(before[r.key] as number | null)}</td>
                  <td>{pct(after[r.key] as number | null)}</td>
                  <td>{retrain ? pct(retrain[r.key] as number | null) : 'not run'}</td>
                  <td>{r.better}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(detail.comparisons.length > 0 || detail.retrain) && (
            <Comparison
              run={run}
              others={[...detail.comparisons, ...(detail.retrain ? [detail.retrain] : [])]}
            />
          )}
          <Section title="Check and export">
            <div className="actions">
              <button
                type="button"
                disabled={check.busy}
                onClick={() =>
                  check.run(async () =>
                    setReport(
                      await client.call('verify.checkpoint', {
                        checkpointId: run.outputCheckpointId ?? undefined,
                        classIndex: run.forgetClass,
                      }),
                    ),
                  )
                }
              >
                {check.busy ? 'Checking…' : 'Check the project file again'}
              </button>
              <button
                type="button"
                disabled={exportModel.busy}
                onClick={() =>
                  exportModel.run(async () => {
                    const model = await client.call('model.export', {
                      checkpointId: run.outputCheckpointId ?? undefined,
                    });
                    setSaved((s) => ({ ...s, model }));
                  })
                }
              >
                Export model
              </button>
              <button
                type="button"
                className="primary"
                disabled={exportCert.busy}
                onClick={() =>
                  exportCert.run(async () => {
                    const certificate = await client.call('certificate.save', { runId: run.id });
                    setSaved((s) => ({ ...s, certificate }));
                  })
                }
              >
                Export certificate
              </button>
            </div>
            <ErrorMessage error={check.error ?? exportModel.error ?? exportCert.error} />
            <div aria-live="polite">
              {report && (
                <p className={report.ok ? 'success' : 'error'}>
                  {report.ok ? 'Verified' : 'Verification FAILED'}: file integrity{' '}
                  {report.integrity.join(', ')}, audit trail{' '}
                  {report.auditTrail.ok ? `intact (${report.auditTrail.count} events)` : 'broken'}, model and
                  dataset hashes checked;{' '}
                  {report.comparisons.length === 0
                    ? 'no stored metrics to compare with.'
                    : report.comparisons
                        .map(
                          (c) =>
                            `${c.matches ? 'matches' : 'differs from'} what run ${c.runId} recorded (as its ${c.as})`,
                        )
                        .join('; ')}
                  .
                </p>
              )}
              {saved.model && (
                <p className="success">
                  Model exported to <span className="mono">{saved.model.dir}</span>
                </p>
              )}
              {saved.certificate && (
                <p className="success">
                  Certificate saved: <span className="mono">{saved.certificate.files.join(', ')}</span>
                </p>
              )}
            </div>
          </Section>
          <button
            type="button"
            onClick={() => {
              onChanged();
              setState(() => ({ ...INITIAL_WIZARD }));
            }}
          >
            Start another request
          </button>
        </>
      )}
    </div>
  );
}

/** This run against the other methods run for the same request (and retrain, the reference). */
function Comparison({ run, others }: { run: RunInfo; others: RunInfo[] }) {
  const cell = (m: Metrics | null, key: 'forget_test_acc' | 'retain_test_acc' | 'mia_forget_rate') =>
    pct(m?.[key] ?? null);
  return (
    <table className="measures">
      <caption>Compared with other methods on the same request</caption>
      <thead>
        <tr>
          <th scope="col">Method (run)</th>
          <th scope="col">Removed class recognised (new images)</th>
          <th scope="col">Other classes (new images)</th>
          <th scope="col">Removed images judged “never seen”</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {[run, ...others].map((r) => (
          <tr key={r.id} className={r.id === run.id ? 'current' : undefined}>
            <th scope="row">
              {methodLabel(r.method)} ({r.id}){r.id === run.id && ' — this run'}
            </th>
            <td>{cell(r.metrics, 'forget_test_acc')}</td>
            <td>{cell(r.metrics, 'retain_test_acc')}</td>
            <td>{cell(r.metrics, 'mia_forget_rate')}</td>
            <td>{duration(r.metrics?.seconds ?? null)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
