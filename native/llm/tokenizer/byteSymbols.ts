/**
 * GPT-2's byte-to-unicode map: every byte gets a printable character, so a BPE symbol is a string of
 * visible characters. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the
 * other 68 bytes (control characters, space, ...) map to U+0100 onwards, in byte order (space -> 'Ġ').
 */

function buildByteToChar(): string[] {
  const kept: number[] = [];
  const ranges: [number, number][] = [
    [0x21, 0x7e],
    [0xa1, 0xac],
    [0xae, 0xff],
  ];
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) kept.push(b);
  const keptSet = new Set(kept);
  const map: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(keptSet.has(b) ? b : next++);
  return map;
}

/** BYTE_TO_CHAR[b]: the character standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The byte a byte character stands for. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The 256 byte characters sorted by code point: GPT-2's order for ids 0..255 of a vocabulary. */
export const BYTE_SYMBOLS_IN_VOCAB_ORDER: readonly string[] = [...BYTE_TO_CHAR].sort(
  (a, b) => a.codePointAt(0)! - b.codePointAt(0)!,
);

/** The byte characters of UTF-8 bytes (a pre-token's initial symbols, joined). */
export function bytesToSymbols(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/** The bytes a string of byte characters stands for; throws on a character that is not one. */
export function symbolsToBytes(symbols: string, into: number[]): void {
  for (const ch of symbols) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) throw new Error(`'${ch}' is not a byte symbol`);
    into.push(b);
  }
}
