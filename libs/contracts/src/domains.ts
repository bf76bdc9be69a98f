import { Domain } from './generated/slmrouter/v1/Domain';

/**
 * The one registry of domains. The proto enum `Domain` (proto/slmrouter/v1/common.proto) is the
 * source: a domain is its enum value, spelt in TypeScript as the value's name without `DOMAIN_`,
 * lower-cased (`DOMAIN_MATH` ↔ `math`). The registry adds what the enum cannot say: which values
 * have workers, and the facts of each worker domain. Every other name follows from the domain's
 * own (queue `solve-math`, variables `MATH_WORKER_…`, `ROUTER_THRESHOLD_MATH`), so adding a domain
 * is an enum value plus one entry here.
 */

/** What a worker domain's proto enum value does not say. */
export interface WorkerDomainEntry {
  /** The gRPC port its workers listen on unless `<DOMAIN>_WORKER_GRPC_PORT` says otherwise. */
  readonly defaultGrpcPort: number;
}

const PROTO_PREFIX = 'DOMAIN_';
const UNSPECIFIED = 'DOMAIN_UNSPECIFIED';

/** `DOMAIN_MATH` → `math`, at the type level. */
export type DomainNameOf<P extends string> = P extends `${typeof PROTO_PREFIX}${infer N}` ? Lowercase<N> : never;

/** Everything the system knows of its domains, and the one conversion each way. */
export interface DomainRegistry<P extends string, W extends string, O extends string> {
  /** The worker domains (`math`, …), in proto enum order. */
  readonly workerDomains: readonly W[];
  /**
   * Every domain a problem can be classified as: the worker domains, then the others (`other`).
   * The router classifier's classes, in its model's output order.
   */
  readonly domainNames: readonly (W | O)[];
  /** True for a worker domain's name (`math`). */
  isWorkerDomain(value: unknown): value is W;
  /** True for any domain name, `other` included. */
  isDomainName(value: unknown): value is W | O;
  /** `DOMAIN_MATH` or its number (1) → `math`; undefined for DOMAIN_UNSPECIFIED, null or an unknown value. */
  domainNameOf(proto: P | number | null | undefined): W | O | undefined;
  /** As {@link domainNameOf}, but only worker domains (`DOMAIN_OTHER` → undefined). */
  workerDomainOf(proto: P | number | null | undefined): W | undefined;
  /** `math` → `DOMAIN_MATH`. */
  protoDomainOf(name: W | O): P;
  /** `math` → 1, the enum value's number on the wire. */
  protoNumberOf(name: W | O): number;
  /** The BullMQ queue of a worker domain: `solve-math`. */
  queueOf(domain: W): `solve-${W}`;
  /** The default gRPC port of a worker domain's workers. */
  defaultGrpcPortOf(domain: W): number;
  /** The prefix of a worker's variables: `MATH_WORKER_`. */
  envPrefixOf(domain: W): `${Uppercase<W>}_WORKER_`;
  /** The router's variable listing a worker domain's replicas: `MATH_WORKER_ADDRESSES`. */
  addressesVariableOf(domain: W): `${Uppercase<W>}_WORKER_ADDRESSES`;
  /** The router's variable of a worker domain's confidence threshold: `ROUTER_THRESHOLD_MATH`. */
  thresholdVariableOf(domain: W): `ROUTER_THRESHOLD_${Uppercase<W>}`;
  /** A record with one entry per worker domain (so a new domain fills it too). */
  mapWorkerDomains<T>(value: (domain: W) => T): Record<W, T>;
  /** The worker domains as prose: `math, code or science`. */
  listWorkerDomains(conjunction?: string): string;
}

/**
 * Builds a registry from a proto enum (its generated `const`, whose members are listed in wire
 * order: member i has number i) and the entries of the values that have workers. Exported so a
 * test can build one with a domain the proto does not have yet.
 */
export function defineDomainRegistry<P extends string, W extends P>(
  protoEnum: { readonly [K in P]: K },
  workers: { readonly [K in W]: WorkerDomainEntry },
): DomainRegistry<P, DomainNameOf<W>, DomainNameOf<Exclude<P, W | typeof UNSPECIFIED>>> {
  type WorkerName = DomainNameOf<W>;
  type Name = WorkerName | DomainNameOf<Exclude<P, W | typeof UNSPECIFIED>>;
  const protoNames = Object.keys(protoEnum) as P[];
  const isWorkerProto = (proto: P): proto is W => Object.prototype.hasOwnProperty.call(workers, proto);
  const nameOf = (proto: P): Name => {
    if (!proto.startsWith(PROTO_PREFIX)) throw new Error(`proto domain ${proto} does not start with ${PROTO_PREFIX}`);
    return proto.slice(PROTO_PREFIX.length).toLowerCase() as Name;
  };
  const named = protoNames.filter((proto) => proto !== UNSPECIFIED);
  const workerProtos = named.filter(isWorkerProto);
  const workerDomains = workerProtos.map(nameOf) as WorkerName[];
  const domainNames = [...workerDomains, ...named.filter((proto) => !isWorkerProto(proto)).map(nameOf)];
  const protoOfName = new Map<string, P>(named.map((proto) => [nameOf(proto), proto]));
  const nameOfProto = new Map<unknown, Name>(
    named.flatMap((proto) => [[proto, nameOf(proto)] as const, [protoNames.indexOf(proto), nameOf(proto)] as const]),
  );
  const entryOf = (domain: WorkerName): WorkerDomainEntry => workers[protoOfName.get(domain) as W];
  const upper = <D extends WorkerName>(domain: D) => domain.toUpperCase() as Uppercase<D>;
  const isWorkerDomain = (value: unknown): value is WorkerName =>
    typeof value === 'string' && (workerDomains as readonly string[]).includes(value);
  const ports = workerDomains.map((d) => entryOf(d).defaultGrpcPort);
  if (new Set(ports).size !== ports.length) throw new Error(`worker domains share a default gRPC port: ${ports.join(', ')}`);

  return Object.freeze({
    workerDomains: Object.freeze(workerDomains),
    domainNames: Object.freeze(domainNames),
    isWorkerDomain,
    isDomainName: (value: unknown): value is Name => typeof value === 'string' && protoOfName.has(value),
    domainNameOf: (proto: P | number | null | undefined) => nameOfProto.get(proto),
    workerDomainOf: (proto: P | number | null | undefined) => {
      const name = nameOfProto.get(proto);
      return isWorkerDomain(name) ? name : undefined;
    },
    protoDomainOf: (name: Name) => protoOfName.get(name) as P,
    protoNumberOf: (name: Name) => protoNames.indexOf(protoOfName.get(name) as P),
    queueOf: (domain: WorkerName) => `solve-${domain}` as const,
    defaultGrpcPortOf: (domain: WorkerName) => entryOf(domain).defaultGrpcPort,
    envPrefixOf: (domain: WorkerName) => `${upper(domain)}_WORKER_` as const,
    addressesVariableOf: (domain: WorkerName) => `${upper(domain)}_WORKER_ADDRESSES` as const,
    thresholdVariableOf: (domain: WorkerName) => `ROUTER_THRESHOLD_${upper(domain)}` as const,
    mapWorkerDomains: <T>(value: (domain: WorkerName) => T) =>
      Object.fromEntries(workerDomains.map((d) => [d, value(d)])) as Record<WorkerName, T>,
    listWorkerDomains: (conjunction = 'or') =>
      `${workerDomains.slice(0, -1).join(', ')} ${conjunction} ${workerDomains[workerDomains.length - 1]}`,
  });
}

/** The system's domains: adding one is a proto enum value and an entry here. */
export const DOMAIN_REGISTRY = defineDomainRegistry(Domain, {
  DOMAIN_MATH: { defaultGrpcPort: 50061 },
  DOMAIN_CODE: { defaultGrpcPort: 50062 },
  DOMAIN_SCIENCE: { defaultGrpcPort: 50063 },
});

/** A domain that has workers (and so a queue): `math`, `code`, `science`. */
export type WorkerDomain = (typeof DOMAIN_REGISTRY.workerDomains)[number];
/** Any domain a problem can be classified as: a worker domain or `other`. */
export type DomainName = (typeof DOMAIN_REGISTRY.domainNames)[number];
/** A worker domain's BullMQ queue name: `solve-math`. */
export type QueueName = `solve-${WorkerDomain}`;

/** The worker domains, in proto order. */
export const WORKER_DOMAINS: readonly WorkerDomain[] = DOMAIN_REGISTRY.workerDomains;
/** Every domain name (the worker domains, then `other`): the classifier's classes. */
export const DOMAIN_NAMES: readonly DomainName[] = DOMAIN_REGISTRY.domainNames;

export const {
  isWorkerDomain,
  isDomainName,
  domainNameOf,
  workerDomainOf,
  protoDomainOf,
  queueOf,
  defaultGrpcPortOf,
  envPrefixOf,
  addressesVariableOf,
  thresholdVariableOf,
  mapWorkerDomains,
  listWorkerDomains,
} = DOMAIN_REGISTRY;

/** The queue of each worker domain. */
export const QUEUE_OF_DOMAIN: Readonly<Record<WorkerDomain, QueueName>> = Object.freeze(mapWorkerDomains(queueOf));
