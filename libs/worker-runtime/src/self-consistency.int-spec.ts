import * as grpc from '@grpc/grpc-js';
import type { GenerateRequest } from '@slm/contracts';
import { createLogger } from '@slm/platform';
import { mathAnswerKey } from '@slm/verification';
import type { AnswerChecker, DomainPolicy } from './domain-policy';
import { findBoxed, found, missing } from './answer-text';
import { startWorker, type RunningWorker } from './bootstrap-worker';
import { FakeEngine } from '../test/fake.engine';
import { collectStream, generate, workerClient, type WorkerClient } from '../test/worker-client';

// Self-consistency and execution checks through a real worker (Nest context, grpc-js on
// loopback) whose engine is scripted: each sample answers a chosen text, and a longer text
// finishes later (the fake engine yields once per word), so the order samples finish in is known.

const policy: DomainPolicy = {
  domain: 'math',
  defaultModelId: 'none/none',
  systemPrompt: 'Put the answer in \\boxed{}.',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 512,
  verifySamples: 4,
  systemPromptFor: (configured) => configured,
  extract: ({ answer }) => {
    const box = findBoxed(answer)
      .filter((b) => b.content !== undefined)
      .pop();
    return box ? found(box.content ?? '', 'boxed') : missing('no box');
  },
  answerKey: (answer) => mathAnswerKey(answer.value),
};

/** A reply that finishes after about `words` engine steps. */
function reply(answer: string, words: number): string {
  return `<think>${'step '.repeat(words)}</think>The answer is ${answer}`;
}

const env = { MATH_WORKER_GRPC_PORT: '0', MATH_WORKER_GRPC_HOST: '127.0.0.1', MATH_WORKER_QUEUE: 'false', LOG_LEVEL: 'silent' };
const logger = createLogger('test', 'silent');

interface Running {
  engine: FakeEngine;
  worker: RunningWorker;
  client: WorkerClient;
}

async function startScripted(
  replies: string[],
  options: { policy?: DomainPolicy; env?: Record<string, string>; capacity?: { maxConcurrency: number; maxQueue: number } } = {},
): Promise<Running> {
  const engine = new FakeEngine(options.capacity ?? { maxConcurrency: 16, maxQueue: 0 }, (call) => replies[call % replies.length] ?? '');
  const worker = await startWorker(options.policy ?? policy, {
    env: { ...env, ...options.env },
    logger,
    engineFactory: async () => engine,
  });
  return { engine, worker, client: workerClient(worker.grpcPort) };
}

async function stop(running: Running): Promise<void> {
  running.client.close();
  await running.worker.close();
}

function problem(options: NonNullable<GenerateRequest['problem']>['options']): GenerateRequest {
  return { problem: { text: 'What is 1/2?', options } };
}

describe('Self-consistency in the worker', () => {
  it('counts equivalent spellings as one answer and returns the majority with its share', async () => {
    const running = await startScripted([
      reply('\\boxed{1/2}', 2),
      reply('\\boxed{3}', 4),
      reply('no box at all', 6),
      reply('\\boxed{0.5}', 8),
      reply('\\boxed{\\frac{1}{2}}', 10),
    ]);
    try {
      const { result } = await generate(running.client, problem({ samples: 5, seed: 11 }));
      expect(result?.extracted?.value).toBe('1/2');
      expect(result?.answer).toBe('The answer is \\boxed{1/2}');
      expect(result?.verification).toMatchObject({
        method: 'self-consistency',
        samples: 5,
        samplesRequested: 5,
        tie: false,
        noAnswer: 1,
        earlyStopped: false,
      });
      expect(result?.verification?.voteShare).toBeCloseTo(3 / 5);
      expect(result?.verification?.answers.map((a) => [a.value, a.count])).toEqual([
        ['1/2', 3],
        ['3', 1],
      ]);
      // Every sample ran in the engine with its own seed; usage counts every sample's tokens.
      expect(running.engine.requests.map((r) => r.options?.seed)).toEqual([11, 12, 13, 14, 15]);
      expect(result?.usage?.completionTokens).toBeGreaterThan(30);
    } finally {
      await stop(running);
    }
  });

  it('stops the samples still running once the leader cannot be overtaken', async () => {
    const running = await startScripted([
      reply('\\boxed{7}', 1),
      reply('\\boxed{7.0}', 2),
      reply('\\boxed{x = 7}', 3),
      reply('\\boxed{8}', 400),
      reply('\\boxed{9}', 400),
    ]);
    try {
      const { result } = await generate(running.client, problem({ samples: 5 }));
      expect(result?.extracted?.value).toBe('7');
      // 3 votes for 7 with 2 samples left: nothing can overtake it, so those two were cancelled.
      expect(result?.verification).toMatchObject({ samples: 3, samplesRequested: 5, earlyStopped: true, voteShare: 1 });
      expect(result?.verification?.answers).toEqual([{ value: '7', count: 3, passed: 0 }]);
      expect(running.engine.active).toBe(0);
    } finally {
      await stop(running);
    }
  });

  it('reports a tie (the answer of the lowest-index sample wins) and samples with no answer', async () => {
    const running = await startScripted([
      reply('\\boxed{2}', 1),
      reply('\\boxed{5}', 2),
      reply('nothing', 3),
      reply('\\boxed{5}', 4),
      reply('\\boxed{2}', 5),
    ]);
    try {
      const { result } = await generate(running.client, problem({ samples: 5 }));
      expect(result?.verification).toMatchObject({ tie: true, noAnswer: 1, samples: 5 });
      expect(result?.verification?.voteShare).toBeCloseTo(2 / 5);
      expect(result?.extracted?.value).toBe('2');
    } finally {
      await stop(running);
    }
  });

  it('never invents a winner when no sample has an answer', async () => {
    const running = await startScripted([reply('no idea', 1), reply('still none', 2)]);
    try {
      const { result } = await generate(running.client, problem({ samples: 2 }));
      expect(result?.extracted?.value).toBe('');
      expect(result?.verification).toMatchObject({ samples: 2, noAnswer: 2, voteShare: 0, answers: [] });
    } finally {
      await stop(running);
    }
  });

  it('takes the verify default of samples, and gives no verification block to one plain sample', async () => {
    const running = await startScripted([reply('\\boxed{4}', 1)]);
    try {
      const verified = await generate(running.client, problem({ verify: true }));
      expect(verified.result?.verification).toMatchObject({ samplesRequested: 4 });
      const plain = await generate(running.client, problem({}));
      expect(plain.result?.verification).toBeNull();
    } finally {
      await stop(running);
    }
  });

  it('refuses samples with greedy decoding, and samples the engine has no room for, leaving nothing running', async () => {
    const running = await startScripted([reply('\\boxed{4}', 50)], { capacity: { maxConcurrency: 2, maxQueue: 1 } });
    try {
      await expect(generate(running.client, problem({ samples: 3, temperature: 0 }))).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('temperature above 0'),
      });
      await expect(generate(running.client, problem({ samples: 4 }))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(running.engine.active).toBe(0);
      const { result } = await generate(running.client, problem({ samples: 3 }));
      expect(result?.verification?.samples).toBeGreaterThanOrEqual(2);
    } finally {
      await stop(running);
    }
  });

  it('streams the first sample and ends with the verified result', async () => {
    const running = await startScripted([reply('\\boxed{6}', 3), reply('\\boxed{6}', 1), reply('\\boxed{6}', 2)]);
    try {
      const messages = await collectStream(running.client, problem({ samples: 3 }));
      const streamed = messages.flatMap((m) => (m.delta ? [m.delta.text] : [])).join('');
      expect(streamed).toBe(`${'step '.repeat(3)}The answer is \\boxed{6}`);
      const result = messages.find((m) => m.result)?.result;
      expect(result?.verification).toMatchObject({ voteShare: 1, answers: [{ value: '6', count: expect.any(Number) }] });
    } finally {
      await stop(running);
    }
  });
});

describe('Execution checks in the worker', () => {
  // The code worker's real sandbox is tested there; here a checker that passes the answer "good"
  // stands in for it, to test how the worker chooses and reports.
  const checked: DomainPolicy = {
    ...policy,
    domain: 'code',
    createChecker: (): AnswerChecker => ({
      check: async (_problem, answer) => {
        const passed = answer.value === 'good' ? 2 : answer.value === 'half' ? 1 : 0;
        return {
          examplesPassed: passed,
          examplesTotal: 2,
          examples: [{ label: 'Example 1', passed: passed > 0, expected: '1', actual: passed > 0 ? '1' : '0', error: '' }],
        };
      },
    }),
  };
  const codeEnv = { CODE_WORKER_GRPC_PORT: '0', CODE_WORKER_GRPC_HOST: '127.0.0.1', CODE_WORKER_QUEUE: 'false' };

  it('returns the first sample that passes every example and stops the others', async () => {
    const running = await startScripted([reply('\\boxed{bad}', 1), reply('\\boxed{good}', 2), reply('\\boxed{half}', 300)], {
      policy: checked,
      env: { ...codeEnv, CODE_WORKER_EXECUTE: 'true' },
    });
    try {
      const { result } = await generate(running.client, problem({ samples: 3, verify: true }));
      expect(result?.extracted?.value).toBe('good');
      expect(result?.verification).toMatchObject({
        method: 'self-consistency+examples',
        examplesPassed: 2,
        examplesTotal: 2,
        earlyStopped: true,
        samples: 2,
      });
      expect(result?.verification?.answers).toEqual(expect.arrayContaining([{ value: 'good', count: 1, passed: 1 }]));
    } finally {
      await stop(running);
    }
  });

  it('without a passing sample, returns the one that passes most', async () => {
    const running = await startScripted([reply('\\boxed{bad}', 1), reply('\\boxed{half}', 2), reply('\\boxed{bad}', 3)], {
      policy: checked,
      env: { ...codeEnv, CODE_WORKER_EXECUTE: 'true' },
    });
    try {
      const { result } = await generate(running.client, problem({ samples: 3, verify: true }));
      expect(result?.extracted?.value).toBe('half');
      expect(result?.verification).toMatchObject({ examplesPassed: 1, examplesTotal: 2, earlyStopped: false, samples: 3 });
    } finally {
      await stop(running);
    }
  });

  it('says so when execution is disabled instead of passing silently', async () => {
    const running = await startScripted([reply('\\boxed{good}', 1)], { policy: checked, env: codeEnv });
    try {
      const { result } = await generate(running.client, problem({ samples: 1, verify: true }));
      expect(result?.verification).toMatchObject({
        method: 'none',
        examplesTotal: 0,
        skippedReason: expect.stringContaining('CODE_WORKER_EXECUTE=false'),
      });
    } finally {
      await stop(running);
    }
  });
});
