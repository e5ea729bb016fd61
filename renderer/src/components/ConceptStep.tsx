/**
 * Step 2 of the wizard: what the model does with the class. Its accuracy and confusions, then its concepts:
 * the concept job (a worker job with progress and cancel) finds them with the project's stored concept
 * bank (or builds and stores one), and the step shows them ranked by importance and specificity with the
 * shared ones flagged, the class × concept heat map, where each concept appears, the automatic selection
 * for k (the user can untick or tick concepts and change k) and the donor class (which the user can change).
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { ConceptInspection, JobSnapshot } from '../../../native/services/api';
import {
  type ConceptChoice,
  automatic,
  choiceMatches,
  initialChoice,
  toggled,
  validK,
  withDonor,
  withK,
} from '../conceptChoice';
import { num, pct, when } from '../format';
import { JobProgress } from './JobProgress';
import type { WizardProps } from './Wizard';
import { ConceptGallery } from './concepts/ConceptGallery';
import { ConceptHeatmap } from './concepts/ConceptHeatmap';
import { ConceptTable } from './concepts/ConceptTable';
import { ErrorMessage, FocusHeading, NumberField, Section, useAction } from './ui';
import { useClasses } from './useClasses';

export function ConceptStep(props: WizardProps) {
  const { client, summary, state, setState } = props;
  const { classes, error } = useClasses(client, summary.currentCheckpoint?.id);
  const c = classes?.classes.find((x) => x.index === state.classIndex);
  const conceptRunning = state.conceptJobId !== null && props.jobs[state.conceptJobId]?.status === 'running';
  return (
    <div>
      <FocusHeading level={3}>
        Step 2: What the model does with class {c?.name ?? state.classIndex}
      </FocusHeading>
      <ErrorMessage error={error} />
      {c && (
        <Section title="Accuracy and confusion">
          <dl className="facts">
            <dt>Training images</dt>
            <dd>{c.trainCount}</dd>
            <dt>Test images</dt>
            <dd>{c.testCount}</dd>
            <dt>Recognised correctly</dt>
            <dd>{pct(c.testAcc)} of its test images</dd>
          </dl>
          <h4>When the model gets it wrong, it answers</h4>
          {c.confusions.length === 0 ? (
            <p>Never another class on the test images.</p>
          ) : (
            <ul className="plain">
              {c.confusions.map((x) => (
                <li key={x.index}>
                  <label>
                    class {x.name}: {pct(x.fraction)} of the images{' '}
                    <meter min={0} max={1} value={x.fraction}>
                      {pct(x.fraction)}
                    </meter>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}
      <section className="card" aria-labelledby="concepts-heading">
        <h3 id="concepts-heading">Concepts the model uses for this class</h3>
        {state.classIndex !== null && <Concepts {...props} classIndex={state.classIndex} />}
      </section>
      <button
        type="button"
        className="primary"
        disabled={conceptRunning}
        onClick={() => setState((s) => ({ ...s, step: 3 }))}
      >
        Continue to the method
      </button>
      {conceptRunning && <p className="hint">Wait for the concepts, or cancel their search, to continue.</p>}
    </div>
  );
}

function Concepts(props: WizardProps & { classIndex: number }) {
  const { client, summary, state, setState, jobs, onStarted, classIndex } = props;
  const [inspection, setInspection] = useState<ConceptInspection | null>(null);
  const load = useAction();
  const start = useAction();
  const startedFor = useRef<string | null>(null);
  const job: JobSnapshot | undefined = state.conceptJobId ? jobs[state.conceptJobId] : undefined;
  const checkpointId = summary.currentCheckpoint?.id;

  const startJob = (rebuild: boolean) =>
    start.run(async () => {
      setInspection(null);
      const j = await client.call('concepts.start', { classIndex, ...(rebuild ? { rebuild: true } : {}) });
      onStarted(j);
      setState((s) => ({ ...s, conceptJobId: j.id }));
    });

  // The class's inspection on the model in service, else the concept job (started once).
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per class and model
  useEffect(() => {
    void load.run(async () => {
      const found = await client.call('concepts.get', { classIndex });
      if (found) {
        setInspection(found);
        return;
      }
      const key = `${checkpointId}#${classIndex}`;
      if (startedFor.current === key || job?.status === 'running') return;
      startedFor.current = key;
      await startJob(false);
    });
  }, [client, classIndex, checkpointId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: react to the job's end only
  useEffect(() => {
    if (job?.status !== 'succeeded') return;
    void load.run(async () => setInspection(await client.call('concepts.get', { classIndex })));
  }, [job?.status]);

  // A choice is kept while it was made on this class, model and bank.
  useEffect(() => {
    if (!inspection) return;
    setState((s) =>
      choiceMatches(s.concepts, inspection) ? s : { ...s, concepts: initialChoice(inspection) },
    );
  }, [inspection, setState]);

  const choice = inspection && choiceMatches(state.concepts, inspection) ? state.concepts : null;
  const running = job?.status === 'running';
  return (
    <>
      <ErrorMessage error={load.error ?? start.error} />
      {job && (running || (!inspection && job.status !== 'succeeded')) && (
        <>
          <p>
            Finding the concepts of the model for this class (in a worker process). The first time, concepts
            are discovered in the images and stored in the project; later it reuses them.
          </p>
          <JobProgress client={client} job={job} />
        </>
      )}
      {!running && !inspection && job && job.status !== 'succeeded' && (
        <button type="button" disabled={start.busy} onClick={() => void startJob(false)}>
          Find the concepts again
        </button>
      )}
      {inspection && choice && (
        <Inspection
          inspection={inspection}
          choice={choice}
          onChoice={(next) => setState((s) => ({ ...s, concepts: next }))}
          onRebuild={() => void startJob(true)}
          busy={start.busy || running}
        />
      )}
    </>
  );
}

function Inspection(props: {
  inspection: ConceptInspection;
  choice: ConceptChoice;
  onChoice: (c: ConceptChoice) => void;
  onRebuild: () => void;
  busy: boolean;
}) {
  const { inspection: ins, choice, onChoice } = props;
  const donorId = useId();
  const className = ins.classNames[ins.forgetClass];
  const k = validK(ins, choice.k);
  const auto = k === null ? [] : automatic(ins, k);
  const empty = k !== null && (ins.selection.byK[k - 1] ?? []).length === 0;
  const bank = ins.bank;
  return (
    <>
      <p>
        Concept bank {bank.id}: {bank.concepts} concept{bank.concepts === 1 ? '' : 's'}{' '}
        {bank.source === 'nmf-discovery'
          ? `discovered by NMF${bank.focusClass !== null ? ` in images half of which are of class ${ins.classNames[bank.focusClass]}` : ''}`
          : bank.source === 'folders'
            ? 'from example folders'
            : 'from the ground truth'}
        , {bank.reused ? 'stored in the project' : 'just built and stored in the project'} (
        {when(bank.createdAt)}
        ).
        {ins.pcbm &&
          ` A concept bottleneck on them agrees with the model on ${pct(ins.pcbm.fidelity)} of the ${ins.pcbm.images} test images.`}
      </p>
      <p className="hint">
        Importance: how much the model’s answer “{className}” relies on the concept. Specificity: importance
        minus the most any other class relies on it. A concept is shared when another class relies on it at
        least {pct(ins.selection.sharedRatio, 0)} as much: disturbing it would hurt that class too.
      </p>
      <ConceptTable
        inspection={ins}
        choice={choice}
        onToggle={(name, on) => onChoice(toggled(ins, choice, name, on))}
      />
      <div className="concept-controls">
        <NumberField
          label="Concepts selected automatically (k)"
          value={choice.k}
          min={1}
          max={ins.concepts.length}
          step={1}
          onChange={(v) => onChoice(withK(ins, choice, v))}
          hint={`At most k concepts specific to class ${className}: not shared, with positive specificity of at least ${pct(ins.selection.minShare, 0)} of the class’s importance.`}
        />
        <div className="field">
          <label htmlFor={donorId}>Donor class</label>
          <select
            id={donorId}
            value={choice.donor ?? ''}
            onChange={(e) => onChoice(withDonor(ins, choice, Number(e.target.value)))}
          >
            {ins.similarities.map((s) => (
              <option key={s.index} value={s.index}>
                class {s.name} — similarity {num(s.similarity, 2)}
                {s.index === ins.donor?.index ? ' (most similar)' : ''}
              </option>
            ))}
          </select>
          <p className="hint">
            The class whose images show the most similar concepts (cosine of the classes’ concept profiles).
            Targeted poisoning labels the images of class {className} as this class; patching pastes its
            parts.
          </p>
        </div>
      </div>
      <div className="choice-summary" aria-live="polite">
        <p>
          {k === null
            ? `k must be a whole number from 1 to ${ins.concepts.length}.`
            : empty
              ? auto.length > 0
                ? `No concept is specific to class ${className} by the rule; the methods would fall back to ${auto[0]}.`
                : `No concept is specific to class ${className} by the rule.`
              : `Automatic selection for k = ${k}: ${auto.join(', ')}.`}
        </p>
        <p>
          <strong>To disturb:</strong> {choice.chosen.length > 0 ? choice.chosen.join(', ') : 'none'}
          {choice.chosen.length === 0 && ' — tick at least one concept to mask or patch.'} ·{' '}
          <strong>Donor:</strong> {choice.donorName === null ? 'none' : `class ${choice.donorName}`}
        </p>
      </div>
      <ConceptHeatmap inspection={ins} chosen={choice.chosen} />
      <h4>Where each concept appears</h4>
      <ConceptGallery inspection={ins} />
      <details className="advanced">
        <summary>Concept bank</summary>
        <p className="hint">
          Discovering concepts again builds a new bank for this model (NMF on images half of which are of
          class {className}) and stores it; the earlier bank stays in the project.
        </p>
        <button type="button" disabled={props.busy} onClick={props.onRebuild}>
          Discover concepts again for class {className}
        </button>
      </details>
    </>
  );
}
