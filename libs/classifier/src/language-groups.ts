/**
 * The language of a training item, roughly: enough to weigh the classes of each language apart
 * (trainer.ts, `languageBalance`), not a language identifier to show anyone. Most non-English
 * training items come from a few exam and Wikipedia sources of one or two classes each, so a model
 * trained on them learns "German text → other" from character n-grams that every German text has;
 * a grade-school word problem in German then goes to `other` while its English twin goes to `math`.
 * Giving every class the same weight within each language leaves those n-grams no class to
 * predict, and the content words decide.
 *
 * The script decides where it is unambiguous (kana → Japanese, Han → Chinese, Devanagari, Arabic,
 * Greek, Thai, Hangul); Latin and Cyrillic texts go to the language whose function words (the
 * `stopword` package's lists) they use most, English when none stands out.
 */
import * as stopword from 'stopword';

/** The Latin- and Cyrillic-script languages told apart by their function words (stopword's list names). */
const VOTING_LANGUAGES = [
  'eng',
  'deu',
  'fra',
  'spa',
  'por',
  'ita',
  'nld',
  'pol',
  'tur',
  'hun',
  'hrv',
  'lit',
  'ron',
  'vie',
  'ces',
  'swe',
  'rus',
  'bul',
  'ukr',
] as const;

/** Each function word's languages (indices into VOTING_LANGUAGES); a word of several languages votes for each. */
const LANGUAGES_OF_WORD: ReadonlyMap<string, readonly number[]> = (() => {
  const lists = stopword as unknown as Record<string, readonly string[]>;
  const map = new Map<string, number[]>();
  VOTING_LANGUAGES.forEach((language, index) => {
    // Single letters are variables in code and formulas (German's list has a to z).
    for (const word of (lists[language] ?? []).filter((w) => w.length > 1)) {
      const languages = map.get(word) ?? [];
      if (!languages.includes(index)) languages.push(index);
      map.set(word, languages);
    }
  });
  return map;
})();

/** Characters looked at: a language shows in its first sentences. */
const SAMPLE_CHARS = 600;

const SCRIPTS: readonly { name: string; from: number; to: number }[] = [
  { name: 'ja', from: 0x3040, to: 0x30ff }, // hiragana, katakana
  { name: 'ko', from: 0xac00, to: 0xd7af },
  { name: 'zh', from: 0x4e00, to: 0x9fff },
  { name: 'hi', from: 0x0900, to: 0x097f }, // Devanagari (Hindi, Marathi)
  { name: 'ar', from: 0x0600, to: 0x06ff },
  { name: 'el', from: 0x0370, to: 0x03ff },
  { name: 'th', from: 0x0e00, to: 0x0e7f },
];

/**
 * A language group of `text`: `ja`, `ko`, `zh`, `hi`, `ar`, `el`, `th` by script, else the stopword
 * list name (`eng`, `deu`, `rus`, …) its words vote for, `eng` when no word votes.
 */
export function languageGroupOf(text: string): string {
  const sample = text.length > SAMPLE_CHARS ? text.slice(0, SAMPLE_CHARS) : text;
  const counts = new Array<number>(SCRIPTS.length).fill(0);
  let letters = 0;
  for (const char of sample) {
    const code = char.codePointAt(0)!;
    const script = SCRIPTS.findIndex((s) => code >= s.from && code <= s.to);
    if (script >= 0) counts[script]++;
    else if (/\p{L}/u.test(char)) letters++;
  }
  // Any kana makes Han text Japanese; otherwise the script with most characters, if it is a tenth of the letters.
  if (counts[0] > 0) return 'ja';
  let best = -1;
  for (let s = 1; s < SCRIPTS.length; s++) if (counts[s] > 0 && (best < 0 || counts[s] > counts[best])) best = s;
  if (best >= 0 && counts[best] * 10 >= letters + counts[best]) return SCRIPTS[best].name;
  return votedLanguage(sample);
}

function votedLanguage(sample: string): string {
  const votes = new Array<number>(VOTING_LANGUAGES.length).fill(0);
  for (const word of sample.toLowerCase().split(/[^\p{L}]+/u)) {
    for (const language of LANGUAGES_OF_WORD.get(word) ?? []) votes[language]++;
  }
  let best = 0;
  for (let l = 1; l < votes.length; l++) if (votes[l] > votes[best]) best = l;
  return votes[best] > 0 ? VOTING_LANGUAGES[best] : 'eng';
}
