/**
 * GPT-2's tokenizer files as text: vocab.json ({"token": id}, ids dense from 0) and merges.txt
 * ("#version: 0.2", then one "left right" merge per line, by rank). Parsing validates them (UserError);
 * writing produces the format parsing reads back (and what scripts/gpt2_fixture.py writes: entries by
 * id, `json.dumps(..., ensure_ascii=False)` spacing).
 */
import { UserError } from '../../errors';
import { BYTE_TO_CHAR } from './byteSymbols';

/** The token strings by id. */
export type Vocab = readonly string[];
export type Merge = readonly [string, string];

const MERGES_HEADER = '#version: 0.2';

/** The tokens of vocab.json by id; UserError for invalid JSON, non-integer ids or ids that are not dense. */
export function parseVocabJson(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`vocab.json is not valid JSON (${(err as Error).message})`);
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError('vocab.json must be a JSON object mapping tokens to ids');
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) throw new UserError('vocab.json is empty');
  const tokens: (string | undefined)[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new UserError(
        `vocab.json: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not an integer >= 0`,
      );
    }
    if (id >= entries.length) {
      throw new UserError(
        `vocab.json: ids are not dense: ${entries.length} tokens but id ${id} (${JSON.stringify(token)})`,
      );
    }
    const other = tokens[id];
    if (other !== undefined) {
      throw new UserError(
        `vocab.json: id ${id} is used by both ${JSON.stringify(other)} and ${JSON.stringify(token)}`,
      );
    }
    tokens[id] = token;
  }
  return tokens as string[];
}

/** The merges of merges.txt by rank; UserError for a line that is not two symbols. */
export function parseMergesTxt(text: string): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new UserError(
        `merges.txt line ${i + 1} is not two symbols separated by one space: ${JSON.stringify(line)}`,
      );
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

/**
 * Checks that vocabulary and merges form a byte-level BPE: every byte symbol is a token, and every merge
 * joins two tokens into a token, at most once. Returns the rank of every merge ("left right" -> rank).
 */
export function checkVocabAndMerges(vocab: Vocab, merges: readonly Merge[]): Map<string, number> {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  BYTE_TO_CHAR.forEach((ch, b) => {
    if (!ids.has(ch)) throw new UserError(`vocab.json lacks the symbol ${JSON.stringify(ch)} of byte ${b}`);
  });
  const ranks = new Map<string, number>();
  merges.forEach(([left, right], rank) => {
    const line = `${left} ${right}`;
    for (const part of [left, right]) {
      if (!ids.has(part)) {
        throw new UserError(
          `merges.txt merge ${rank + 1} (${JSON.stringify(line)}) names ${JSON.stringify(part)}, not in vocab.json`,
        );
      }
    }
    if (!ids.has(left + right)) {
      throw new UserError(
        `merges.txt merge ${rank + 1} (${JSON.stringify(line)}) makes ${JSON.stringify(left + right)}, not in vocab.json`,
      );
    }
    if (ranks.has(line)) throw new UserError(`merges.txt lists the merge ${JSON.stringify(line)} twice`);
    ranks.set(line, rank);
  });
  return ranks;
}

/** vocab.json text: one line, tokens by id. */
export function formatVocabJson(vocab: Vocab): string {
  return `{${vocab.map((t, i) => `${JSON.stringify(t)}: ${i}`).join(', ')}}\n`;
}

/** merges.txt text: the version header, then one merge per line by rank. */
export function formatMergesTxt(merges: readonly Merge[]): string {
  return `${MERGES_HEADER}\n${merges.map(([a, b]) => `${a} ${b}\n`).join('')}`;
}
