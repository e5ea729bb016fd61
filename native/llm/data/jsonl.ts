/**
 * The user's corpus as JSONL, one sample a line:
 *   {"class": "...", "prompt": "...", "response": "..."}   a question and its answer
 *   {"class": "...", "text": "..."}                        a plain text
 * with an optional "split": "train" (default), "paraphrase" (question-answer lines: a held-out rewording,
 * never trained on) or "heldout" (text lines: generic held-out text for perplexity). Blank lines are
 * skipped. Every problem is a UserError naming the line and the field.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { UserError } from '../../errors';
import type { LmCorpus, LmSample, QaSample } from './types';

const nonEmpty = z.string().min(1);

const QA_LINE = z
  .object({
    class: nonEmpty,
    prompt: nonEmpty,
    response: nonEmpty,
    split: z.enum(['train', 'paraphrase']).optional(),
  })
  .strict();

const TEXT_LINE = z
  .object({
    class: nonEmpty,
    text: nonEmpty,
    split: z.enum(['train', 'heldout']).optional(),
  })
  .strict();

function describeIssue(issue: z.core.$ZodIssue, line: Record<string, unknown>): string {
  if (issue.code === 'unrecognized_keys') return `unknown field '${issue.keys[0]}'`;
  const field = String(issue.path[0] ?? '');
  if (!(field in line) || line[field] === undefined) return `missing field '${field}'`;
  if (issue.code === 'invalid_value') {
    return `field '${field}' must be one of ${issue.values.map((v) => `'${String(v)}'`).join(', ')}`;
  }
  if (issue.code === 'too_small') return `field '${field}' is empty`;
  return `field '${field}' must be a string`;
}

/** Parses JSONL text (see the module comment); `name` names the corpus in messages and reports. */
export function parseJsonlCorpus(text: string, name: string): LmCorpus {
  const train: LmSample[] = [];
  const paraphrases: QaSample[] = [];
  const heldoutText: string[] = [];
  const classes: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    const where = `${name} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new UserError(`${where}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError(`${where}: expected an object with "class" and "prompt"/"response" or "text"`);
    }
    const obj = value as Record<string, unknown>;
    if ('text' in obj && ('prompt' in obj || 'response' in obj)) {
      throw new UserError(`${where}: a line has either "text" or "prompt" and "response", not both`);
    }
    if ('text' in obj) {
      const r = TEXT_LINE.safeParse(obj);
      if (!r.success) throw new UserError(`${where}: ${describeIssue(r.error.issues[0], obj)}`);
      if (r.data.split === 'heldout') heldoutText.push(r.data.text);
      else {
        train.push({ kind: 'text', class: r.data.class, text: r.data.text });
        if (!classes.includes(r.data.class)) classes.push(r.data.class);
      }
      continue;
    }
    const r = QA_LINE.safeParse(obj);
    if (!r.success) throw new UserError(`${where}: ${describeIssue(r.error.issues[0], obj)}`);
    const sample: QaSample = {
      kind: 'qa',
      class: r.data.class,
      prompt: r.data.prompt,
      response: r.data.response,
    };
    if (r.data.split === 'paraphrase') paraphrases.push(sample);
    else {
      train.push(sample);
      if (!classes.includes(sample.class)) classes.push(sample.class);
    }
  }
  if (train.length === 0) throw new UserError(`${name}: no training samples`);
  for (const p of paraphrases) {
    if (!classes.includes(p.class)) {
      throw new UserError(`${name}: paraphrases of class '${p.class}', which has no training samples`);
    }
  }
  return { name, classes, train, paraphrases, heldoutText };
}

/** Reads and parses a JSONL corpus file. */
export function readJsonlCorpus(file: string): LmCorpus {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(`cannot read ${file}${code ? ` (${code})` : ''}`);
  }
  return parseJsonlCorpus(text, path.basename(file));
}
