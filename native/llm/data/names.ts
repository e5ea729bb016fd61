/**
 * Invented words for the generated corpus (names of people, places, companies, products...): syllables
 * drawn from a seeded Rng, never the same word twice in one corpus, so every fact's value is its own word.
 */
import type { Rng } from '../../engine/random';

const ONSETS = ['b', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'tr', 'st'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's'];

export class NameForge {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  private pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)];
  }

  /** A new capitalised word of `syllables` syllables (2 or 3 when not given), unused so far. */
  word(syllables?: number): string {
    for (let attempt = 0; ; attempt++) {
      const n = syllables ?? 2 + this.rng.int(2);
      let w = '';
      for (let i = 0; i < n; i++) w += this.pick(ONSETS) + this.pick(VOWELS);
      w += this.pick(CODAS);
      // Long runs of attempts only happen for one-syllable words; allow a third syllable then.
      if (attempt > 50) w += this.pick(VOWELS);
      if (!this.used.has(w)) {
        this.used.add(w);
        return w.charAt(0).toUpperCase() + w.slice(1);
      }
    }
  }

  /** Marks words as taken (e.g. the words of the fixed vocabulary). */
  reserve(words: Iterable<string>): void {
    for (const w of words) this.used.add(w.toLowerCase());
  }
}

/**
 * Draws values from a fixed list without repetition until the list is used up (then starts over with a new
 * shuffle), so that entities rarely share a value.
 */
export class Pool {
  private order: string[] = [];

  constructor(
    private readonly items: readonly string[],
    private readonly rng: Rng,
  ) {}

  next(): string {
    if (this.order.length === 0) this.order = this.rng.shuffle([...this.items]);
    return this.order.pop()!;
  }
}
