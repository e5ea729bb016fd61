/** Small accessible building blocks shared by the views. */
import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import type { PickKind, UnlearnClient } from '../../../native/services/api';
import { errorText } from '../client';

export function ErrorMessage({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      <strong>Error: </strong>
      {error}
    </p>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pctValue = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <progress className="progress" aria-label={label} max={100} value={pctValue}>
      {pctValue}%
    </progress>
  );
}

/** A text field for a path, with a native chooser where the transport has one (Electron). */
export function PathField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  client: UnlearnClient;
  pick: PickKind;
  placeholder?: string;
  hint?: string;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const { client, pick, onChange } = props;
  const browse = useCallback(async () => {
    const chosen = await client.pick?.(pick);
    if (chosen) onChange(chosen);
  }, [client, pick, onChange]);
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <div className="path-row">
        <input
          id={id}
          type="text"
          value={props.value}
          placeholder={props.placeholder}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={props.hint ? hintId : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
        {client.pick && (
          <button type="button" onClick={browse} aria-label={`Browse for ${props.label.toLowerCase()}`}>
            Browse…
          </button>
        )}
      </div>
      {props.hint && (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function NumberField(props: {
  label: string;
  value: number | string;
  onChange: (v: string) => void;
  min?: number;
  max?: number;
  step?: number | 'any';
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={props.value}
        min={props.min}
        max={props.max}
        step={props.step}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint && (
        <p id={`${id}-hint`} className="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** Runs an async action with a busy flag and a one-line error. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(errorText(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** A heading that takes the focus when it appears (a new step or view), for keyboard and screen readers. */
export function FocusHeading({ children, level = 2 }: { children: ReactNode; level?: 2 | 3 }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  const Tag = level === 2 ? 'h2' : 'h3';
  return (
    <Tag ref={ref} tabIndex={-1} className="focus-heading">
      {children}
    </Tag>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  const hid = useId();
  return (
    <section aria-labelledby={hid} className="card" id={id}>
      <h3 id={hid}>{title}</h3>
      {children}
    </section>
  );
}
