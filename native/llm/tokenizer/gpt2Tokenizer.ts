/**
 * The GPT-2 tokenizer: byte-level BPE (byteSymbols.ts, bpe.ts) over GPT-2's pre-tokens
 * (pretokenize.ts), plus the end-of-text token `<|endoftext|>`. Decoding is exact for any well-formed
 * Unicode text: encode works on the text's UTF-8 bytes and decode turns the bytes back into text.
 */
import { UserError } from '../../errors';
import { bpeSymbols } from './bpe';
import { bytesToSymbols, symbolsToBytes } from './byteSymbols';
import { pretokenize } from './pretokenize';
import {
  type Merge,
  type Vocab,
  checkVocabAndMerges,
  formatMergesTxt,
  formatVocabJson,
  parseMergesTxt,
  parseVocabJson,
} from './vocabFiles';

export const END_OF_TEXT = '<|endoftext|>';

/** Pre-tokens whose ids are remembered (cleared when full). */
const CACHE_LIMIT = 50_000;

export class Gpt2Tokenizer {
  /** The id of `<|endoftext|>`. */
  readonly eotId: number;
  private readonly vocab: string[];
  private readonly merges: Merge[];
  private readonly ids: Map<string, number>;
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8');

  private constructor(vocab: Vocab, merges: readonly Merge[]) {
    this.ranks = checkVocabAndMerges(vocab, merges);
    this.vocab = [...vocab];
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.ids = new Map(this.vocab.map((t, i) => [t, i]));
    const eot = this.ids.get(END_OF_TEXT);
    if (eot === undefined) throw new UserError(`vocab.json has no ${END_OF_TEXT} token`);
    this.eotId = eot;
  }

  /** From the texts of vocab.json and merges.txt (UserError when they are not a valid GPT-2 tokenizer). */
  static fromFiles(vocabJson: string, mergesTxt: string): Gpt2Tokenizer {
    return new Gpt2Tokenizer(parseVocabJson(vocabJson), parseMergesTxt(mergesTxt));
  }

  /** From the tokens by id and the merges by rank (validated as fromFiles does). */
  static fromVocab(vocab: Vocab, merges: readonly Merge[]): Gpt2Tokenizer {
    return new Gpt2Tokenizer(vocab, merges);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The token string of an id (GPT-2's byte symbols, e.g. 'Ġthe'). */
  token(id: number): string {
    const t = this.vocab[id];
    if (t === undefined)
      throw new UserError(`token id ${id} is not in the vocabulary (0..${this.vocab.length - 1})`);
    return t;
  }

  /** The ids of `text`; each `<|endoftext|>` in it becomes the end-of-text token. */
  encode(text: string): number[] {
    const out: number[] = [];
    text.split(END_OF_TEXT).forEach((part, i) => {
      if (i > 0) out.push(this.eotId);
      this.encodeInto(part, out);
    });
    return out;
  }

  /** The ids of `text` with no special tokens: `<|endoftext|>` is encoded as ordinary text. */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    return out;
  }

  /** The UTF-8 bytes the ids stand for (a prefix of a generation may end inside a character). */
  decodeBytes(ids: readonly number[]): Uint8Array {
    const bytes: number[] = [];
    for (const id of ids) symbolsToBytes(this.token(id), bytes);
    return Uint8Array.from(bytes);
  }

  /** The text the ids stand for (invalid UTF-8, possible for arbitrary ids, becomes U+FFFD). */
  decode(ids: readonly number[]): string {
    return this.decoder.decode(this.decodeBytes(ids));
  }

  /** vocab.json's text. */
  toVocabJson(): string {
    return formatVocabJson(this.vocab);
  }

  /** merges.txt's text. */
  toMergesTxt(): string {
    return formatMergesTxt(this.merges);
  }

  private encodeInto(text: string, out: number[]): void {
    for (const piece of pretokenize(text)) {
      let ids = this.cache.get(piece);
      if (ids === undefined) {
        const symbols = [...bytesToSymbols(this.encoder.encode(piece))];
        ids = bpeSymbols(symbols, this.ranks).map((s) => this.ids.get(s)!);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }
}
