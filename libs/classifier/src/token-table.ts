/**
 * What the tokenizer of text-features.ts knows about a token, found by the token's hash: its
 * lexicon domain (domain-lexicon.ts, domain-lexicon-multilingual.ts), whether it is a skipped word
 * (chat filler, foreign function words) and its word embedding cluster (word-clusters.ts). Part of
 * the features: bump FEATURE_VERSION (text-features.ts) with any change here.
 */

import * as stopword from 'stopword';
import { LEXICON_DOMAIN_OF } from './domain-lexicon';
import { WordClusters, committedWordClustersPath, readWordClusters } from './word-clusters';

/** Seed of the token hash (FNV-1a steps over the token's characters, then {@link fmix}). */
export const SEED_WORD = 0x811c9dc5;

/**
 * Chat filler words. Every conversational source of the training data is labelled "other", so as
 * features these words sent "hey, can you help me fix my python script?" to "other". They carry
 * no domain, so they are skipped (bigrams join the words around them).
 */
const CHAT_WORDS =
  'hey hi hello please pls plz thanks thank thx you your yours i me my mine im can could would help need want someone anyone guys just really so ok okay'.split(
    ' ',
  );

/**
 * Function words of German, French, Spanish, Portuguese, Russian and Hindi (the `stopword`
 * package's lists), less the English ones and short Latin-letter words that English or code use
 * ("a", "in", "die", "was"). Most non-English training items of a language come from a few exam
 * and Wikipedia sources of one class each, so as features these words taught "German text →
 * other": skipped like the chat words, the content words decide.
 */
const FOREIGN_FUNCTION_WORDS: readonly string[] = (() => {
  const english = new Set(stopword.eng);
  const lists = [stopword.deu, stopword.fra, stopword.spa, stopword.por, stopword.rus, stopword.hin];
  return [...new Set(lists.flat())].filter((word) => !english.has(word) && !/^[a-z]{1,2}$/.test(word) && /^[\p{L}]+$/u.test(word));
})();

/** Marks skipped words (chat words, foreign function words) in LEXICON_BY_HASH, so one lookup per word answers both questions. */
export const CHAT_WORD = -1;
/** The lexicon entry of a token in no list (see lexiconOf). */
export const NO_LEXICON = -2;

/** Lexicon words by token hash (the same hash the tokenizer computes); the tokenizer reads it through the {@link TokenTable}. */
const LEXICON_BY_HASH: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  for (const [word, domain] of LEXICON_DOMAIN_OF) map.set(wordHash(word), domain);
  for (const word of CHAT_WORDS) map.set(wordHash(word), CHAT_WORD);
  for (const word of FOREIGN_FUNCTION_WORDS) {
    const h = wordHash(word);
    if (!map.has(h)) map.set(h, CHAT_WORD);
  }
  return map;
})();

/** The token hash the tokenizer computes for a word (digits read 0). */
function wordHash(word: string): number {
  let h = SEED_WORD;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    h = Math.imul(h ^ (c >= 48 && c <= 57 ? 48 : c), 16777619);
  }
  return fmix(h);
}

/** Murmur3 finaliser. Returns a signed int32 so V8 keeps it a small integer (no heap numbers). */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * Token hash → lexicon domain and embedding cluster: one open-addressing table keyed by the token
 * hash, so a token costs one probe and no substring (a Map for the lexicon beside a table for the
 * clusters cost two lookups a word, and `Map.get` alone was a seventh of extraction in a CPU profile).
 * `slots` interleaves [hash, entry] so that a probe reads one cache line; an entry packs
 * (lexicon domain + 2) in its low byte (0: none, 1: CHAT_WORD) and (cluster id + 1) above (0: none),
 * and 0 marks an empty slot. Built on first use, with the clusters of the committed word-clusters.txt.
 */
export interface TokenTable {
  slots: Int32Array;
  mask: number;
  /** Per cluster id, its first (most frequent) word: names the feature in explanations. */
  names: string[];
  source: WordClusters;
}
let tokenTable: TokenTable | undefined;

function buildTokenTable(source: WordClusters): TokenTable {
  const words = source.clusters.reduce((sum, c) => sum + c.length, 0);
  let size = 1024;
  while (size < (words + LEXICON_BY_HASH.size) * 2) size *= 2;
  const slots = new Int32Array(size * 2);
  const mask = size - 1;
  /** The slot of hash h, taken when it is new. */
  const slotOf = (h: number): number => {
    let slot = h & mask;
    while (slots[2 * slot + 1] !== 0 && slots[2 * slot] !== h) slot = (slot + 1) & mask;
    slots[2 * slot] = h;
    return slot;
  };
  // A hash met twice keeps its last cluster, and its lexicon domain is the Map's.
  source.clusters.forEach((cluster, id) => {
    for (const word of cluster) {
      const slot = slotOf(wordHash(word));
      slots[2 * slot + 1] = (slots[2 * slot + 1] & 0xff) | ((id + 1) << 8);
    }
  });
  for (const [h, domain] of LEXICON_BY_HASH) {
    const slot = slotOf(h);
    slots[2 * slot + 1] = (slots[2 * slot + 1] & ~0xff) | (domain + 2);
  }
  return { slots, mask, names: source.clusters.map((c) => c[0]), source };
}

/** The table, built on first use. */
export function loadedTokenTable(): TokenTable {
  return (tokenTable ??= buildTokenTable(readWordClusters(committedWordClustersPath())));
}

/** The word clusters the features use (the committed libs/classifier/model/word-clusters.txt). */
export function featureWordClusters(): WordClusters {
  return loadedTokenTable().source;
}

/** The table entry of a token hash, 0 when the token is in no list. */
export function tokenEntry(table: TokenTable, h: number): number {
  const { slots, mask } = table;
  let slot = h & mask;
  for (;;) {
    const entry = slots[2 * slot + 1];
    if (entry === 0 || slots[2 * slot] === h) return entry;
    slot = (slot + 1) & mask;
  }
}

/** Lexicon domain of a table entry, CHAT_WORD, or NO_LEXICON. */
export function lexiconOf(entry: number): number {
  return (entry & 0xff) - 2;
}

/** Cluster id of a table entry, or -1. */
export function clusterOf(entry: number): number {
  return (entry >>> 8) - 1;
}

/** A word's cluster, named by the cluster's most frequent word (`?` when the word has none). */
export function clusterNameOf(word: string): string {
  const table = loadedTokenTable();
  const id = clusterOf(tokenEntry(table, wordHash(word)));
  return id < 0 ? '?' : table.names[id];
}

/** `cl2:court+law(judge ruled)` for the pair feature over `span` (first and last letter words of it). */
export function clusterPairName(span: string): string {
  const words = span.split(/[^\p{L}\p{N}_]+/u).filter((w) => w !== '');
  const first = words[0] ?? '';
  const last = words[words.length - 1] ?? '';
  return `cl2:${clusterNameOf(first)}+${clusterNameOf(last)}(${first} ${last})`;
}
