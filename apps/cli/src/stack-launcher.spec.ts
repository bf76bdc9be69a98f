import { workerThreadsEnv } from './stack-launcher';

describe('slm up: each worker a share of the cores', () => {
  it('splits the cores between the workers, without a prefill thread under 3 cores a worker', () => {
    expect(workerThreadsEnv('math', 3, 2, {})).toEqual({ MATH_WORKER_THREADS: '1', MATH_WORKER_PREFILL_THREADS: '0' });
    expect(workerThreadsEnv('code', 3, 8, {})).toEqual({ CODE_WORKER_THREADS: '2', CODE_WORKER_PREFILL_THREADS: '0' });
    // 16 cores: 5 a worker, one of them for the prefill thread.
    expect(workerThreadsEnv('science', 3, 16, {})).toEqual({ SCIENCE_WORKER_THREADS: '4', SCIENCE_WORKER_PREFILL_THREADS: '1' });
  });

  it("leaves the environment's own settings alone", () => {
    expect(workerThreadsEnv('math', 3, 2, { MATH_WORKER_THREADS: '2' })).toEqual({ MATH_WORKER_PREFILL_THREADS: '0' });
    expect(workerThreadsEnv('math', 3, 2, { MATH_WORKER_THREADS: '2', MATH_WORKER_PREFILL_THREADS: '1' })).toEqual({});
  });
});
