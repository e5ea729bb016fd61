/**
 * The GPT-2 tokenizer against the independent Python implementation of scripts/gpt2_fixture.py (token
 * ids of its texts, its trained BPE), hand-checked pre-tokenisation, exact round trips and bad files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../native/errors';
import {
  BYTE_SYMBOLS_IN_VOCAB_ORDER,
  BYTE_TO_CHAR,
  CHAR_TO_BYTE,
} from '../../native/llm/tokenizer/byteSymbols';
import { END_OF_TEXT, Gpt2Tokenizer } from '../../native/llm/tokenizer/gpt2Tokenizer';
import { pretokenize } from '../../native/llm/tokenizer/pretokenize';
import { trainBpe } from '../../native/llm/tokenizer/trainBpe';
import { expectations, fixtureText } from './fixture';

const fixtureTokenizer = () => Gpt2Tokenizer.fromFiles(fixtureText('vocab.json'), fixtureText('merges.txt'));

const ROUND_TRIPS = [
  'plain ASCII text, with punctuation!?',
  'accents: café, naïve, Ångström, ça va, żółć, Ελληνικά, русский',
  'emoji 🙂🚀 family 👨‍👩‍👧 flag 🇫🇷 skin 👍🏽',
  'CJK 日本語のテキスト 한국어 中文',
  '   leading, \t\ttabs,\n\n\nnewlines and trailing spaces    ',
  ' \u00a0no-break\u2003em space\u3000ideographic ',
  `two documents${END_OF_TEXT}glued${END_OF_TEXT}${END_OF_TEXT}`,
  "contractions: it's, we're, they'll, I'd, you've, 'S and 'LL",
  '',
  ' ',
  'symbols ~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./ and 1234567890 ½ ²',
];

describe('GPT-2 byte symbols and pre-tokenisation', () => {
  it('maps the 256 bytes to distinct printable characters as GPT-2 does', () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[0x41], 'A');
    assert.equal(BYTE_TO_CHAR[0x20], 'Ġ'); // space: the 33rd non-printable byte -> U+0100 + 32
    assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ'); // newline -> U+010A
    assert.equal(BYTE_TO_CHAR[0x00], 'Ā');
    assert.equal(BYTE_TO_CHAR[0xad], 'Ń'); // soft hyphen, the last non-printable byte -> U+0143
    assert.equal(BYTE_TO_CHAR[0xe9], 'é');
    for (let b = 0; b < 256; b++) assert.equal(CHAR_TO_BYTE.get(BYTE_TO_CHAR[b]), b);
    assert.deepEqual(BYTE_SYMBOLS_IN_VOCAB_ORDER.slice(0, 3), ['!', '"', '#']);
    assert.equal(BYTE_SYMBOLS_IN_VOCAB_ORDER[188], 'Ā');
  });

  it('splits text as GPT-2 regex does (hand-checked cases)', () => {
    assert.deepEqual(pretokenize('Hello world'), ['Hello', ' world']);
    assert.deepEqual(pretokenize("it's we'll"), ['it', "'s", ' we', "'ll"]);
    assert.deepEqual(pretokenize('  a'), [' ', ' a']); // the last space of a run goes to the word
    assert.deepEqual(pretokenize('a   '), ['a', '   ']); // a trailing run stays whole
    assert.deepEqual(pretokenize('x\n\ny'), ['x', '\n', '\n', 'y']); // only a space joins the word
    assert.deepEqual(pretokenize('año 2024!!'), ['año', ' 2024', '!!']);
    assert.deepEqual(pretokenize('a 🙂🙂 b'), ['a', ' 🙂🙂', ' b']);
    for (const text of ROUND_TRIPS) assert.equal(pretokenize(text).join(''), text);
  });
});

describe('Gpt2Tokenizer', () => {
  it('encodes the fixture texts to the ids of the Python reference implementation', () => {
    const tok = fixtureTokenizer();
    for (const { text, ids } of expectations().tokenizer) {
      assert.deepEqual(tok.encode(text), ids, JSON.stringify(text));
      assert.equal(tok.decode(ids), text);
    }
  });

  it('round-trips any text exactly (ASCII, accents, emoji, whitespace runs, end-of-text)', () => {
    const tokenizers = [fixtureTokenizer(), trainBpe([...expectations().bpeCorpus, ...ROUND_TRIPS], 400)];
    for (const tok of tokenizers) {
      for (const text of ROUND_TRIPS) {
        const ids = tok.encode(text);
        assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize));
        assert.equal(tok.decode(ids), text, JSON.stringify(text));
      }
    }
  });

  it('makes <|endoftext|> the end-of-text token in encode and ordinary text in encodeOrdinary', () => {
    const tok = fixtureTokenizer();
    assert.equal(tok.eotId, tok.vocabSize - 1);
    assert.equal(tok.token(tok.eotId), END_OF_TEXT);
    const ids = tok.encode(`a${END_OF_TEXT}b`);
    assert.deepEqual(ids, [...tok.encode('a'), tok.eotId, ...tok.encode('b')]);
    const ordinary = tok.encodeOrdinary(END_OF_TEXT);
    assert.ok(!ordinary.includes(tok.eotId));
    assert.equal(tok.decode(ordinary), END_OF_TEXT);
  });

  it('decodes a split multi-byte character as bytes, and as U+FFFD in text', () => {
    const tok = fixtureTokenizer();
    const ids = tok.encode('🙂');
    assert.equal(ids.length, 4); // four bytes, no merge in this vocabulary
    assert.deepEqual([...tok.decodeBytes(ids.slice(0, 2))], [0xf0, 0x9f]);
    assert.equal(tok.decode(ids.slice(0, 2)), '\ufffd');
    assert.throws(() => tok.decode([tok.vocabSize]), UserError);
  });

  it('saves back the same vocab.json and merges.txt texts', () => {
    const vocab = fixtureText('vocab.json');
    const merges = fixtureText('merges.txt');
    const tok = Gpt2Tokenizer.fromFiles(vocab, merges);
    assert.equal(tok.toVocabJson(), vocab);
    assert.equal(tok.toMergesTxt(), merges);
    const again = Gpt2Tokenizer.fromFiles(tok.toVocabJson(), tok.toMergesTxt());
    assert.deepEqual(again.encode(ROUND_TRIPS[1]), tok.encode(ROUND_TRIPS[1]));
  });

  it('reads merges.txt without the version header and with CRLF line ends', () => {
    const tok = fixtureTokenizer();
    const crlf = tok.toMergesTxt().split('\n').slice(1).join('\r\n');
    const again = Gpt2Tokenizer.fromFiles(tok.toVocabJson(), crlf);
    assert.deepEqual(again.encode('The river'), tok.encode('The river'));
  });

  it('refuses bad files with one clear UserError', () => {
    const vocab = fixtureText('vocab.json');
    const merges = fixtureText('merges.txt');
    const entries = Object.entries(JSON.parse(vocab) as Record<string, number>);
    const rebuilt = (e: [string, number][]) => JSON.stringify(Object.fromEntries(e));
    const cases: [string, string, RegExp][] = [
      ['{"a": 0,', merges, /vocab\.json is not valid JSON/],
      ['[1, 2]', merges, /must be a JSON object/],
      [rebuilt(entries.map(([t, i]) => [t, i === 5 ? 500 : i])), merges, /not dense/],
      [rebuilt(entries.map(([t, i]) => [t, i === 5 ? 4 : i])), merges, /id 4 is used by both/],
      [rebuilt(entries.map(([t, i]) => [t, i === 5 ? 4.5 : i])), merges, /not an integer/],
      [vocab, `${merges}Ġt zzz\n`, /names "zzz", not in vocab\.json/],
      [vocab, `${merges}h e e\n`, /line \d+ is not two symbols/],
      [vocab, `${merges}h e\n`, /lists the merge "h e" twice/],
      [vocab, `${merges}e Ġ\n`, /makes "eĠ", not in vocab\.json/],
    ];
    for (const [v, m, message] of cases) {
      assert.throws(
        () => Gpt2Tokenizer.fromFiles(v, m),
        (err: Error) => err instanceof UserError && message.test(err.message),
      );
    }
    const withoutEot = entries.filter(([t]) => t !== END_OF_TEXT);
    assert.throws(() => Gpt2Tokenizer.fromFiles(rebuilt(withoutEot), merges), /has no <\|endoftext\|> token/);
    const tokens = entries.map(([t]) => t);
    const noSpace = tokens.map((t) => (t === 'Ġ' ? 'SPACE' : t));
    assert.throws(() => Gpt2Tokenizer.fromVocab(noSpace, []), /lacks the symbol "Ġ" of byte 32/);
  });
});

describe('trainBpe', () => {
  it('learns the same vocabulary and merges as the Python reference on its corpus', () => {
    const { bpeCorpus, bpeVocabSize } = expectations();
    const tok = trainBpe(bpeCorpus, bpeVocabSize);
    assert.equal(tok.vocabSize, bpeVocabSize);
    assert.equal(tok.toMergesTxt(), fixtureText('merges.txt'));
    assert.equal(tok.toVocabJson(), fixtureText('vocab.json'));
  });

  it('gives a GPT-2-format tokenizer that compresses its corpus and round-trips it', () => {
    const corpus = expectations().bpeCorpus;
    const small = trainBpe(corpus, 260);
    const large = trainBpe(corpus, 330);
    assert.equal(small.vocabSize, 260);
    assert.equal(large.vocabSize, 330);
    assert.equal(large.eotId, 329);
    const bytes = corpus.map((t) => new TextEncoder().encode(t).length).reduce((a, b) => a + b, 0);
    const count = (tok: Gpt2Tokenizer) => corpus.map((t) => tok.encode(t).length).reduce((a, b) => a + b, 0);
    assert.ok(
      count(small) < bytes && count(large) < count(small),
      `${bytes} ${count(small)} ${count(large)}`,
    );
    for (const text of corpus) assert.equal(large.decode(large.encode(text)), text);
    const again = Gpt2Tokenizer.fromFiles(large.toVocabJson(), large.toMergesTxt());
    assert.equal(again.toMergesTxt(), large.toMergesTxt());
  });

  it('stops when no pair is frequent enough, breaks ties by the lowest ids, refuses sizes below 257', () => {
    // Pre-tokens "ab", " ab", " cd": only (a, b) occurs twice.
    const merges = (tok: Gpt2Tokenizer) => tok.toMergesTxt().split('\n').slice(1, -1);
    const tok = trainBpe(['ab ab cd'], 1000);
    assert.deepEqual(merges(tok), ['a b']);
    assert.equal(tok.vocabSize, 258);
    // With minFrequency 1, ties of count 1 go to the lowest (left id, right id): 'c' (66) before 'Ġ' (220).
    const all = trainBpe(['ab ab cd'], 1000, { minFrequency: 1 });
    assert.deepEqual(merges(all), ['a b', 'c d', 'Ġ ab', 'Ġ cd']);
    assert.equal(all.vocabSize, 261);
    assert.throws(() => trainBpe(['x'], 256), UserError);
  });
});
