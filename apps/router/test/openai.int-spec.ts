import OpenAI from 'openai';
import { getJson, startHarness, type Harness } from './router-harness';

describe('OpenAI-compatible API with the official openai client', () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_MODEL_ALIASES: 'mobilellm-r1-math=math' });
    client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => h.close());

  it('lists the models', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['auto', 'math', 'code', 'science', 'mobilellm-r1-math']);
  });

  it('model auto routes by classification; the route comes back in headers and an extra field', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'auto',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'fix this python bug' },
        ],
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'code:fix this python bug' });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect((data as unknown as { route: { domain: string } }).route.domain).toBe('DOMAIN_CODE');
    expect(response.headers.get('x-slm-route-domain')).toBe('code');
    expect(response.headers.get('x-slm-route-overridden')).toBe('false');
    expect(Number(response.headers.get('x-slm-route-confidence'))).toBeCloseTo(0.9);
    expect(h.workers.code.calls.at(-1)?.problem?.conversation?.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('routes a follow-up that names no domain ("thanks!") by the conversation, and a new question by itself', async () => {
    const earlier = [
      { role: 'user' as const, content: 'what is the integral of x' },
      { role: 'assistant' as const, content: 'x^2/2 + C' },
    ];
    const followUp = await client.chat.completions.create({ model: 'auto', messages: [...earlier, { role: 'user', content: 'thanks!' }] });
    expect((followUp as unknown as { route: { domain: string } }).route.domain).toBe('DOMAIN_MATH');
    expect(followUp.choices[0]?.message.content).toBe('math:thanks!');
    const newQuestion = await client.chat.completions.create({
      model: 'auto',
      messages: [...earlier, { role: 'user', content: 'now fix this python bug' }],
    });
    expect((newQuestion as unknown as { route: { domain: string } }).route.domain).toBe('DOMAIN_CODE');
  });

  it('a domain or alias model forces the route', async () => {
    const forced = await client.chat.completions.create({
      model: 'mobilellm-r1-math',
      messages: [{ role: 'user', content: 'fix this python bug' }],
      max_tokens: 16,
    });
    expect(forced.choices[0]?.message.content).toBe('math:fix this python bug');
    expect(h.workers.math.calls.at(-1)?.problem?.options?.maxNewTokens).toBe(16);
  });

  it('streams chunks in OpenAI format ending with [DONE], with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'science',
      messages: [{ role: 'user', content: 'what is an atom' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    const reasoning = chunks
      .map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '')
      .join('');
    expect(content).toBe('science:done');
    expect(reasoning).toBe('thinking');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect((chunks[0] as unknown as { route: { domain: string; overridden: boolean } }).route).toMatchObject({
      domain: 'DOMAIN_SCIENCE',
      overridden: true,
    });
  });

  it('the raw stream ends with data: [DONE]', async () => {
    const res = await fetch(`${h.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'integral of x' }] }),
    });
    const body = await res.text();
    expect(res.headers.get('x-slm-route-domain')).toBe('math');
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('errors come back in OpenAI shape and the client raises them', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      error: { code: 'NOT_FOUND', type: 'invalid_request_error' },
    });
    const bad = await fetch(`${h.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "auto", "messages": []}',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', type: 'invalid_request_error', param: null, message: expect.stringContaining('messages') },
    });
    const models = await getJson(`${h.base}/v1/models/nope`);
    expect(models.status).toBe(404);
    expect(models.json.error.type).toBe('invalid_request_error');
  });
});
