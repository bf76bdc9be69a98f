import { promises as dns } from 'node:dns';

/**
 * Resolves a worker host name to the addresses of its replicas (a Kubernetes headless Service
 * answers with one address per ready pod). Tests inject their own to move replicas in and out.
 */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** Nest token of the {@link HostResolver} the worker pools use (optional: default {@link systemHostResolver}). */
export const WORKER_HOST_RESOLVER = Symbol('WORKER_HOST_RESOLVER');

/** The system resolver (`getaddrinfo`, so /etc/hosts too): every address of the name. */
export const systemHostResolver: HostResolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true })).map((entry) => entry.address);

/** One entry of `<DOMAIN>_WORKER_ADDRESSES`: a fixed address, or a name re-resolved into replicas. */
export type WorkerTarget = { kind: 'static'; address: string } | { kind: 'dns'; hostname: string; port: number };

/** `dns:///name:port` is a name the pool resolves itself (one replica per address); anything else is one fixed replica. */
export function workerTargetOf(entry: string): WorkerTarget {
  const match = /^dns:\/\/\/(.+):(\d+)$/.exec(entry);
  if (!match) return { kind: 'static', address: entry };
  return { kind: 'dns', hostname: match[1] as string, port: Number(match[2]) };
}

/** `host:port` of one resolved address (IPv6 in brackets, as gRPC targets want it). */
export function replicaAddressOf(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
