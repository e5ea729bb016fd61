/**
 * The user's choice of concepts, k and donor in step 2, and how it becomes options of the concept methods.
 * The concepts used are the automatic selection for k (or, when it is empty, the methods' fallback), plus
 * the concepts the user ticked, minus those they unticked: a change of k keeps the user's own choices.
 */
import type { ConceptInspection } from '../../native/services/api';

export interface ConceptChoice {
  classIndex: number;
  checkpointId: number;
  bankId: number;
  /** k as typed. */
  k: string;
  /** Ticked by the user beyond the automatic selection. */
  added: string[];
  /** Unticked by the user. */
  deselected: string[];
  /** The concepts used, in the order of the ranking. */
  chosen: string[];
  donor: number | null;
  donorName: string | null;
}

/** k as a whole number in [1, number of concepts], or null. */
export function validK(ins: ConceptInspection, text: string): number | null {
  const k = Number(text);
  return text.trim() !== '' && Number.isInteger(k) && k >= 1 && k <= ins.concepts.length ? k : null;
}

/** The automatic selection for k, or the methods' fallback when it is empty. */
export function automatic(ins: ConceptInspection, k: number): string[] {
  const auto = ins.selection.byK[k - 1] ?? [];
  if (auto.length > 0) return auto;
  return ins.selection.fallback ? [ins.selection.fallback] : [];
}

function derive(ins: ConceptInspection, c: Omit<ConceptChoice, 'chosen'>, previous: string[]): string[] {
  const k = validK(ins, c.k);
  if (k === null) return previous;
  const use = new Set([...automatic(ins, k), ...c.added]);
  for (const d of c.deselected) use.delete(d);
  return ins.concepts.map((x) => x.name).filter((name) => use.has(name));
}

export function initialChoice(ins: ConceptInspection): ConceptChoice {
  const base = {
    classIndex: ins.forgetClass,
    checkpointId: ins.checkpointId,
    bankId: ins.bank.id,
    k: String(ins.selection.defaultK),
    added: [],
    deselected: [],
    donor: ins.donor?.index ?? null,
    donorName: ins.donor?.name ?? null,
  };
  return { ...base, chosen: derive(ins, base, []) };
}

/** Whether a stored choice was made on this inspection's class, model and bank. */
export function choiceMatches(c: ConceptChoice | null, ins: ConceptInspection): c is ConceptChoice {
  return (
    c !== null &&
    c.classIndex === ins.forgetClass &&
    c.checkpointId === ins.checkpointId &&
    c.bankId === ins.bank.id
  );
}

export function withK(ins: ConceptInspection, c: ConceptChoice, k: string): ConceptChoice {
  const next = { ...c, k };
  return { ...next, chosen: derive(ins, next, c.chosen) };
}

export function toggled(ins: ConceptInspection, c: ConceptChoice, name: string, on: boolean): ConceptChoice {
  const next = {
    ...c,
    added: on ? [...c.added.filter((x) => x !== name), name] : c.added.filter((x) => x !== name),
    deselected: on
      ? c.deselected.filter((x) => x !== name)
      : [...c.deselected.filter((x) => x !== name), name],
  };
  return { ...next, chosen: derive(ins, next, c.chosen) };
}

export function withDonor(ins: ConceptInspection, c: ConceptChoice, donor: number): ConceptChoice {
  return { ...c, donor, donorName: ins.classNames[donor] ?? String(donor) };
}

/** The concept methods' options for a choice: the concepts, k, the donor and the stored bank. */
export function conceptOptions(c: ConceptChoice): Record<string, number | string> {
  const k = Number(c.k);
  return {
    concepts: c.chosen.join(','),
    ...(Number.isInteger(k) && k >= 1 ? { k } : {}),
    donor: c.donor ?? -1,
    concept_bank: c.bankId,
  };
}
