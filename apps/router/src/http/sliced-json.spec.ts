import { AppError, ErrorCode } from '@slm/platform';
import { TimeSlicer } from '../batches/time-slicer';
import { parseJsonInSlices, parseJsonLinesInSlices } from './sliced-json';

const tooMany = (max: number) => new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `more than ${max}`);

/** Counts turns of the event loop while `work` runs (a setImmediate chain: counted, not timed). */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { value: await work(), turns };
  } finally {
    running = false;
  }
}

describe('parseJsonInSlices', () => {
  const problems = (n: number, chars = 20) =>
    Array.from({ length: n }, (_, i) => ({ text: `problem ${i} ${'x'.repeat(chars)}`, priority: i % 3, metadata: { k: `"q\\${i}` } }));

  it.each([
    ['a scalar', '42'],
    ['a string with escapes', '"a \\"quoted\\" \\\\ path \\u00e9"'],
    ['an empty array and object', '{"a": [], "b": {}, "c": [ ]}'],
    [
      'nested values with white space',
      ' { "problems" : [ {"text": "a", "n": [1, 2.5e3, -0, true, false, null]} , {"text":"b\\n"} ] , "priority": 2 } ',
    ],
    ['a big envelope', JSON.stringify({ problems: problems(3000), idempotencyKey: 'k-1', metadata: { a: 'b' } })],
    ['a big bare array', JSON.stringify(problems(3000))],
    ['big containers below the top', JSON.stringify({ deep: { list: problems(2000), more: [problems(1500)] } })],
  ])('equals JSON.parse for %s', async (_name, text) => {
    expect(await parseJsonInSlices(Buffer.from(text), { slicer: new TimeSlicer() })).toEqual(JSON.parse(text));
    expect(await parseJsonInSlices(Buffer.from(text), { slicer: new TimeSlicer(0), maxItems: 1_000_000, tooMany })).toEqual(
      JSON.parse(text),
    );
  });

  it('keeps "__proto__" an own property, as JSON.parse does', async () => {
    const parsed = (await parseJsonInSlices(
      Buffer.from(`{"problems": [], "__proto__": {"polluted": true}, "pad": "${'x'.repeat(70_000)}"}`),
      { slicer: new TimeSlicer(), maxItems: 10, tooMany },
    )) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"text": ', /^malformed JSON body: /],
    ['[{"text": "a"} {"text": "b"}]', /^malformed JSON body: unexpected '\{"text": "b"\}\]' at position 15 \(after \[0\]\)$/],
    ['[{"text": "a"}, {"text": tru}]', /^malformed JSON body: .*\(in \[1\]\)$/],
    ['{"problems": [{"text": "a"},]}', /^malformed JSON body: .*\(in problems\[1\]\)$/],
    ['[1] 2', /^malformed JSON body: unexpected '2' after the JSON value/],
  ])('refuses malformed JSON %s', async (text, message) => {
    const parse = parseJsonInSlices(Buffer.from(text), { slicer: new TimeSlicer(), maxItems: 100, tooMany });
    await expect(parse).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message: expect.stringMatching(message) });
  });

  it('refuses bytes that are not UTF-8 inside an item, and drops a leading byte-order mark', async () => {
    const bad = Buffer.concat([Buffer.from('[{"text": "a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]);
    await expect(parseJsonInSlices(bad, { slicer: new TimeSlicer(), maxItems: 10, tooMany })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'body is not valid UTF-8',
    });
    await expect(parseJsonLinesInSlices(bad, { slicer: new TimeSlicer(), maxItems: 10, tooMany })).rejects.toMatchObject({
      message: 'body is not valid UTF-8',
    });
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"text": "é ∑ 😀"}]')]);
    expect(await parseJsonInSlices(withBom, { slicer: new TimeSlicer(), maxItems: 10, tooMany })).toEqual([{ text: 'é ∑ 😀' }]);
  });

  it('counts the items before parsing them: one item over the limit is refused at once, whatever comes after it', async () => {
    // Three items fit; the fourth is refused before it is read, even though it and the rest are not JSON at all.
    const body = `{"problems": [{"text": "a"}, {"txt": 1}, {"text": "c"}, not json, nor this`;
    await expect(parseJsonInSlices(Buffer.from(body), { slicer: new TimeSlicer(), maxItems: 3, tooMany })).rejects.toMatchObject({
      code: ErrorCode.PAYLOAD_TOO_LARGE,
      message: 'more than 3',
    });
    await expect(
      parseJsonInSlices(Buffer.from(`[1, 2, 3, 4, ${'garbage '.repeat(10)}`), { slicer: new TimeSlicer(), maxItems: 3, tooMany }),
    ).rejects.toMatchObject({ code: ErrorCode.PAYLOAD_TOO_LARGE });
    // Exactly at the limit is fine; only the list of items is counted, not other arrays.
    expect(
      await parseJsonInSlices(Buffer.from('{"problems": [1, 2, 3], "other": [1, 2, 3, 4]}'), {
        slicer: new TimeSlicer(),
        maxItems: 3,
        tooMany,
      }),
    ).toEqual({ problems: [1, 2, 3], other: [1, 2, 3, 4] });
  });

  it('hands the event loop back between items while it parses a multi-megabyte body', async () => {
    const text = JSON.stringify({ problems: problems(20_000, 200) });
    expect(text.length).toBeGreaterThan(4_000_000);
    // Budget 0: it yields after every item, so other work runs some 20,000 times during the parse.
    const sliced = await turnsDuring(() => parseJsonInSlices(Buffer.from(text), { slicer: new TimeSlicer(0), maxItems: 100_000, tooMany }));
    expect((sliced.value as { problems: unknown[] }).problems).toHaveLength(20_000);
    expect(sliced.turns).toBeGreaterThanOrEqual(10_000);
    // JSON.parse alone lets nothing run meanwhile: what the router did before.
    expect((await turnsDuring(async () => JSON.parse(text) as unknown)).turns).toBe(0);
  });
});

describe('parseJsonLinesInSlices', () => {
  it('parses the lines, skipping blank ones, and names a bad line', async () => {
    expect(await parseJsonLinesInSlices(Buffer.from('{"text": "a"}\n\n  \r\n{"text": "b"}\r\n'), { slicer: new TimeSlicer() })).toEqual([
      { text: 'a' },
      { text: 'b' },
    ]);
    await expect(parseJsonLinesInSlices(Buffer.from('{"text": "a"}\n{oops\n'), { slicer: new TimeSlicer() })).rejects.toThrow(
      /^line 2 of the upload is not JSON/,
    );
    await expect(parseJsonLinesInSlices(Buffer.from('\n \n'), { slicer: new TimeSlicer() })).rejects.toThrow('the upload has no problems');
  });

  it('counts the lines before parsing them and yields between them', async () => {
    await expect(
      parseJsonLinesInSlices(Buffer.from('{"text": "a"}\n{"text": "b"}\nnot json\n'), { slicer: new TimeSlicer(), maxItems: 2, tooMany }),
    ).rejects.toMatchObject({ code: ErrorCode.PAYLOAD_TOO_LARGE });
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ text: `p${i}` })).join('\n');
    const { value, turns } = await turnsDuring(() =>
      parseJsonLinesInSlices(Buffer.from(lines), { slicer: new TimeSlicer(0), maxItems: 5000, tooMany }),
    );
    expect(value).toHaveLength(5000);
    expect(turns).toBeGreaterThanOrEqual(2500);
  });
});
