import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/**
 * The cores this process may use: the machine's (its CPU affinity), capped by its cgroup's CPU quota
 * (`cpu.max`, a container's CPU limit; rounded up, so 1.5 CPUs run 2 threads). Node's own count ignores
 * the quota, and threads beyond it only queue for the quota's time slices.
 */
export function availableCores(cpuMax = readCgroupFile('cpu.max')): number {
  const cores = os.availableParallelism();
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/).map(Number);
  if (!(quota > 0 && period > 0)) return cores; // "max" (no limit), or no cgroup v2 file
  return Math.max(1, Math.min(cores, Math.ceil(quota / period)));
}

/** The memory this process may use: its cgroup's limit (containers), else the machine's. */
export function memoryLimitBytes(): number {
  const limit = Number(readCgroupFile('memory.max')?.trim());
  return Number.isFinite(limit) && limit > 0 ? Math.min(limit, os.totalmem()) : os.totalmem();
}

/** A cgroup v2 file of this process's container; undefined where there is none to read. */
function readCgroupFile(name: string): string | undefined {
  try {
    return readFileSync(`/sys/fs/cgroup/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}
