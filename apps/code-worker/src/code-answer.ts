import { findFencedBlocks, found, missing, type ExtractionInput, type PromptContext } from '@slm/worker-runtime';
import type { ExtractedAnswer } from '@slm/contracts';

/** The language asked for when the problem names none. */
export const DEFAULT_LANGUAGE = 'python';

/** Spellings people and models use → the fence tag we ask for and report. */
const LANGUAGE_ALIASES: Record<string, string> = {
  python: 'python',
  python3: 'python',
  py: 'python',
  cpp: 'cpp',
  'c++': 'cpp',
  cxx: 'cpp',
  cc: 'cpp',
  c: 'c',
  java: 'java',
  javascript: 'javascript',
  js: 'javascript',
  node: 'javascript',
  nodejs: 'javascript',
  typescript: 'typescript',
  ts: 'typescript',
  go: 'go',
  golang: 'go',
  rust: 'rust',
  rs: 'rust',
  csharp: 'csharp',
  'c#': 'csharp',
  cs: 'csharp',
  kotlin: 'kotlin',
  kt: 'kotlin',
  swift: 'swift',
  ruby: 'ruby',
  rb: 'ruby',
  php: 'php',
  bash: 'bash',
  sh: 'bash',
  shell: 'bash',
  zsh: 'bash',
  sql: 'sql',
  haskell: 'haskell',
  scala: 'scala',
  r: 'r',
  lua: 'lua',
  perl: 'perl',
};

/** The canonical fence tag of a language name, or '' when unknown. */
export function canonicalLanguage(name: string): string {
  return LANGUAGE_ALIASES[name.trim().toLowerCase()] ?? '';
}

// Names matched in prose. Short or ambiguous ones ("c", "r", "go", "js") only count next to a
// word like "in"/"using"/"language"/"code", so "a c program" or "go through" do not switch languages.
const PROSE_LANGUAGES: Array<[RegExp, string]> = [
  [/\bc\+\+|\bcpp\b/i, 'cpp'],
  [/\bc#|\bcsharp\b/i, 'csharp'],
  [/\btypescript\b/i, 'typescript'],
  [/\bjavascript\b|\bnode\.?js\b/i, 'javascript'],
  [/\bjava\b(?!\s*script)/i, 'java'],
  [/\brust\b/i, 'rust'],
  [/\bgolang\b|\b(?:in|using|with)\s+go\b|\bgo\s+(?:code|program|function|language)\b/i, 'go'],
  [/\bkotlin\b/i, 'kotlin'],
  [/\bswift\b/i, 'swift'],
  [/\bruby\b/i, 'ruby'],
  [/\bphp\b/i, 'php'],
  [/\bhaskell\b/i, 'haskell'],
  [/\bscala\b/i, 'scala'],
  [/\bbash\b|\bshell script\b/i, 'bash'],
  [/\bsql\b/i, 'sql'],
  [/\b(?:in|using|with)\s+c\b(?![+#])|\bc\s+(?:code|program|function|language)\b|\bansi c\b/i, 'c'],
  [/\bpython\d?\b/i, 'python'],
];

/**
 * The language the problem asks for: metadata `language` first, then a fence tag in the text
 * (```cpp), then a language named in the prose; python when none.
 */
export function requestedLanguage(context: PromptContext): string {
  const fromMetadata = canonicalLanguage(context.metadata['language'] ?? '');
  if (fromMetadata) return fromMetadata;
  const fence = /```\s*([\w+#-]+)/.exec(context.problemText);
  const fromFence = fence ? canonicalLanguage(fence[1] ?? '') : '';
  if (fromFence) return fromFence;
  let best: { index: number; language: string } | undefined;
  for (const [pattern, language] of PROSE_LANGUAGES) {
    const match = pattern.exec(context.problemText);
    // The first language named wins ("in C++, not Python" asks for C++).
    if (match && (!best || match.index < best.index)) best = { index: match.index, language };
  }
  return best?.language ?? DEFAULT_LANGUAGE;
}

/**
 * The code worker's answer: the last complete fenced code block of the answer part, and its
 * language (the fence's tag, else the requested language). A block cut by the end of the output
 * is used only when there is no complete one, and never silently: it is reported missing.
 */
export function extractCodeAnswer(input: ExtractionInput): Required<ExtractedAnswer> {
  const blocks = findFencedBlocks(input.answer);
  if (blocks.length === 0) return missing('no fenced code block in the output', input);
  const complete = blocks.filter((block) => block.closed);
  const last = complete[complete.length - 1];
  if (!last) return missing('the last code block is never closed', input);
  if (last.code.trim() === '') return missing('the last code block is empty', input);
  const language =
    canonicalLanguage(last.language) || last.language || requestedLanguage({ problemText: input.problemText, metadata: input.metadata });
  return found(last.code.replace(/\s+$/, ''), 'code_block', language);
}
