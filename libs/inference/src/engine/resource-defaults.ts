import { availableCores, memoryLimitBytes } from '@slm/platform';

/**
 * The decode session's threads: the cores the prefill thread does not take (at least 1). Measured on a
 * 2-core AMD EPYC (360M q4, the README's 16-client mix): batch-1 decode 57.9 tok/s on 1 thread, 88.7 on 2
 * (on a 2-core Xeon 31 and 47–49), and a batch of many rows is compute-bound, so a core left idle costs
 * throughput; the host's own event loop (gRPC, streams) needs little beside it.
 */
export function defaultIntraOpThreads(prefillThreads: number, cores = availableCores()): number {
  return Math.max(1, cores - prefillThreads);
}

/**
 * Resident memory per graph byte of an engine with its prefill thread, besides the base below, measured
 * (q4 synthetic presets, Node 20, onnxruntime-node 1.30, peak over load and a request, compiled graphs with
 * mapped weights, the int8 graph in both threads): 140M (0.38 GB graph) 1.16 GB, 360M (0.75 GB) 2.10 GB,
 * 950M (1.38 GB) 3.44 GB, i.e. 1.7–2.1 bytes per graph byte; 2.5 leaves a margin. The prefill thread's
 * session packs its own copy of the weights, as onnxruntime needs them, in another thread's heap. (Before
 * the weights were mapped: 3.0 GB for 360M and 5.6 GB for 950M, hence 4.2 then.)
 */
const RESIDENT_BYTES_PER_GRAPH_BYTE_WITH_PREFILL_THREAD = 2.5;
/** Node, the tokenizer and the engine's bookkeeping, besides the sessions and the KV cache. */
const BASE_RESIDENT_BYTES = 512 * 1024 * 1024;

/**
 * One prefill thread where the decode session keeps at least 2 cores beside it (3 cores or more) and there
 * is memory for a second copy of the weights (the machine's, or the container's cgroup limit): prompts
 * then run beside the decode steps instead of between them, so running streams never wait for a prompt.
 * Otherwise 0: on 2 cores, decode on 1 thread beside the prefill thread lost more than it gained (2-core
 * AMD EPYC, 360M q4, 16 clients: 104 tok/s and TTFT p99 7.9 s, against 153 tok/s and 4.6 s with both
 * cores decoding and prompts between the steps); and a worker sized for one copy of its model (the
 * Kubernetes manifests give a 950M worker 4 GiB) never runs out of memory because of it.
 */
export function defaultPrefillThreads(
  graphBytes: number,
  kvBudgetBytes: number,
  memoryBytes = memoryLimitBytes(),
  cores = availableCores(),
): number {
  if (cores < 3) return 0;
  const needed = graphBytes * RESIDENT_BYTES_PER_GRAPH_BYTE_WITH_PREFILL_THREAD + kvBudgetBytes + BASE_RESIDENT_BYTES;
  return needed <= memoryBytes ? 1 : 0;
}
