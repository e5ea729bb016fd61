/**
 * GPT-2's pre-tokenisation: text is split into contractions ('s 't 're 've 'm 'll 'd), runs of letters,
 * runs of digits/numbers, runs of other symbols (each optionally preceded by one space), and
 * whitespace, before BPE runs within each piece. The whitespace rule `\s+(?!\S)` leaves the last space
 * of a run to the word after it.
 */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The pieces of `text`, in order; their concatenation is `text`. */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}
