/**
 * Step 3 of the wizard: how the model should forget. Concept-guided poisoning (the default) with its two
 * choices explained in plain words, the new labels (the donor class or random classes) and what happens
 * to the concept regions (mask, patch, none), using the concepts, k and donor chosen in step 2; or one of
 * the other methods. Every other setting is folded away; other methods (and retrain, the reference) can
 * also be run on the same request for comparison.
 */
import { useId } from 'react';
import type { MethodInfo } from '../../../native/services/api';
import { conceptOptions } from '../conceptChoice';
import { methodLabel } from '../format';
import type { WizardProps } from './Wizard';
import { ErrorMessage, FocusHeading, NumberField, useAction } from './ui';

/** Options of the concept methods set by steps 2 and 3 rather than in the advanced settings. */
const CHOSEN_OPTIONS = ['mode', 'concepts', 'donor', 'concept_bank'];

const isConcept = (name: string) => name.startsWith('concept_');

function optionInputs(method: MethodInfo, values: Record<string, string | boolean>, hidden: string[]) {
  return Object.entries(method.defaults)
    .filter(([key]) => !hidden.includes(key))
    .map(([key, def]) => ({
      key,
      def,
      value: values[key] ?? (typeof def === 'boolean' ? def : String(def)),
    }));
}

export function MethodStep({ client, catalog, summary, state, setState, onStarted }: WizardProps) {
  const start = useAction();
  const method = catalog.methods.find((m) => m.name === state.method) ?? catalog.methods[0];
  const concept = isConcept(method.name);
  const choice =
    state.concepts &&
    state.concepts.classIndex === state.classIndex &&
    state.concepts.checkpointId === summary.currentCheckpoint?.id
      ? state.concepts
      : null;
  const hidden = concept ? [...CHOSEN_OPTIONS, ...(choice ? ['k'] : [])] : [];
  const inputs = optionInputs(method, state.options, hidden);
  const others = catalog.methods.filter((m) => !isConcept(m.name) && m.name !== 'retrain');
  const needsConcepts = concept && choice !== null && state.mode !== 'none' && choice.chosen.length === 0;
  const donorName = choice?.donorName ?? null;

  return (
    <div>
      <FocusHeading level={3}>Step 3: How should it forget?</FocusHeading>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const requestId = state.requestId;
          if (requestId === null) return;
          void start.run(async () => {
            const options: Record<string, number | string | boolean> = {};
            for (const o of inputs) {
              if (typeof o.def === 'number') {
                const n = Number(o.value);
                if (o.value === '' || !Number.isFinite(n)) throw new Error(`${o.key} must be a number`);
                options[o.key] = n;
              } else if (typeof o.def === 'boolean') {
                options[o.key] = o.value === true;
              } else {
                options[o.key] = String(o.value);
              }
            }
            if (concept) {
              options.mode = state.mode;
              if (choice) Object.assign(options, conceptOptions(choice));
            }
            const job = await client.call('run.start', {
              requestId,
              method: method.name,
              options,
              seed: Number(state.seed) || 0,
              compareWithRetrain: state.compare,
              compareWith: state.compareWith.filter((m) => m !== method.name),
            });
            onStarted(job);
            setState((s) => ({ ...s, jobId: job.id, runId: null, step: 4 }));
          });
        }}
      >
        <fieldset className="methods">
          <legend>Method</legend>
          <label className={`method${concept ? ' selected' : ''}`}>
            <input
              type="radio"
              name="method"
              value="concept"
              checked={concept}
              onChange={() => setState((s) => ({ ...s, method: 'concept_targeted', options: {} }))}
            />
            <span className="method-name">
              Concept-guided poisoning <span className="tag">Recommended</span>
            </span>
            <span className="method-text">
              Finds the parts of the images the model relies on for this class only (step 2), disturbs them in
              the class’s images and gives those images other labels, while reminding the model of the other
              classes. The classes that share the class’s other parts are left alone.
            </span>
          </label>
          {[...others, ...catalog.methods.filter((m) => m.name === 'retrain')].map((m) => (
            <label key={m.name} className={`method${m.name === method.name ? ' selected' : ''}`}>
              <input
                type="radio"
                name="method"
                value={m.name}
                checked={m.name === method.name}
                onChange={() => setState((s) => ({ ...s, method: m.name, options: {} }))}
              />
              <span className="method-name">{methodLabel(m.name)}</span>
              <span className="method-text">{m.explanation}</span>
            </label>
          ))}
        </fieldset>
        {concept && (
          <>
            <Choices
              legend="New labels for the class’s images"
              name="relabel"
              value={method.name}
              choices={catalog.poisoning.labels.map((l) => ({
                ...l,
                title:
                  l.value === 'concept_targeted' && donorName !== null
                    ? `${l.title}: class ${donorName}`
                    : l.title,
              }))}
              onChange={(v) => setState((s) => ({ ...s, method: v, options: {} }))}
            />
            <Choices
              legend="What happens to the concepts in the class’s images"
              name="mode"
              value={state.mode}
              choices={catalog.poisoning.modes}
              onChange={(v) => setState((s) => ({ ...s, mode: v }))}
            />
            <div className="note" aria-live="polite">
              {choice ? (
                <p>
                  Concepts to disturb (chosen in step 2, k = {choice.k}):{' '}
                  <strong>{choice.chosen.length > 0 ? choice.chosen.join(', ') : 'none'}</strong>; donor class{' '}
                  <strong>{donorName ?? 'none'}</strong>; concept bank {choice.bankId}.
                </p>
              ) : (
                <p>The concepts were not inspected in step 2: the method finds and selects them itself.</p>
              )}
              <button type="button" onClick={() => setState((s) => ({ ...s, step: 2 }))}>
                Change the concepts or the donor
              </button>
            </div>
            {needsConcepts && (
              <p role="alert" className="error">
                No concept is chosen: tick at least one in step 2, or leave the images as they are.
              </p>
            )}
          </>
        )}
        <details className="advanced">
          <summary>Advanced settings for {methodLabel(method.name)}</summary>
          {inputs.length === 0 && (
            <p className="hint">
              This method repeats the original model’s training recipe; it has no settings.
            </p>
          )}
          {inputs.map((o) =>
            typeof o.def === 'boolean' ? (
              <label key={o.key} className="checkbox">
                <input
                  type="checkbox"
                  checked={o.value === true}
                  onChange={(e) =>
                    setState((s) => ({ ...s, options: { ...s.options, [o.key]: e.target.checked } }))
                  }
                />
                {o.key}
              </label>
            ) : (
              <NumberOrText
                key={o.key}
                name={o.key}
                numeric={typeof o.def === 'number'}
                value={String(o.value)}
                fallback={String(o.def)}
                onChange={(v) => setState((s) => ({ ...s, options: { ...s.options, [o.key]: v } }))}
              />
            ),
          )}
          <NumberField
            label="Random seed"
            value={state.seed}
            onChange={(v) => setState((s) => ({ ...s, seed: v }))}
            step={1}
          />
        </details>
        <fieldset>
          <legend>Also run for comparison</legend>
          {method.name !== 'retrain' && (
            <label className="checkbox">
              <input
                type="checkbox"
                checked={state.compare}
                onChange={(e) => setState((s) => ({ ...s, compare: e.target.checked }))}
              />
              Also retrain from scratch for comparison (slower: a model that never saw the class is the
              reference for the membership test)
            </label>
          )}
          {others
            .filter((m) => m.name !== method.name)
            .map((m) => (
              <label key={m.name} className="checkbox">
                <input
                  type="checkbox"
                  checked={state.compareWith.includes(m.name)}
                  onChange={(e) =>
                    setState((s) => ({
                      ...s,
                      compareWith: e.target.checked
                        ? [...s.compareWith.filter((x) => x !== m.name), m.name]
                        : s.compareWith.filter((x) => x !== m.name),
                    }))
                  }
                />
                Also run {methodLabel(m.name)} (with its default settings)
              </label>
            ))}
          <p className="hint">
            Comparison runs start from the same model and are recorded in the history; the model in service is
            the one of the method above.
          </p>
        </fieldset>
        <button
          type="submit"
          className="primary"
          disabled={start.busy || state.requestId === null || needsConcepts}
        >
          Start unlearning
        </button>
        <ErrorMessage error={start.error} />
      </form>
    </div>
  );
}

function Choices(props: {
  legend: string;
  name: string;
  value: string;
  choices: { value: string; title: string; explanation: string }[];
  onChange: (v: string) => void;
}) {
  return (
    <fieldset className="methods">
      <legend>{props.legend}</legend>
      {props.choices.map((c) => (
        <label key={c.value} className={`method${c.value === props.value ? ' selected' : ''}`}>
          <input
            type="radio"
            name={props.name}
            value={c.value}
            checked={c.value === props.value}
            onChange={() => props.onChange(c.value)}
          />
          <span className="method-name">{c.title}</span>
          <span className="method-text">{c.explanation}</span>
        </label>
      ))}
    </fieldset>
  );
}

function NumberOrText(props: {
  name: string;
  numeric: boolean;
  value: string;
  fallback: string;
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field inline">
      <label htmlFor={id}>{props.name}</label>
      <input
        id={id}
        type={props.numeric ? 'number' : 'text'}
        step={props.numeric ? 'any' : undefined}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <span className="hint">default {props.fallback}</span>
    </div>
  );
}
