/**
 * Text → hashed features. Everything here is written for speed (char codes, no substrings, no
 * regular expressions on the hot path): the router classifies every request in-process.
 *
 * Features of a normalised text, in two groups (see STRUCTURE):
 * - text: word unigrams and bigrams; character 3- to 5-grams inside letter words, padded with
 *   `<` and `>` (fastText style), which carry typos, inflections and other languages; character
 *   unigrams and bigrams of CJK runs, which have no spaces between words; word embedding clusters
 *   (word-clusters.ts: each word of the committed word-clusters.txt, 60,000 frequent English words
 *   in 256 GloVe clusters, adds its cluster, and each pair of successive clustered words the pair
 *   of clusters); lexicon hits of words (domain-lexicon.ts in English, domain-lexicon-multilingual.ts
 *   in eight more languages, CJK terms found at every position of a run, medical word endings,
 *   snake_case identifiers): one feature per domain hit;
 * - structure: number shapes (every digit reads `0`, at most 4 count, a decimal comma reads as a
 *   point), runs of up to 3 symbols such as `==`, `$`, `()`, LaTeX commands such as `\frac`, and
 *   bigrams with one of these; global cues (digit and symbol density, indented lines,
 *   multiple-choice layout with the option letters skipped, LaTeX); the shape of each line that
 *   does not end a sentence (first meaningful token + class of its last character), and a second
 *   shape for the lines at the end of a long text, where a code stub or the question sits.
 * Skipped: chat filler words, the function words of six non-English languages, and punctuation
 * that says how a text is written (sentence marks, typographic quotes, an apostrophe in a word).
 * Length, line-count, final-question-mark and "no digits" cues were tried and dropped: they tie
 * classes to benchmark layouts (short digit-free question → trivia) and misroute chatty requests,
 * without helping on held-out sources.
 * A bucket counts at most MAX_REPEATS times per text (capped term frequency, see
 * FeatureBuffer.markRepeats), and every counted feature of a group has the same value
 * 1/sqrt(counted features of that group): each group is an L2-normalised vector, so long and short
 * texts score alike and a long statement's words do not drown the structure of a stub under it.
 */

import * as os from 'node:os';
import { LEXICON_DOMAIN_OF } from './domain-lexicon';
import { DOMAINS } from './domains';
import * as tokenTable from './token-table';
import type { TokenTable } from './token-table';

/**
 * Version of the feature extraction. A model only makes sense with the features it was trained
 * on: the manifest records this (and the word-clusters.txt checksum) and loading refuses a
 * mismatch. Bump it with any change here, in token-table.ts or in domain-lexicon.ts.
 */
export const FEATURE_VERSION = 17;

const LITTLE_ENDIAN = os.endianness() === 'LE';

// Local constants: the CommonJS output reads an imported name as a property of its module at
// every use, and these are used per token and per character n-gram (6% more instructions in
// extractFeatures). The same goes for this file's own exports, hence `export { … }` below.
const { CHAT_WORD, NO_LEXICON, SEED_WORD, clusterNameOf, clusterOf, clusterPairName, fmix, lexiconOf, loadedTokenTable, tokenEntry } =
  tokenTable;

/**
 * Feature kinds, stored with token-level features so the explanation can rebuild their text
 * (CHAR n-grams are not stored: they are named from their word, see FeatureBuffer).
 */
const WORD = 0;
const BIGRAM = 1;
const CHAR = 2;
const CUE = 3;
export const FeatureKind = { WORD, BIGRAM, CHAR, CUE } as const;
const KIND_MASK = 3;
/** A CUE that is a lexicon hit: its span is the word. */
const LEXICON_HIT = 16;
/** A CUE that is a word's embedding cluster (word-clusters.ts): its span is the word. */
const CLUSTER_HIT = 32;
/** A CUE that is the clusters of two successive clustered words: its span runs from the first to the second. */
const CLUSTER_PAIR = 64;
/** A CUE that is the shape of a line (its first token and its last character): its span is the line. */
const LINE_SHAPE = 8;
/** With LINE_SHAPE: the line stands in the tail of a long text, where a code stub or the question sits. */
const TAIL_LINE = 4;
/**
 * A feature of the structure group (symbols, numbers, LaTeX, layout cues, line shapes), as opposed to
 * the text group (words, character n-grams, clusters). Each group is L2-normalised on its own, so
 * a long prose statement does not drown the structure of a code stub or a formula: see
 * {@link FeatureBuffer.markRepeats}.
 */
const STRUCTURE = 128;
// Exported apart so that this file's own uses read a local constant (see the imports above).
export { STRUCTURE };

/** Names of the global cue features, by cue id. */
export const CUE_NAMES: readonly string[] = [
  'digits:none',
  'digits:<5%',
  'digits:<15%',
  'digits:<30%',
  'digits:>=30%',
  'symbols:none',
  'symbols:<5%',
  'symbols:<15%',
  'symbols:<30%',
  'symbols:>=30%',
  'indented-lines',
  'multiple-choice',
  'latex',
  ...DOMAINS.map((d) => `lex:${d}`),
];
const CUE_DIGITS = 0;
const CUE_SYMBOLS = 5;
const CUE_INDENTED = 10;
const CUE_CHOICES = 11;
const CUE_LATEX = 12;
const CUE_LEXICON = 13;

/** How long input is cut before featurisation; see {@link truncateText}. */
export interface TruncationOptions {
  /** Characters kept from the start of a long text. Default 1500. */
  headChars: number;
  /** Characters kept from the end of a long text. Default 500. */
  tailChars: number;
}

export const DEFAULT_TRUNCATION: Readonly<TruncationOptions> = Object.freeze({ headChars: 1500, tailChars: 500 });

/**
 * Keeps the first `headChars` and the last `tailChars` characters of a text longer than their
 * sum, joined by a newline. The question of a long prompt is usually at its start or its end,
 * and the cut bounds the work per text (about 2,000 characters), so a huge input never blocks the
 * event loop.
 */
export function truncateText(text: string, options: TruncationOptions = DEFAULT_TRUNCATION): string {
  const { headChars, tailChars } = options;
  if (text.length <= headChars + tailChars) return text;
  return `${text.slice(0, headChars)}\n${text.slice(text.length - tailChars)}`;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Decimal digits of other scripts (Bengali ৩, Devanagari ३, Persian ۳, Thai ๓…); NFKC keeps them. */
const SCRIPT_DIGIT = /(?![0-9])\p{Nd}/gu;

/** A decimal digit of any script. */
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** ASCII digits of the script digits met so far (a few hundred exist; found on first use, not at start-up). */
const asciiDigits = new Map<string, string>();

/**
 * The ASCII digit of a decimal digit of the Basic Multilingual Plane (others are kept as they are, so the
 * text keeps its length). Unicode lays every script's digits out as a run of ten code points from zero to
 * nine, so a digit's value is its place in its run.
 */
function asciiDigitOf(digit: string): string {
  if (digit.length !== 1) return digit;
  let value = asciiDigits.get(digit);
  if (value === undefined) {
    const code = digit.charCodeAt(0);
    let runStart = code;
    while (DECIMAL_DIGIT.test(String.fromCharCode(runStart - 1))) runStart--;
    value = String((code - runStart) % 10);
    asciiDigits.set(digit, value);
  }
  return value;
}

/**
 * Truncates, applies Unicode NFKC (full-width forms, ligatures, superscripts), writes the digits of
 * every script as ASCII digits (a price in Bengali digits is a number, as in a word problem written
 * with 0–9) and lowercases. Keeps the text's length apart from NFKC, so spans stay explainable.
 */
export function normaliseText(text: string, options: TruncationOptions = DEFAULT_TRUNCATION): string {
  const cut = truncateText(text, options);
  // NFKC is a no-op on ASCII and costs more than everything else on a short text: skip it there.
  if (!NON_ASCII.test(cut)) return cut.toLowerCase();
  return cut.normalize('NFKC').replace(SCRIPT_DIGIT, asciiDigitOf).toLowerCase();
}

/**
 * Reusable storage for the features of one text: the hashed bucket and, for explanations, enough
 * to name any feature afterwards. Token-level features (words, bigrams, lexicon hits, cues) record
 * their kind and character span; character n-grams, most of the features, record nothing: each
 * word records where its block of n-grams starts, and {@link FeatureBuffer.describe} replays the
 * word's n-gram order to name one. So explaining costs no extra work per feature. Grows on demand.
 */
export class FeatureBuffer {
  buckets = new Int32Array(1024);
  kinds = new Uint8Array(1024);
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);
  length = 0;
  /** Per letter word, in text order: index of its first char n-gram feature, its start, its (capped) length. */
  wordFirst = new Int32Array(256);
  wordStart = new Int32Array(256);
  wordLength = new Uint8Array(256);
  words = 0;
  /**
   * The UTF-16 code units of the text being featurised (see {@link FeatureBuffer.load}), and the
   * same memory as bytes.
   */
  codes = new Uint16Array(1024);
  private codeBytes = Buffer.from(this.codes.buffer);
  /** 1 where feature i repeats a bucket already counted MAX_REPEATS times in this text: scoring skips it. */
  skip = new Uint8Array(1024);
  /** Features of the last text that are not skipped, in both groups. */
  counted = 0;
  /** Of those, the ones of the structure group (kinds with {@link STRUCTURE}). */
  countedStructure = 0;
  /** Value of every counted text-group feature: 1/sqrt(counted text features), or 0 when there are none. */
  textValue = 0;
  /** Value of every counted structure-group feature: 1/sqrt(counted structure features), or 0. */
  structureValue = 0;
  /** One bit per bucket: whether the current text has counted it (sized to 2^bits bits on first use; all 0 between texts). */
  private seen = new Int32Array(0);

  /** Room for `capacity` features and a text of `chars - 1` characters (its code units and words). */
  reserve(capacity: number, chars: number): void {
    if (capacity > this.buckets.length) {
      let size = this.buckets.length;
      while (size < capacity) size *= 2;
      this.buckets = new Int32Array(size);
      this.kinds = new Uint8Array(size);
      this.starts = new Int32Array(size);
      this.ends = new Int32Array(size);
      this.skip = new Uint8Array(size);
    }
    if (chars > this.codes.length) {
      let size = this.codes.length;
      while (size < chars) size *= 2;
      this.codes = new Uint16Array(size);
      this.codeBytes = Buffer.from(this.codes.buffer);
    }
    if (chars > this.wordFirst.length) {
      let size = this.wordFirst.length;
      while (size < chars) size *= 2;
      this.wordFirst = new Int32Array(size);
      this.wordStart = new Int32Array(size);
      this.wordLength = new Uint8Array(size);
    }
  }

  /**
   * Copies the text's code units into `codes` (reserve room first). The tokenizer reads every
   * character several times, and `charCodeAt` in a loop measured 9–12 ns a character on the bench
   * texts (1.3 ns on a string from `repeat`: it depends on how V8 built the string), about two
   * fifths of the time of extractFeatures; the native copy costs 0.1–0.2 µs a text, then each read
   * is a plain typed-array load. UTF-16LE bytes are the array's code units on a little-endian
   * machine; elsewhere the plain loop.
   */
  load(text: string): Uint16Array {
    const codes = this.codes;
    if (LITTLE_ENDIAN) this.codeBytes.write(text, 0, 'utf16le');
    else for (let k = 0; k < text.length; k++) codes[k] = text.charCodeAt(k);
    return codes;
  }

  /**
   * Marks in `skip` the features whose bucket this text already counted (MAX_REPEATS, 1) and sets
   * `counted`. Capping the term frequency keeps a word repeated many times (or the char n-grams
   * that every long word shares) from drowning the rest, which helped on unseen sources
   * (leave-one-source-out macro-F1 0.835 → 0.85, docs/router-classifier-eval.md). Features stay in
   * place, so explanations still name them by index. The table is read at random, a bucket a
   * feature, so it is kept small: one bit per bucket (32 KiB at 18 bits), set back to 0 afterwards
   * by walking this text's buckets rather than clearing it. A byte of count per bucket (256 KiB) ran
   * as fast with warm caches, but a server classifies with cold ones, where 32 KiB is 512 cache lines
   * to fetch against up to one a feature (docs/router-classifier.md, "Speed").
   */
  markRepeats(n: number, bits: number): number {
    const words = Math.max(1, (1 << bits) >>> 5);
    if (this.seen.length !== words) this.seen = new Int32Array(words);
    const seen = this.seen;
    const buckets = this.buckets;
    const skip = this.skip;
    const kinds = this.kinds;
    let counted = 0;
    let structure = 0;
    for (let i = 0; i < n; i++) {
      const code = buckets[i];
      const b = code ^ (code >> 31); // bucketOf, inlined as in the other scoring loops
      const bit = 1 << (b & 31);
      if (seen[b >>> 5] & bit) {
        skip[i] = 1;
        continue;
      }
      seen[b >>> 5] |= bit;
      skip[i] = 0;
      counted++;
      if (kinds[i] & STRUCTURE) structure++;
    }
    for (let i = 0; i < n; i++) seen[(buckets[i] ^ (buckets[i] >> 31)) >>> 5] = 0;
    this.counted = counted;
    this.countedStructure = structure;
    this.textValue = groupValue(counted - structure);
    this.structureValue = groupValue(structure);
    return counted;
  }

  /** The value of feature i in the model's sum: its group's value (see markRepeats) with the feature's sign. */
  valueOf(i: number): number {
    return (this.kinds[i] & STRUCTURE ? this.structureValue : this.textValue) * signOf(this.buckets[i]);
  }

  /** The readable name of feature i, e.g. `w:python`, `w2:fix my`, `c:<pyt`, `cue:latex`, `line:def…:`. */
  describe(text: string, i: number): string {
    const char = this.describeChar(text, i);
    if (char !== undefined) return char;
    const kind = this.kinds[i];
    const start = this.starts[i];
    const end = this.ends[i];
    switch (kind & KIND_MASK) {
      case WORD:
        return `w:${text.slice(start, end)}`;
      case BIGRAM:
        return `w2:${text.slice(start, end).replace(/\s+/g, ' ')}`;
      default:
        if (kind & LINE_SHAPE) return lineShapeName(text.slice(start, end), (kind & TAIL_LINE) !== 0);
        if (kind & CLUSTER_HIT) return `cl:${clusterNameOf(text.slice(start, end))}(${text.slice(start, end)})`;
        if (kind & CLUSTER_PAIR) return clusterPairName(text.slice(start, end));
        return kind & LEXICON_HIT
          ? `lex:${DOMAINS[lexiconDomainOfSpan(text, start, end)]}(${text.slice(start, end)})`
          : `cue:${CUE_NAMES[start] ?? start}`;
    }
  }

  /** Name of feature i when it is a char n-gram (found from its word's block), else undefined. */
  private describeChar(text: string, i: number): string | undefined {
    // The last word whose n-gram block starts at or before i (blocks are in increasing order).
    let lo = 0;
    let hi = this.words - 1;
    let w = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.wordFirst[mid] <= i) {
        w = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (w < 0) return undefined;
    const wordLen = this.wordLength[w];
    const start = this.wordStart[w];
    const last = wordLen + 1;
    // Replay the n-gram order of extractFeatures: p = first padded position, j = last.
    let k = this.wordFirst[w];
    for (let p = 0; p + 2 <= last; p++) {
      const stop = Math.min(p + 4, last);
      for (let j = p + 2; j <= stop; j++, k++) {
        if (k !== i) continue;
        const body = text.slice(start + Math.max(p - 1, 0), start + Math.min(j, wordLen));
        return `c:${p === 0 ? '<' : ''}${body}${j === last ? '>' : ''}`;
      }
    }
    return undefined;
  }
}

/** 1/sqrt(n): the value of each of n counted features of one group (L2-normalised group), 0 for none. */
export function groupValue(n: number): number {
  return n > 0 ? 1 / Math.sqrt(n) : 0;
}

/** `line:def…:` (first token, last character) or `tail-line:…` for the line-shape feature of `line`. */
function lineShapeName(line: string, tail: boolean): string {
  const trimmed = line.trim();
  const first = /^[\p{L}\p{N}_]+|^\S{1,3}/u.exec(trimmed)?.[0] ?? '';
  return `${tail ? 'tail-line' : 'line'}:${first}…${trimmed.slice(-1)}`;
}

const SEED_CHAR = 0x01000193;
const SEED_BIGRAM = 0x5bd1e995;
const SEED_CUE = 0x27d4eb2f;
const SEED_CLUSTER = 0x165667b1;
const SEED_LINE = 0x2545f491;
const SEED_CJK = 0x68e31da4;
/** A line that starts this many characters or fewer before the end of a text of at least TAIL_MIN_TEXT characters is a tail line. */
const TAIL_CHARS = 400;
const TAIL_MIN_TEXT = 600;
/** CJK runs (no spaces between words) give character unigrams and bigrams over at most this many characters. */
const MAX_CJK_RUN = 64;
/** Longest CJK lexicon entry, in characters. */
const MAX_CJK_TERM = 4;
const MAX_CHAR_WORD = 24;
const padded = new Int32Array(MAX_CHAR_WORD + 2);
/**
 * A lexicon hit is emitted this many times. Repeats share a bucket, so at most MAX_REPEATS of
 * them count: 3 (a stronger prior for the hand-written vocabularies) helped while every repeat
 * counted, and is now 1.
 */
const LEXICON_REPEAT = 1;
/**
 * A bucket counts at most this many times per text (see FeatureBuffer.markRepeats): 1 is binary
 * term frequency. Leave-one-source-out (macro-F1 4 classes / math-code-science): uncapped
 * 0.835 / 0.909, cap 2 0.854 / 0.934, cap 1 0.851 / 0.936 (kept: the best math/code/science).
 * markRepeats keeps one bit a bucket, so another cap means another table there.
 */
const MAX_REPEATS = 1;
export { MAX_REPEATS };

const SPACE = 0;
const LETTER = 1;
const DIGIT = 2;
const SYMBOL = 3;

/** Character class of a (lowercased, NFKC) char code. Non-ASCII letters of any script are letters. */
function classOf(c: number): number {
  if (c < 128) {
    if (c >= 97 && c <= 122) return LETTER;
    if (c >= 48 && c <= 57) return DIGIT;
    if (c === 95) return LETTER; // `_` joins identifiers such as is_prime
    if (c <= 32 || c === 127) return SPACE;
    return SYMBOL;
  }
  if (c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200b) || c === 0x2028 || c === 0x2029) return SPACE;
  if ((c >= 0x2010 && c <= 0x2bff) || (c >= 0x3001 && c <= 0x303f) || c === 0xd7 || c === 0xf7 || (c >= 0xa1 && c <= 0xbf)) return SYMBOL;
  return LETTER;
}

const TOKEN_OTHER = 0;
const TOKEN_NUMBER = 1;
const TOKEN_OPERATOR = 2;

/** + - * / ^ × ÷ */
function isOperator(c: number): boolean {
  return c === 43 || c === 45 || c === 42 || c === 47 || c === 94 || c === 0xd7 || c === 0xf7;
}

/** Longest option label of a script without a-e (Persian `الف`, Telugu `బి`: a letter and a vowel sign). */
const MAX_SCRIPT_LABEL = 3;

/**
 * Length of a multiple-choice option marker at i (`a.`, `b)`, `(c)`, `d )`, `e:`), or 0. Other scripts
 * label options with their own letters (Hebrew `א.`, Thai `ก.`, Devanagari `(क)`, Persian `الف)`): up to
 * three non-ASCII letters then `)` or `.`.
 */
function optionMarkerLength(text: string, i: number): number {
  let j = i;
  if (text.charCodeAt(j) === 40) j++; // (
  const c = text.charCodeAt(j);
  if (c >= 128) {
    const labelStart = j;
    while (j < text.length && j - labelStart < MAX_SCRIPT_LABEL && text.charCodeAt(j) >= 128 && classOf(text.charCodeAt(j)) === LETTER) j++;
    const d = text.charCodeAt(j);
    if (j === labelStart || (d !== 41 && d !== 46) || classOf(text.charCodeAt(j + 1)) !== SPACE) return 0;
    return j + 1 - i;
  }
  if (c < 97 || c > 101) return 0; // a-e
  j++;
  if (text.charCodeAt(j) === 32) j++;
  const d = text.charCodeAt(j);
  if (d !== 41 && d !== 46 && d !== 58) return 0; // ) . :
  const after = text.charCodeAt(j + 1);
  // "a. " or "a)" then content; "a.m." or "e.g." are words, not markers.
  if (d === 46 && j + 1 < text.length && classOf(after) !== SPACE) return 0;
  return j + 1 - i;
}

/** Word endings of medicine and biology (a word ending so is a science lexicon hit). */
const SCIENCE_SUFFIXES = [
  'itis',
  'osis',
  'ectomy',
  'otomy',
  'emia',
  'opathy',
  'ocyte',
  'ocytes',
  'genesis',
  'plasty',
  'scopy',
  'algia',
  'uria',
  'omas',
  'oma',
];

function endsWith(codes: Uint16Array, end: number, length: number, suffix: string): boolean {
  if (length < suffix.length + 3) return false;
  for (let k = 0; k < suffix.length; k++) if (codes[end - suffix.length + k] !== suffix.charCodeAt(k)) return false;
  return true;
}

/** Lexicon domain of a lexicon-hit span (for explanations only). */
function lexiconDomainOfSpan(text: string, start: number, end: number): number {
  const c = text.charCodeAt(start);
  if (c === 92) return 0;
  if (c === 96) return 1;
  const listed = LEXICON_DOMAIN_OF.get(text.slice(start, end));
  if (listed !== undefined) return listed;
  const word = new Uint16Array(end - start);
  for (let k = 0; k < word.length; k++) word[k] = text.charCodeAt(start + k);
  const domain = morphologyDomain(word, 0, word.length);
  return domain === NO_LEXICON ? 0 : domain;
}

/** Lexicon domain of a word that is in no list (code units in `codes`): medical suffixes → science, snake_case → code, else NO_LEXICON. */
function morphologyDomain(codes: Uint16Array, start: number, end: number): number {
  const length = end - start;
  const lastChar = codes[end - 1];
  // Every suffix ends in a, e, s or y: most words are rejected on their last letter.
  if (length >= 6 && (lastChar === 97 || lastChar === 101 || lastChar === 115 || lastChar === 121)) {
    for (let k = 0; k < SCIENCE_SUFFIXES.length; k++) if (endsWith(codes, end, length, SCIENCE_SUFFIXES[k])) return 2;
  }
  for (let k = start + 1; k < end - 1; k++) if (codes[k] === 95 && codes[k - 1] !== 95) return 1;
  return NO_LEXICON;
}

/**
 * The stored code of a feature of hash `h`: its bucket (the hash's low bits), bitwise-negated when the
 * hash's top bit is set. That bit is the feature's sign in the model's sum (signed feature hashing,
 * Weinberger et al. 2009): a feature the model never saw lands on some bucket's weights with a random
 * sign, so it adds noise of mean zero instead of that bucket's leaning. Unsigned, the average bucket
 * leant to `other` (the class with the most varied words) by 0.26 against math, and a text in a
 * language without training data, all of whose words are unseen, read as `other`.
 */
export function featureCode(h: number, mask: number): number {
  return (h & mask) ^ (h >> 31);
}

/** The bucket of a feature code (see {@link featureCode}). */
export function bucketOf(code: number): number {
  return code ^ (code >> 31);
}

/** The sign of a feature code, 1 or -1 (see {@link featureCode}). */
export function signOf(code: number): number {
  return (code >> 31) | 1;
}

function emitCue(out: FeatureBuffer, n: number, id: number, mask: number): number {
  out.buckets[n] = featureCode(fmix(SEED_CUE ^ Math.imul(id + 1, 0x9e3779b1)), mask);
  out.kinds[n] = CUE | STRUCTURE;
  out.starts[n] = id;
  out.ends[n] = id;
  return n + 1;
}

/**
 * True for a lone punctuation mark that says how a text is written, not what it is about:
 * sentence punctuation (`?`, `.`, `,`, `!`; as features it made every short, digit-free question
 * look like trivia), typographic quotes and Spanish opening marks, and an apostrophe inside a
 * word (`what's`, `l'intégrale`: the word's parts stay words). ASCII quotes elsewhere are code.
 */
function isProsePunctuation(text: string, at: number): boolean {
  const p = text.charCodeAt(at);
  switch (p) {
    case 63: // ?
    case 46: // .
    case 44: // ,
    case 33: // !
    case 0xbf: // ¿
    case 0xa1: // ¡
    case 0xab: // «
    case 0xbb: // »
    case 0x2018: // ‘
    case 0x2019: // ’
    case 0x201c: // “
    case 0x201d: // ”
    case 0x201e: // „
      return true;
    case 39: // '
      return at > 0 && classOf(text.charCodeAt(at - 1)) === LETTER && classOf(text.charCodeAt(at + 1)) === LETTER;
    default:
      return false;
  }
}

/**
 * The shape of one line: its first token and the class of its last character (`def …:`,
 * `public …{`, `return …;`, `example …:`), plus a tail variant for the last lines of a long text;
 * none for a line that ends a sentence (`.`, `?`, `!`, `。`).
 * Such shapes mark code stubs, signatures and layouts in any language without a keyword list.
 */
function emitLineShape(
  out: FeatureBuffer,
  n: number,
  first: number,
  last: number,
  start: number,
  end: number,
  tail: boolean,
  mask: number,
): number {
  // A line that ends a sentence is prose: its shape would only repeat its first word with the
  // layout of a benchmark ("how …?" is trivia), which misroutes short questions.
  if (last === 63 || last === 46 || last === 33 || last === 0x3002) return n;
  const lastClass = classOf(last);
  const ending = lastClass === LETTER ? 1 : lastClass === DIGIT ? 2 : last;
  const h = fmix(SEED_LINE ^ Math.imul(first, 0x9e3779b1) ^ Math.imul(ending, 0x85ebca6b));
  out.buckets[n] = featureCode(h, mask);
  out.kinds[n] = CUE | STRUCTURE | LINE_SHAPE;
  out.starts[n] = start;
  out.ends[n++] = end;
  if (!tail) return n;
  out.buckets[n] = featureCode(fmix(h ^ SEED_LINE), mask);
  out.kinds[n] = CUE | STRUCTURE | LINE_SHAPE | TAIL_LINE;
  out.starts[n] = start;
  out.ends[n++] = end;
  return n;
}

/** True for the scripts written without spaces between words (CJK ideographs, kana, Hangul). */
function isCjk(c: number): boolean {
  return (
    (c >= 0x3040 && c <= 0x30ff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff)
  );
}

/**
 * Character unigrams and bigrams of a CJK run [start, end): words there are not separated by
 * spaces, so a run is a whole clause and its character n-grams play the part of words. Lexicon
 * entries of 2 to 4 characters (domain-lexicon-multilingual.ts) are found by their token hash at
 * every position, so a CJK term borrows the weight its domain's vocabulary learned elsewhere.
 */
function emitCjkNgrams(
  out: FeatureBuffer,
  n: number,
  codes: Uint16Array,
  start: number,
  end: number,
  mask: number,
  table: TokenTable,
): number {
  let prev = 0;
  for (let k = start; k < end; k++) {
    const c = codes[k];
    out.buckets[n] = featureCode(fmix(Math.imul(SEED_CJK ^ c, 16777619)), mask);
    out.kinds[n] = WORD;
    out.starts[n] = k;
    out.ends[n++] = k + 1;
    if (k > start) {
      out.buckets[n] = featureCode(fmix(Math.imul(Math.imul(SEED_CJK ^ prev, 16777619) ^ c, 16777619)), mask);
      out.kinds[n] = WORD;
      out.starts[n] = k - 1;
      out.ends[n++] = k + 1;
    }
    prev = c;
    let h = Math.imul(SEED_WORD ^ c, 16777619);
    for (let j = k + 1; j < end && j < k + MAX_CJK_TERM; j++) {
      h = Math.imul(h ^ codes[j], 16777619);
      const domain = lexiconOf(tokenEntry(table, fmix(h)));
      if (domain < 0) continue; // NO_LEXICON or CHAT_WORD
      out.buckets[n] = featureCode(fmix(SEED_CUE ^ Math.imul(CUE_LEXICON + domain + 1, 0x9e3779b1)), mask);
      out.kinds[n] = CUE | LEXICON_HIT;
      out.starts[n] = k;
      out.ends[n++] = j + 1;
    }
  }
  return n;
}

function ratioBucket(part: number, whole: number): number {
  if (part === 0) return 0;
  const r = part / whole;
  return r < 0.05 ? 1 : r < 0.15 ? 2 : r < 0.3 ? 3 : 4;
}

/**
 * Fills `out` with the features of an already normalised text (see {@link normaliseText}),
 * hashed into 2^bits buckets. Returns the number of features; `out.describe` names any of them,
 * `out.skip` marks the capped repeats and `out.counted` is how many count.
 */
export function extractFeatures(text: string, bits: number, out: FeatureBuffer): number {
  const mask = (1 << bits) - 1;
  const len = text.length;
  const tokens = loadedTokenTable();
  out.reserve(len * 15 + 64, len + 1);
  const codes = out.load(text);
  const buckets = out.buckets;
  const kinds = out.kinds;
  const starts = out.starts;
  const ends = out.ends;
  const wordFirst = out.wordFirst;
  const wordStart = out.wordStart;
  const wordLength = out.wordLength;
  let words = 0;
  let n = 0;
  let prevHash = 0;
  let hasPrev = false;
  let prevCluster = -1;
  let prevClusterStart = 0;
  // Kinds of the last two tokens, to spot `number operator number` (bare arithmetic).
  let before1 = TOKEN_OTHER;
  let before2 = TOKEN_OTHER;
  let prevStart = 0;
  let digits = 0;
  let symbols = 0;
  let visible = 0;
  let indented = 0;
  let choices = 0;
  let latex = 0;
  let lineStart = true;
  let lineIndent = 0;
  // The current line: where it starts, its first token's hash (0 before any token) and last character.
  let lineFrom = 0;
  let lineFirst = 0;
  let lineLast = 0;
  let lineEnd = 0;
  const tailFrom = len >= TAIL_MIN_TEXT ? len - TAIL_CHARS : len;
  let prevIsWord = false;
  let i = 0;
  while (i < len) {
    let c = codes[i];
    let cls = classOf(c);
    if (cls === SPACE) {
      if (c === 10) {
        if (lineFirst !== 0) n = emitLineShape(out, n, lineFirst, lineLast, lineFrom, lineEnd, lineFrom >= tailFrom, mask);
        lineFirst = 0;
        lineStart = true;
        lineIndent = 0;
      } else if (lineStart) {
        lineIndent += c === 9 ? 4 : 1;
      }
      i++;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      lineFrom = i;
      if (lineIndent >= 2) indented++;
      const marker = optionMarkerLength(text, i);
      if (marker > 0) {
        lineFrom = i + marker;
        // Option letters ("A.", "(b)", "c )") are format, not content: every class has
        // multiple-choice sources, and as features they tie a class to one benchmark's layout.
        choices++;
        i += marker;
        continue;
      }
    }
    const start = i;
    let h = SEED_WORD;
    let isWord = false;
    let hasUnderscore = false;
    let cjk = false;
    let tokenLexicon = -1;
    if (cls === LETTER) {
      isWord = true;
      while (i < len) {
        c = codes[i];
        cls = classOf(c);
        if (cls === LETTER) {
          h = Math.imul(h ^ c, 16777619);
          if (c === 95) hasUnderscore = true;
          else if (c >= 0x3040 && !cjk) cjk = isCjk(c);
        } else if (cls === DIGIT) {
          h = Math.imul(h ^ 48, 16777619);
          digits++;
        } else break;
        i++;
      }
    } else if (cls === DIGIT) {
      let shown = 0;
      while (i < len) {
        c = codes[i];
        if (c >= 48 && c <= 57) {
          digits++;
          if (shown++ < 4) h = Math.imul(h ^ 48, 16777619);
        } else if ((c === 46 || c === 44) && i + 1 < len && classOf(codes[i + 1]) === DIGIT) {
          // A decimal comma reads as a point: "2,75 €" is the same number shape as "$2.75".
          h = Math.imul(h ^ 46, 16777619);
        } else break;
        i++;
      }
    } else if (c === 92 && i + 1 < len && classOf(codes[i + 1]) === LETTER) {
      latex++;
      tokenLexicon = 0; // a LaTeX command is a math lexicon hit
      h = Math.imul(h ^ c, 16777619);
      i++;
      while (i < len && classOf(codes[i]) === LETTER) h = Math.imul(h ^ codes[i++], 16777619);
    } else {
      // A run of up to 3 symbols (`==`, `()`, `$`, `->`); a backslash before a letter starts LaTeX.
      let taken = 0;
      while (i < len && taken < 3) {
        c = codes[i];
        if (classOf(c) !== SYMBOL || (c === 92 && taken > 0)) break;
        if (c === 36) latex++;
        h = Math.imul(h ^ c, 16777619);
        symbols++;
        taken++;
        i++;
      }
      // A Markdown code fence is a code lexicon hit: pasted code is rare in the training data.
      if (taken === 3 && c === 96 && codes[i - 2] === 96 && codes[i - 3] === 96) tokenLexicon = 1;
    }
    visible += i - start;
    const tokenHash = fmix(h);
    lineLast = codes[i - 1];
    lineEnd = i;
    if (i - start === 1 && !isWord && isProsePunctuation(text, start)) continue;
    const entry = tokenEntry(tokens, tokenHash);
    const known = lexiconOf(entry);
    if (isWord && known === CHAT_WORD) continue;
    // A line's shape starts at its first token that carries meaning (not "hey", not "¿").
    if (lineFirst === 0) lineFirst = tokenHash || 1;
    const tokenKind =
      !isWord && classOf(codes[start]) === DIGIT
        ? TOKEN_NUMBER
        : i - start === 1 && isOperator(codes[start])
          ? TOKEN_OPERATOR
          : TOKEN_OTHER;
    if (tokenKind === TOKEN_NUMBER && before1 === TOKEN_OPERATOR && before2 === TOKEN_NUMBER) tokenLexicon = 0; // bare arithmetic is math
    before2 = before1;
    before1 = tokenKind;
    // Numbers, symbols and LaTeX commands (and bigrams with one of them) are structure, words are text.
    const group = isWord ? 0 : STRUCTURE;
    buckets[n] = featureCode(tokenHash, mask);
    kinds[n] = WORD | group;
    starts[n] = start;
    ends[n++] = i;
    if (hasPrev) {
      buckets[n] = featureCode(fmix(Math.imul(prevHash, 0x9e3779b1) ^ tokenHash ^ SEED_BIGRAM), mask);
      kinds[n] = BIGRAM | (prevIsWord ? group : STRUCTURE);
      starts[n] = prevStart;
      ends[n++] = i;
    }
    prevIsWord = isWord;
    prevHash = tokenHash;
    hasPrev = true;
    prevStart = start;
    const lex = isWord
      ? known !== NO_LEXICON
        ? known
        : hasUnderscore || i - start >= 6
          ? morphologyDomain(codes, start, i)
          : NO_LEXICON
      : tokenLexicon >= 0
        ? tokenLexicon
        : known;
    if (lex !== NO_LEXICON) {
      const code = featureCode(fmix(SEED_CUE ^ Math.imul(CUE_LEXICON + lex + 1, 0x9e3779b1)), mask);
      for (let r = 0; r < LEXICON_REPEAT; r++) {
        buckets[n] = code;
        kinds[n] = CUE | LEXICON_HIT | group;
        starts[n] = start;
        ends[n++] = i;
      }
    }
    if (isWord) {
      // The word's embedding cluster, and the clusters of the previous word and this one when both
      // have one (numbers, symbols and chat words between them are passed over): see word-clusters.ts.
      const cluster = clusterOf(entry);
      if (cluster >= 0) {
        if (prevCluster >= 0) {
          buckets[n] = featureCode(fmix(SEED_CLUSTER ^ Math.imul(prevCluster + 1, 0x85ebca6b) ^ Math.imul(cluster + 1, 0x9e3779b1)), mask);
          kinds[n] = CUE | CLUSTER_PAIR;
          starts[n] = prevClusterStart;
          ends[n++] = i;
        }
        buckets[n] = featureCode(fmix(SEED_CLUSTER ^ Math.imul(cluster + 1, 0x9e3779b1)), mask);
        kinds[n] = CUE | CLUSTER_HIT;
        starts[n] = start;
        ends[n++] = i;
        prevClusterStart = start;
      }
      prevCluster = cluster;
      if (cjk) {
        n = emitCjkNgrams(out, n, codes, start, Math.min(i, start + MAX_CJK_RUN), mask, tokens);
        continue;
      }
      const wordLen = Math.min(i - start, MAX_CHAR_WORD);
      const last = wordLen + 1;
      // The word padded as <word>, digits read 0: the n-gram loops below then have no branches.
      padded[0] = 60;
      for (let k = 1; k <= wordLen; k++) {
        const ch = codes[start + k - 1];
        padded[k] = ch >= 48 && ch <= 57 ? 48 : ch;
      }
      padded[last] = 62;
      wordFirst[words] = n;
      wordStart[words] = start;
      wordLength[words++] = wordLen;
      for (let p = 0; p + 2 <= last; p++) {
        let g = Math.imul(Math.imul(SEED_CHAR ^ padded[p], 16777619) ^ padded[p + 1], 16777619);
        const stop = Math.min(p + 4, last);
        for (let j = p + 2; j <= stop; j++) {
          g = Math.imul(g ^ padded[j], 16777619);
          kinds[n] = CHAR;
          buckets[n++] = featureCode(fmix(g), mask);
        }
      }
    }
  }
  if (lineFirst !== 0) n = emitLineShape(out, n, lineFirst, lineLast, lineFrom, lineEnd, lineFrom >= tailFrom, mask);
  // Cue emission is a plain function, not a closure: a closure over `n` and the arrays would move
  // them into a heap context and slow every access in the loop above.
  if (digits > 0) n = emitCue(out, n, CUE_DIGITS + ratioBucket(digits, visible), mask);
  if (symbols > 0) n = emitCue(out, n, CUE_SYMBOLS + ratioBucket(symbols, visible), mask);
  if (indented > 0) n = emitCue(out, n, CUE_INDENTED, mask);
  if (choices >= 2) n = emitCue(out, n, CUE_CHOICES, mask);
  if (latex > 0) n = emitCue(out, n, CUE_LATEX, mask);
  out.length = n;
  out.words = words;
  out.markRepeats(n, bits);
  return n;
}
