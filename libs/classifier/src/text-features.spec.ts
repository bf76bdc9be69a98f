import {
  FeatureBuffer,
  MAX_REPEATS,
  STRUCTURE,
  bucketOf,
  extractFeatures,
  featureCode,
  normaliseText,
  signOf,
  truncateText,
} from './text-features';

describe('text features', () => {
  it('truncates to the first 1500 and last 500 characters, joined by a newline', () => {
    const text = `${'a'.repeat(1500)}${'b'.repeat(1000)}${'c'.repeat(500)}`;
    const cut = truncateText(text);
    expect(cut).toBe(`${'a'.repeat(1500)}\n${'c'.repeat(500)}`);
    expect(truncateText('short')).toBe('short');
    expect(truncateText('abcdefgh', { headChars: 2, tailChars: 3 })).toBe('ab\nfgh');
  });

  it('normalises with NFKC and lowercase', () => {
    expect(normaliseText('Ｐｙｔｈｏｎ ﬁle x²')).toBe('python file x2');
  });

  it('writes the digits of every script as ASCII digits, keeping the length', () => {
    // Bengali, Devanagari, Persian, Arabic-Indic and Thai digits; full-width ones go through NFKC.
    const text = 'দাম ৩৫০ টাকা, १२ रुपये, ۴۵ تومان, ٦٧, ๘๙ บาท, ４２';
    const normalised = normaliseText(text);
    expect(normalised).toBe('দাম 350 টাকা, 12 रुपये, 45 تومان, 67, 89 บาท, 42');
    expect(normalised).toHaveLength(text.length);
  });

  it('codes a feature as its bucket and a sign taken from another bit of its hash', () => {
    const mask = (1 << 18) - 1;
    const signs = new Set<number>();
    for (const hash of [0, 1, 0x3ffff, 0x40000, -1, -0x40000, 0x7fffffff, -0x80000000, 0x12345678, -0x12345678]) {
      const code = featureCode(hash, mask);
      expect(bucketOf(code)).toBe(hash & mask);
      expect(signOf(code)).toBe(hash < 0 ? -1 : 1);
      signs.add(signOf(code));
    }
    expect(signs).toEqual(new Set([1, -1]));
    // Every feature of a text carries its group's value times its sign.
    const buffer = new FeatureBuffer();
    const n = extractFeatures(normaliseText('integrate x e^x from 0 to 1, then plot it in python'), 18, buffer);
    const values = Array.from({ length: n }, (_, i) => buffer.valueOf(i));
    expect(values.some((v) => v > 0) && values.some((v) => v < 0)).toBe(true);
    values.forEach((v, i) => expect(Math.abs(v)).toBe(buffer.kinds[i] & STRUCTURE ? buffer.structureValue : buffer.textValue));
  });

  it('extracts words, bigrams, char n-grams, lexicon hits and cues it can name', () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('Fix my Python: $x^2$ == 4?');
    const n = extractFeatures(text, 16, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(text, i));
    expect(names).toEqual(
      expect.arrayContaining([
        'w:fix',
        'w2:fix my python',
        'c:<py',
        'c:<pyt',
        'c:hon>',
        'lex:code(python)',
        'w:$',
        'w:==',
        'w:4',
        'cue:latex',
      ]),
    );
    // Lone sentence punctuation is not a feature; a lexicon hit is one feature.
    expect(names).not.toContain('w:?');
    // Chat filler words ("my") are skipped; bigrams join the words around them.
    expect(names).not.toContain('w:my');
    expect(names.filter((name) => name === 'lex:code(python)')).toHaveLength(1);
    for (let i = 0; i < n; i++) expect(buffer.buckets[i]).toBeLessThan(1 << 16);
  });

  it('counts medical word endings as science and snake_case as code', () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('gastritis and is_prime');
    const n = extractFeatures(text, 16, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(text, i));
    expect(names).toEqual(expect.arrayContaining(['lex:science(gastritis)', 'lex:code(is_prime)']));
  });

  it('counts bare arithmetic (number operator number) as math', () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('what is 7 * 8 and 3/4');
    const n = extractFeatures(text, 16, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(text, i));
    expect(names.filter((name) => name.startsWith('lex:math('))).toEqual(['lex:math(8)', 'lex:math(4)']);
  });

  it('counts a bucket at most MAX_REPEATS times per text and marks the rest as skipped', () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('banana banana banana split');
    const n = extractFeatures(text, 18, buffer);
    const counted = new Map<number, number>();
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (buffer.skip[i]) continue;
      kept++;
      counted.set(buffer.buckets[i], (counted.get(buffer.buckets[i]) ?? 0) + 1);
    }
    expect(kept).toBe(buffer.counted);
    expect(buffer.counted).toBeLessThan(n);
    expect(Math.max(...counted.values())).toBeLessThanOrEqual(MAX_REPEATS);
    // Every bucket of the text is still counted once, and the next text starts afresh.
    expect(counted.size).toBe(new Set(Array.from(buffer.buckets.subarray(0, n))).size);
    const m = extractFeatures(normaliseText('banana'), 18, buffer);
    expect(buffer.counted).toBe(new Set(Array.from(buffer.buckets.subarray(0, m))).size);
  });

  it('hashes identically for identical text, numbers by shape', () => {
    const a = new FeatureBuffer();
    const b = new FeatureBuffer();
    const n = extractFeatures('costs 12 dollars', 18, a);
    expect(extractFeatures('costs 47 dollars', 18, b)).toBe(n);
    expect(Array.from(a.buckets.subarray(0, n))).toEqual(Array.from(b.buckets.subarray(0, n)));
  });

  it('marks pasted code and multiple-choice layouts', () => {
    const buffer = new FeatureBuffer();
    const code = normaliseText('why?\ndef f(x):\n    return x\n');
    let n = extractFeatures(code, 16, buffer);
    expect(Array.from({ length: n }, (_, i) => buffer.describe(code, i))).toContain('cue:indented-lines');
    const mc = normaliseText('Pick one\nA. red\nB. blue\nC. green');
    n = extractFeatures(mc, 16, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(mc, i));
    expect(names).toContain('cue:multiple-choice');
    // The option letters themselves are skipped: they are layout, not content.
    expect(names).not.toContain('w:a');
    expect(names.some((name) => name.startsWith('w2:red') && name.endsWith('blue'))).toBe(true);
    // Option letters of other scripts: Hebrew, Thai, Devanagari in parentheses, Persian's three-letter first one.
    for (const options of ['א. וולט\nב. אמפר\nג. אוהם', 'ก. นก\nข. ปลา', '(क) लोहा\n(ख) तांबा', 'الف) ریبوزوم\nب) هسته']) {
      const layout = normaliseText(`?\n${options}`);
      n = extractFeatures(layout, 16, buffer);
      expect(Array.from({ length: n }, (_, i) => buffer.describe(layout, i))).toContain('cue:multiple-choice');
    }
    // A line that starts with a short word and a full stop is not an option.
    const prose = normaliseText('שלום.\nזה טקסט.');
    n = extractFeatures(prose, 16, buffer);
    expect(Array.from({ length: n }, (_, i) => buffer.describe(prose, i))).not.toContain('cue:multiple-choice');
    const fenced = normaliseText('explain\n```js\nx => x\n```');
    n = extractFeatures(fenced, 16, buffer);
    expect(Array.from({ length: n }, (_, i) => buffer.describe(fenced, i))).toEqual(
      expect.arrayContaining(['lex:code(```)', 'lex:code(=>)']),
    );
  });

  it('names every char n-gram of a word from its word record, in extraction order', () => {
    const buffer = new FeatureBuffer();
    // A long first text leaves stale records behind: naming must not read them.
    extractFeatures(normaliseText('internationalisation of the configuration files '.repeat(20)), 16, buffer);
    const text = normaliseText('cat 42');
    const n = extractFeatures(text, 16, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(text, i));
    expect(names.filter((name) => name.startsWith('c:'))).toEqual(['c:<ca', 'c:<cat', 'c:<cat>', 'c:cat', 'c:cat>', 'c:at>']);
    expect(names).toEqual(expect.arrayContaining(['w:cat', 'w:42', 'w2:cat 42']));
  });

  it("adds the embedding cluster of known words and of successive pairs, named by each cluster's first word", () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('The judge ruled 3 times; zzqxv court');
    const n = extractFeatures(text, 18, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(text, i));
    const clusters = names.filter((name) => name.startsWith('cl:'));
    expect(clusters.map((name) => name.replace(/^cl:[a-z]+/, ''))).toEqual(['(the)', '(judge)', '(ruled)', '(times)', '(court)']);
    // Words of related meaning share a cluster; an unknown word has none and breaks the pairs.
    const clusterOf = (word: string): string | undefined => clusters.find((name) => name.endsWith(`(${word})`))?.split('(')[0];
    expect(clusterOf('judge')).toBe(clusterOf('court'));
    const pairs = names.filter((name) => name.startsWith('cl2:'));
    expect(pairs.map((name) => name.replace(/^cl2:[a-z]+\+[a-z]+/, ''))).toEqual(['(the judge)', '(judge ruled)', '(ruled times)']);
    expect(pairs[0]).toBe(`cl2:${clusterOf('the')!.slice(3)}+${clusterOf('judge')!.slice(3)}(the judge)`);
  });

  it('gives each line a shape (first token, last character), and the tail lines of a long text a second one', () => {
    const buffer = new FeatureBuffer();
    const stub = normaliseText(
      `${'Given an integer array nums, return the number of pairs. '.repeat(12)}\nclass Solution:\n    def count(self, nums):\n        pass`,
    );
    const n = extractFeatures(stub, 18, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(stub, i));
    expect(names).toEqual(
      expect.arrayContaining(['line:class…:', 'tail-line:class…:', 'line:def…:', 'tail-line:def…:', 'tail-line:pass…s']),
    );
    // The statement ends a sentence: prose, no shape (and it starts more than 400 characters before the end).
    expect(names.filter((name) => name.includes('line:given'))).toEqual([]);
    const listing = normaliseText('Input: nums = [1,2]\nOutput: 2');
    const k = extractFeatures(listing, 18, buffer);
    expect(Array.from({ length: k }, (_, i) => buffer.describe(listing, i)).filter((name) => name.includes('line:'))).toEqual([
      'line:input…]',
      'line:output…2',
    ]);
    // A short text has no tail lines: all of it is the question.
    const short = normaliseText('def f(x):\n    return x');
    const m = extractFeatures(short, 18, buffer);
    expect(Array.from({ length: m }, (_, i) => buffer.describe(short, i)).filter((name) => name.includes('line:'))).toEqual([
      'line:def…:',
      'line:return…x',
    ]);
  });

  it('normalises words and structure apart, so prose does not drown a stub', () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('the quick brown fox jumps over the lazy dog again and again\nint f(int[] a) {');
    const n = extractFeatures(text, 18, buffer);
    let structure = 0;
    for (let i = 0; i < n; i++) if (!buffer.skip[i] && buffer.kinds[i] & STRUCTURE) structure++;
    expect(buffer.countedStructure).toBe(structure);
    expect(structure).toBeGreaterThan(0);
    expect(buffer.structureValue).toBeCloseTo(1 / Math.sqrt(structure));
    expect(buffer.textValue).toBeCloseTo(1 / Math.sqrt(buffer.counted - structure));
    // Symbols are structure, words are text, and the line shape is structure.
    const kindOf = (name: string): number => {
      const i = Array.from({ length: n }, (_, k) => k).find((k) => buffer.describe(text, k) === name);
      if (i === undefined) throw new Error(`no feature ${name}`);
      return buffer.kinds[i] & STRUCTURE;
    };
    expect(kindOf('w:{')).toBe(STRUCTURE);
    expect(kindOf('line:int…{')).toBe(STRUCTURE);
    expect(kindOf('w:fox')).toBe(0);
  });

  it('reads CJK runs as character unigrams and bigrams', () => {
    const buffer = new FeatureBuffer();
    const text = normaliseText('计算光合作用');
    const n = extractFeatures(text, 18, buffer);
    const names = Array.from({ length: n }, (_, i) => buffer.describe(text, i));
    expect(names).toEqual(expect.arrayContaining(['w:计', 'w:算', 'w:计算', 'w:光合', 'w:作用']));
    expect(names.some((name) => name.startsWith('c:'))).toBe(false);
  });

  it('gives the same features for a text however the string is built, and after a longer text', () => {
    // The tokenizer reads a copy of the text's code units (FeatureBuffer.load); a buffer reused
    // after a longer text still holds that text's units past the end.
    const featuresOf = (text: string, buffer = new FeatureBuffer()): string => {
      const n = extractFeatures(text, 18, buffer);
      return `${Array.from(buffer.buckets.subarray(0, n)).join()}|${Array.from(buffer.kinds.subarray(0, n)).join()}`;
    };
    const texts = [
      'ｆｉｘ my python: def f(x):\n    return x ** 2',
      'löse 3x + 2 = 8 für x; 计算光合作用',
      'a lone \ud800 surrogate, what’s that?',
    ].map((t) => normaliseText(t));
    const reused = new FeatureBuffer();
    featuresOf(normaliseText('a much longer text about integrals, python scripts and photosynthesis '.repeat(20)), reused);
    for (const text of texts) {
      const expected = featuresOf(text);
      expect(featuresOf(`!${text}`.slice(1))).toBe(expected);
      expect(featuresOf(['', text].join(''))).toBe(expected);
      expect(featuresOf(text, reused)).toBe(expected);
    }
  });
});
