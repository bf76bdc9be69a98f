import type { Classification } from '@slm/classifier';
import type { RouteClassifier } from '../src/routing/route-classifier';

/**
 * A deterministic stand-in for the trained classifier: these suites test the router's plumbing,
 * so each test picks its route with an obvious keyword. "unsure" lowers the confidence.
 */
export class KeywordClassifier implements RouteClassifier {
  classify(text: string): Classification {
    const lower = text.toLowerCase();
    const domain: Classification['domain'] = /integral|equation|\bsum\b|\d\s*[+*]\s*\d/.test(lower)
      ? 'math'
      : /python|function|code|bug/.test(lower)
        ? 'code'
        : /atom|cell|physics|energy|molecule/.test(lower)
          ? 'science'
          : 'other';
    const confidence = lower.includes('unsure') ? 0.3 : 0.9;
    const rest = (1 - confidence) / 3;
    const probabilities = { math: rest, code: rest, science: rest, other: rest, [domain]: confidence } as Classification['probabilities'];
    return { domain, confidence, probabilities, topFeatures: [{ feature: `w:${lower.split(/\s+/)[0] ?? ''}`, weight: 1 }] };
  }
}
