/**
 * Word tokens for the text metrics: lowercase, every run of characters other than letters and digits is a
 * separator (as in the reference ROUGE scorer), so "Velmora." and "velmora" are the same word.
 */
export function wordTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}
