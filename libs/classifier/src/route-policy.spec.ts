import { loadConfig } from '@slm/platform';
import type { Classification } from './domain-classifier';
import { DEFAULT_ROUTE_POLICY, RoutePolicy, decideRoute, routePolicyEnvSchema } from './route-policy';

function classification(probabilities: Classification['probabilities']): Classification {
  const domain = (Object.keys(probabilities) as (keyof typeof probabilities)[]).reduce((a, b) => (probabilities[b] > probabilities[a] ? b : a));
  return { domain, confidence: probabilities[domain], probabilities, topFeatures: [{ feature: 'w:python', weight: 1.5 }] };
}

const sure = classification({ math: 0.05, code: 0.9, science: 0.03, other: 0.02 });
const unsure = classification({ math: 0.42, code: 0.1, science: 0.38, other: 0.1 });
const chat = classification({ math: 0.05, code: 0.05, science: 0.1, other: 0.8 });
const policy = (fallback: string, other?: string, math = '0.5'): RoutePolicy =>
  loadConfig(routePolicyEnvSchema, { ROUTER_FALLBACK: fallback, ROUTER_FALLBACK_OTHER: other, ROUTER_THRESHOLD_MATH: math });

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
    expect(decision).toMatchObject({ domain: 'DOMAIN_MATH', confidence: 0.42, lowConfidence: true, fallback: false, fallbackReason: '', runnerUp: 'DOMAIN_SCIENCE', runnerUpConfidence: 0.38 });
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
    expect(decideRoute(unsure, policy('reject', undefined, '0.4')).decision).toMatchObject({ domain: 'DOMAIN_MATH', fallback: false, threshold: 0.4 });
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
    expect(decideRoute(chat, DEFAULT_ROUTE_POLICY, 'DOMAIN_MATH')).toMatchObject({ rejected: false, decision: { domain: 'DOMAIN_MATH', overridden: true, fallback: false, confidence: 0.8 } });
    expect(decideRoute(undefined, DEFAULT_ROUTE_POLICY, 'science')).toMatchObject({ rejected: false, decision: { domain: 'DOMAIN_SCIENCE', overridden: true, scores: [] } });
    expect(decideRoute(unsure, DEFAULT_ROUTE_POLICY, 'DOMAIN_UNSPECIFIED')).toMatchObject({ rejected: false, decision: { overridden: false, lowConfidence: true } });
    expect(decideRoute(unsure, policy('reject'), 'DOMAIN_UNSPECIFIED').rejected).toBe(true);
    expect(() => decideRoute(undefined, DEFAULT_ROUTE_POLICY)).toThrow(TypeError);
  });
});

describe('routePolicyEnvSchema', () => {
  it('has documented defaults', () => {
    expect(loadConfig(routePolicyEnvSchema, {})).toEqual({
      thresholds: { math: 0.5, code: 0.5, science: 0.5 },
      fallback: { kind: 'route' },
      otherFallback: { kind: 'reject' },
    });
  });

  it('lets "other" follow ROUTER_FALLBACK unless that is route', () => {
    expect(loadConfig(routePolicyEnvSchema, { ROUTER_FALLBACK: 'domain:math' }).otherFallback).toEqual({ kind: 'domain', domain: 'math' });
    expect(loadConfig(routePolicyEnvSchema, { ROUTER_FALLBACK: 'reject' }).otherFallback).toEqual({ kind: 'reject' });
    expect(loadConfig(routePolicyEnvSchema, { ROUTER_FALLBACK: 'route' }).otherFallback).toEqual({ kind: 'reject' });
  });

  it('refuses route for "other", saying why', () => {
    expect(() => loadConfig(routePolicyEnvSchema, { ROUTER_FALLBACK_OTHER: 'route' })).toThrow(/ROUTER_FALLBACK_OTHER.*there is no other worker/);
  });

  it('parses every variable', () => {
    expect(
      loadConfig(routePolicyEnvSchema, {
        ROUTER_THRESHOLD_MATH: '0.7',
        ROUTER_THRESHOLD_CODE: '0.6',
        ROUTER_THRESHOLD_SCIENCE: '0',
        ROUTER_FALLBACK: 'domain:code',
        ROUTER_FALLBACK_OTHER: 'worker:chat',
      }),
    ).toEqual({ thresholds: { math: 0.7, code: 0.6, science: 0 }, fallback: { kind: 'domain', domain: 'code' }, otherFallback: { kind: 'worker', name: 'chat' } });
  });

  it('lists every bad variable in one error', () => {
    expect(() => loadConfig(routePolicyEnvSchema, { ROUTER_THRESHOLD_MATH: '1.5', ROUTER_THRESHOLD_CODE: 'high', ROUTER_FALLBACK: 'domain:other', ROUTER_FALLBACK_OTHER: 'worker:' })).toThrow(
      /ROUTER_THRESHOLD_MATH.*ROUTER_THRESHOLD_CODE.*ROUTER_FALLBACK.*ROUTER_FALLBACK_OTHER/,
    );
  });
});
