import { INSTANT_ENGINE_TEXT, InstantEngine } from './instant.engine';

/** The text a stream sent on one channel, joined. */
const channelText = (chunks: readonly { channel: string; text: string }[], channel: string): string =>
  chunks
    .filter((chunk) => chunk.channel === channel)
    .map((chunk) => chunk.text)
    .join('');

describe('InstantEngine (benchmark only)', () => {
  it('answers at once with a fixed text that says it is synthetic, streamed consistently', async () => {
    const engine = new InstantEngine({ maxConcurrency: 2, maxQueue: 3 });
    expect(engine.info).toMatchObject({ modelId: 'instant-benchmark', syntheticWeights: true });
    const handle = engine.generate({ messages: [{ role: 'user', content: 'anything' }] });
    const chunks = [];
    for await (const chunk of handle) chunks.push(chunk);
    const result = await handle.result;
    expect(result.text).toBe(INSTANT_ENGINE_TEXT);
    expect(channelText(chunks, 'reasoning')).toBe(result.reasoning);
    expect(channelText(chunks, 'answer')).toBe(result.answer);
    expect(result.finishReason).toBe('stop');
  });

  it('takes latencyMs to answer when asked to (a slow replica in a benchmark), and an abort ends the wait as cancelled', async () => {
    const engine = new InstantEngine({ maxConcurrency: 1, maxQueue: 0, latencyMs: 60 });
    const started = performance.now();
    const handle = engine.generate({ messages: [] });
    const chunks = [];
    for await (const chunk of handle) chunks.push(chunk);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(chunks).toHaveLength(2);
    expect((await handle.result).finishReason).toBe('stop');

    const controller = new AbortController();
    const aborted = new InstantEngine({ maxConcurrency: 1, maxQueue: 0, latencyMs: 60_000 }).generate({
      messages: [],
      signal: controller.signal,
    });
    controller.abort();
    expect((await aborted.result).finishReason).toBe('cancelled');
    const rest = [];
    for await (const chunk of aborted) rest.push(chunk);
    expect(rest).toEqual([]);
  });

  it('reports an already aborted request as cancelled', async () => {
    const handle = new InstantEngine({ maxConcurrency: 1, maxQueue: 0 }).generate({ messages: [], signal: AbortSignal.abort() });
    expect((await handle.result).finishReason).toBe('cancelled');
  });
});
