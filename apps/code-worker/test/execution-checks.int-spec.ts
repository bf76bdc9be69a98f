import { createLogger } from '@slm/platform';
import { startWorker, type RunningWorker } from '@slm/worker-runtime';
import { codePolicy } from '../src/code.policy';
import { FakeEngine } from '../../../libs/worker-runtime/test/fake.engine';
import { generate, healthOf, workerClient, type WorkerClient } from '../../../libs/worker-runtime/test/worker-client';
import { describeWithSandbox } from './sandbox-available';

// The code worker's policy with CODE_WORKER_EXECUTE=true, in a real worker (gRPC on loopback) whose
// engine is scripted to answer chosen programs: the examples of a LeetCode-style problem run in the
// real bubblewrap sandbox.

const PROBLEM = `Given an array of integers nums and an integer target, return indices of the two numbers such that they add up to target.

Example 1:
Input: nums = [2,7,11,15], target = 9
Output: [0,1]

Example 2:
Input: nums = [3,2,4], target = 6
Output: [1,2]

class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
`;

const program = (body: string) =>
  `<think>let me write it</think>\n\`\`\`python\nclass Solution:\n    def twoSum(self, nums, target):\n${body}\n\`\`\``;
const CORRECT = program(
  '        seen = {}\n        for i, n in enumerate(nums):\n            if target - n in seen:\n                return [seen[target - n], i]\n            seen[n] = i',
);
const WRONG = program('        return [0, 1]');
const LOOPS = program('        while True:\n            pass');
const FORKS = program('        import os\n        while True:\n            os.fork()');

const env = {
  CODE_WORKER_GRPC_PORT: '0',
  CODE_WORKER_GRPC_HOST: '127.0.0.1',
  CODE_WORKER_QUEUE: 'false',
  LOG_LEVEL: 'silent',
  CODE_WORKER_EXECUTE: 'true',
  CODE_WORKER_EXECUTE_TIMEOUT_MS: '3000',
};

describeWithSandbox('code worker execution checks (real sandbox)', () => {
  let script: string[] = [];
  let worker: RunningWorker;
  let client: WorkerClient;

  beforeAll(async () => {
    const engine = new FakeEngine({ maxConcurrency: 8, maxQueue: 0 }, (call) => script[call % script.length] ?? '');
    worker = await startWorker(codePolicy, { env, logger: createLogger('test', 'silent'), engineFactory: async () => engine });
    client = workerClient(worker.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await worker?.close();
  });

  const solve = (samples: number) => generate(client, { problem: { text: PROBLEM, options: { samples, verify: true, temperature: 0.7 } } });

  it("runs the solution against the problem's examples and reports each", async () => {
    script = [WRONG];
    const { result } = await solve(1);
    expect(result?.verification).toMatchObject({ method: 'examples', examplesPassed: 1, examplesTotal: 2 });
    expect(result?.verification?.examples.map((e) => [e.label, e.passed, e.actual])).toEqual([
      ['Example 1', true, '[0, 1]'],
      ['Example 2', false, '[0, 1]'],
    ]);
  });

  it('with samples, returns a candidate that passes every example', async () => {
    script = [WRONG, CORRECT, WRONG];
    const { result } = await solve(3);
    expect(result?.extracted?.value).toContain('seen = {}');
    expect(result?.verification).toMatchObject({ method: 'self-consistency+examples', examplesPassed: 2, examplesTotal: 2 });
  });

  it('stops a solution that loops forever or forks without end, and stays healthy', async () => {
    for (const hostile of [LOOPS, FORKS]) {
      script = [hostile];
      const { result } = await solve(1);
      expect(result?.verification).toMatchObject({ examplesPassed: 0, examplesTotal: 2 });
      expect(result?.verification?.examples.every((e) => !e.passed && e.error !== '')).toBe(true);
    }
    expect(await healthOf(worker.grpcPort, 'slmrouter.v1.Worker')).toBe('SERVING');
    script = [CORRECT];
    expect((await solve(1)).result?.verification).toMatchObject({ examplesPassed: 2 });
  });
});
