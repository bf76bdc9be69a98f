import { z } from 'zod';
import {
  domainNameOf,
  isDomainName,
  mapWorkerDomains,
  protoDomainOf,
  WORKER_DOMAINS,
  type ClassScore__Output,
  type Domain__Output,
  type RouteDecision__Output,
  type WorkerDomain,
} from '@slm/contracts';
import { ClassifierDomain, DOMAINS } from './domains';
import type { Classification } from './domain-classifier';

/** What happens when the classifier is unsure or says "other". */
export type RouteFallback =
  /** Route it to the classifier's top class anyway, flagged `lowConfidence` (below threshold only: `other` has no workers). */
  | { kind: 'route' }
  /** Send it to this domain's workers anyway. */
  | { kind: 'domain'; domain: WorkerDomain }
  /** Send it to a named worker (resolved by the router's configuration). */
  | { kind: 'worker'; name: string }
  /** Refuse: HTTP 422 / gRPC FAILED_PRECONDITION (ROUTE_REJECTED), carrying the scores. */
  | { kind: 'reject' };

/** The routing policy: a confidence threshold per specialist and what to do otherwise. */
export interface RoutePolicy {
  /** Minimum calibrated probability of the top class for it to be routed directly. */
  thresholds: Record<WorkerDomain, number>;
  /** Applies when the top class is a specialist below its threshold. */
  fallback: RouteFallback;
  /** Applies when the top class is "other" (never `route`). */
  otherFallback: Exclude<RouteFallback, { kind: 'route' }>;
}

/**
 * Defaults: a threshold of 0.5 for every specialist (with four calibrated classes, a majority).
 * Under it the problem still goes to its best specialist, flagged `lowConfidence`: a wrong
 * specialist's answer is worth more to a caller than a refusal, and the flag lets them decide.
 * Only a problem whose best class is `other` is rejected.
 */
export const DEFAULT_ROUTE_POLICY: Readonly<RoutePolicy> = Object.freeze({
  thresholds: Object.freeze(mapWorkerDomains(() => 0.5)),
  fallback: Object.freeze({ kind: 'route' as const }),
  otherFallback: Object.freeze({ kind: 'reject' as const }),
});

/** The policy's verdict: the proto RouteDecision plus what the router must do with it. */
export interface RouteOutcome {
  /** Travels with the request and comes back in the result. `domain` is the domain that serves it. */
  decision: RouteDecision__Output;
  /** True when the policy refuses the problem (ROUTE_REJECTED: HTTP 422 / gRPC FAILED_PRECONDITION). */
  rejected: boolean;
  /** Set when a `worker` fallback applied: the named worker serves it instead of a domain pool. */
  worker?: string;
  /** What the classifier said (absent when the caller overrode without classifying). */
  classifiedAs?: ClassifierDomain;
}

const workerDomainAlternatives = WORKER_DOMAINS.join('|');
const fallbackPattern = new RegExp(`^(?:(route)|reject|domain:(${workerDomainAlternatives})|worker:([A-Za-z0-9_.:-]{1,128}))$`);

/**
 * A fallback from its env spelling: `route`, `reject`, `domain:<worker domain>` (`domain:math`) or
 * `worker:NAME` (NAME: letters, digits, `_ . : -`).
 */
export const routeFallbackSchema = z
  .string()
  .trim()
  .regex(fallbackPattern, { message: `expected route, reject, domain:${workerDomainAlternatives} or worker:NAME` })
  .transform((value): RouteFallback => {
    const m = fallbackPattern.exec(value) as RegExpExecArray;
    if (m[1]) return { kind: 'route' };
    if (m[2]) return { kind: 'domain', domain: m[2] as WorkerDomain };
    if (m[3]) return { kind: 'worker', name: m[3] };
    return { kind: 'reject' };
  });

/** The fallback for `other`: any spelling but `route` (there is no `other` worker to route to). */
export const otherFallbackSchema = routeFallbackSchema.refine((f): f is Exclude<RouteFallback, { kind: 'route' }> => f.kind !== 'route', {
  message: 'route cannot apply to problems classified other (there is no other worker): use reject, domain:… or worker:…',
});

/** ROUTER_FALLBACK_OTHER, else ROUTER_FALLBACK where it can apply to `other` (not `route`), else reject. */
export function defaultOtherFallback(
  other: RoutePolicy['otherFallback'] | undefined,
  fallback: RouteFallback,
): RoutePolicy['otherFallback'] {
  if (other) return other;
  return fallback.kind === 'route' ? DEFAULT_ROUTE_POLICY.otherFallback : fallback;
}

function scoresOf(classification: Classification | undefined): ClassScore__Output[] {
  if (!classification) return [];
  return DOMAINS.map((d) => ({ domain: protoDomainOf(d), probability: classification.probabilities[d] })).sort(
    (a, b) => b.probability - a.probability,
  );
}

/**
 * Decides the route of one problem (a pure function). The caller's override always wins; else the
 * classifier's top class is routed when it is a specialist at or above its threshold; else the
 * fallback applies (`otherFallback` for "other", `fallback` below threshold).
 */
export function decideRoute(
  classification: Classification | undefined,
  policy: RoutePolicy,
  override?: ClassifierDomain | Domain__Output,
): RouteOutcome {
  const forced = override === undefined ? undefined : isDomainName(override) ? override : domainNameOf(override);
  const scores = scoresOf(classification);
  const topFeatures = classification?.topFeatures.map((f) => f.feature) ?? [];
  const runnerUp = scores[1];
  const base = {
    confidence: classification?.confidence ?? 0,
    scores,
    topFeatures,
    lowConfidence: false,
    runnerUp: runnerUp?.domain ?? 'DOMAIN_UNSPECIFIED',
    runnerUpConfidence: runnerUp?.probability ?? 0,
  };
  if (forced) {
    return {
      decision: { ...base, domain: protoDomainOf(forced), threshold: 0, overridden: true, fallback: false, fallbackReason: '' },
      rejected: false,
      classifiedAs: classification?.domain,
    };
  }
  if (!classification) throw new TypeError('decideRoute needs a classification when there is no override');
  const top = classification.domain;
  const threshold = top === 'other' ? 0 : policy.thresholds[top];
  if (top !== 'other' && classification.confidence >= threshold) {
    return {
      decision: { ...base, domain: protoDomainOf(top), threshold, overridden: false, fallback: false, fallbackReason: '' },
      rejected: false,
      classifiedAs: top,
    };
  }
  const reason =
    top === 'other'
      ? `classified as other (p=${classification.confidence.toFixed(3)})`
      : `below threshold: ${top} p=${classification.confidence.toFixed(3)} < ${threshold}`;
  const fallback = top === 'other' ? policy.otherFallback : policy.fallback;
  const decision = { ...base, domain: protoDomainOf(top), threshold, overridden: false, fallback: true, fallbackReason: reason };
  switch (fallback.kind) {
    case 'route':
      // Only reachable below threshold (otherFallback is never `route`): routed, flagged.
      return { decision: { ...decision, fallback: false, fallbackReason: '', lowConfidence: true }, rejected: false, classifiedAs: top };
    case 'domain':
      return { decision: { ...decision, domain: protoDomainOf(fallback.domain) }, rejected: false, classifiedAs: top };
    case 'worker':
      return {
        decision: { ...decision, fallbackReason: `${reason}; sent to worker ${fallback.name}` },
        rejected: false,
        worker: fallback.name,
        classifiedAs: top,
      };
    case 'reject':
      return { decision: { ...decision, fallbackReason: `${reason}; rejected` }, rejected: true, classifiedAs: top };
    default: {
      const unreachable: never = fallback;
      return unreachable;
    }
  }
}
