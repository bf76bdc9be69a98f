import type { Classification } from './domain-classifier';
import {
  DEFAULT_ROUTE_POLICY,
  RoutePolicy,
  decideRoute,
  defaultOtherFallback,
  otherFallbackSchema,
  routeFallbackSchema,
} from './route-policy';

function classification(probabilities: Classification['probabilities']): Classification {
  const domain = (Object.keys(probabilities) as (keyof typeof probabilities)[]).reduce((a, b) =>
    probabilities[b] > probabilities[a] ? b : a,
  );
  return { domain, confidence: probabilities[domain], probabilities, topFeatures: [{ feature: 'w:python', weight: 1.5 }] };
}

const sure = classification({ math: 0.05, code: 0.9, science: 0.03, other: 0.02 });
const unsure = classification({ math: 0.42, code: 0.1, science: 0.38, other: 0.1 });
const chat = classification({ math: 0.05, code: 0.05, science: 0.1, other: 0.8 });
/** A policy from the fallbacks' env spellings, built the way the router's config builds it. */
const policy = (fallback: string, other?: string, math = 0.5): RoutePolicy => {
  const parsed = routeFallbackSchema.parse(fallback);
  return {
    thresholds: { ...DEFAULT_ROUTE_POLICY.thresholds, math },
    fallback: parsed,
    otherFallback: defaultOtherFallback(other === undefined ? undefined : otherFallbackSchema.parse(other), parsed),
  };
};

describe('decideRoute', () => {
  it('routes a confident specialist to its domain, scores highest first', () => {
    const { decision, rejected, worker } = decideRoute(sure, DEFAULT_ROUTE_POLICY);
    expect(rejected).toBe(false);
    expect(worker).toBeUndefined();
    expect(decision).toEqual({
      domain: 'DOMAIN_CODE',
      confidence: 0.9,
      threshold: 0.5,
      overridden: false,
      fallback: false,
      fallbackReason: '',
      topFeatures: ['w:python'],
      lowConfidence: false,
      runnerUp: 'DOMAIN_MATH',
      runnerUpConfidence: 0.05,
      scores: [
        { domain: 'DOMAIN_CODE', probability: 0.9 },
        { domain: 'DOMAIN_MATH', probability: 0.05 },
        { domain: 'DOMAIN_SCIENCE', probability: 0.03 },
        { domain: 'DOMAIN_OTHER', probability: 0.02 },
      ],
    });
  });

  it('routes below threshold to the top class by default, flagged lowConfidence, with the runner-up', () => {
    const { decision, rejected, worker } = decideRoute(unsure, DEFAULT_ROUTE_POLICY);
    expect(rejected).toBe(false);
    expect(worker).toBeUndefined();
    expect(decision).toMatchObject({
      domain: 'DOMAIN_MATH',
      confidence: 0.42,
      lowConfidence: true,
      fallback: false,
      fallbackReason: '',
      runnerUp: 'DOMAIN_SCIENCE',
      runnerUpConfidence: 0.38,
    });
  });

  it('rejects below threshold with the strict policy, saying why and carrying the scores', () => {
    const { decision, rejected } = decideRoute(unsure, policy('reject'));
    expect(rejected).toBe(true);
    expect(decision.lowConfidence).toBe(false);
    expect(decision.fallback).toBe(true);
    expect(decision.domain).toBe('DOMAIN_MATH');
    expect(decision.threshold).toBe(0.5);
    expect(decision.fallbackReason).toMatch(/below threshold: math p=0\.420 < 0\.5; rejected/);
    expect(decision.scores).toHaveLength(4);
  });

  it('applies a per-domain threshold', () => {
    expect(decideRoute(unsure, policy('reject', undefined, 0.4)).decision).toMatchObject({
      domain: 'DOMAIN_MATH',
      fallback: false,
      threshold: 0.4,
    });
  });

  it('sends unsure problems to a default domain', () => {
    const { decision, rejected } = decideRoute(unsure, policy('domain:science'));
    expect(rejected).toBe(false);
    expect(decision).toMatchObject({ domain: 'DOMAIN_SCIENCE', fallback: true, overridden: false });
  });

  it('sends "other" to a named worker, with its own fallback', () => {
    const p = policy('domain:math', 'worker:general-7b');
    const other = decideRoute(chat, p);
    expect(other).toMatchObject({ rejected: false, worker: 'general-7b', classifiedAs: 'other' });
    expect(other.decision).toMatchObject({ domain: 'DOMAIN_OTHER', fallback: true, threshold: 0 });
    expect(other.decision.fallbackReason).toContain('classified as other');
    expect(decideRoute(unsure, p).decision.domain).toBe('DOMAIN_MATH');
  });

  it('rejects "other" under the default policy', () => {
    expect(decideRoute(chat, DEFAULT_ROUTE_POLICY)).toMatchObject({ rejected: true, decision: { domain: 'DOMAIN_OTHER', fallback: true } });
  });

  it('lets the caller override always, with or without a classification', () => {
    expect(decideRoute(chat, DEFAULT_ROUTE_POLICY, 'DOMAIN_MATH')).toMatchObject({
      rejected: false,
      decision: { domain: 'DOMAIN_MATH', overridden: true, fallback: false, confidence: 0.8 },
    });
    expect(decideRoute(undefined, DEFAULT_ROUTE_POLICY, 'science')).toMatchObject({
      rejected: false,
      decision: { domain: 'DOMAIN_SCIENCE', overridden: true, scores: [] },
    });
    expect(decideRoute(unsure, DEFAULT_ROUTE_POLICY, 'DOMAIN_UNSPECIFIED')).toMatchObject({
      rejected: false,
      decision: { overridden: false, lowConfidence: true },
    });
    expect(decideRoute(unsure, policy('reject'), 'DOMAIN_UNSPECIFIED').rejected).toBe(true);
    expect(() => decideRoute(undefined, DEFAULT_ROUTE_POLICY)).toThrow(TypeError);
  });
});

describe('fallbacks (ROUTER_FALLBACK, ROUTER_FALLBACK_OTHER: the router config parses them with these)', () => {
  it('default to route when unsure and reject for "other"', () => {
    expect(DEFAULT_ROUTE_POLICY).toEqual({
      thresholds: { math: 0.5, code: 0.5, science: 0.5 },
      fallback: { kind: 'route' },
      otherFallback: { kind: 'reject' },
    });
  });

  it('let "other" follow ROUTER_FALLBACK unless that is route', () => {
    expect(defaultOtherFallback(undefined, { kind: 'domain', domain: 'math' })).toEqual({ kind: 'domain', domain: 'math' });
    expect(defaultOtherFallback(undefined, { kind: 'reject' })).toEqual({ kind: 'reject' });
    expect(defaultOtherFallback(undefined, { kind: 'route' })).toEqual({ kind: 'reject' });
    expect(defaultOtherFallback({ kind: 'worker', name: 'chat' }, { kind: 'route' })).toEqual({ kind: 'worker', name: 'chat' });
  });

  it('refuse route for "other", saying why', () => {
    expect(otherFallbackSchema.safeParse('route').error?.issues[0]?.message).toMatch(/there is no other worker/);
  });

  it('parse every spelling and refuse the rest', () => {
    expect(['route', 'reject', ' domain:code ', 'worker:chat'].map((v) => routeFallbackSchema.parse(v))).toEqual([
      { kind: 'route' },
      { kind: 'reject' },
      { kind: 'domain', domain: 'code' },
      { kind: 'worker', name: 'chat' },
    ]);
    for (const bad of ['domain:other', 'worker:', 'anything']) expect(routeFallbackSchema.safeParse(bad).success).toBe(false);
  });
});
