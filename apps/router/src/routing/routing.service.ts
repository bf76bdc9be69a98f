import { Inject, Injectable } from '@nestjs/common';
import { decideRoute, type Classification } from '@slm/classifier';
import { domainNameOf, isWorkerDomain, protoDomainOf, type RouteDecision__Output, type WorkerDomain } from '@slm/contracts';
import { AppError, ErrorCode } from '@slm/platform';
import { inSpanSync } from '@slm/telemetry';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { RouterMetricsService, type RouteOutcome } from '../metrics/router-metrics.service';
import { ROUTE_CLASSIFIER, type RouteClassifier } from './route-classifier';

/**
 * Turns a problem's text into a route decision: the in-process classifier's scores, then the
 * policy from @slm/classifier (per-domain threshold, fallback, the caller's override wins).
 */
@Injectable()
export class RoutingService {
  constructor(
    @Inject(ROUTE_CLASSIFIER) private readonly classifier: RouteClassifier,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly metrics: RouterMetricsService,
  ) {}

  /**
   * The decision for a text (with a conversation's earlier user turns, when it has some); throws
   * ROUTE_REJECTED (422 / FAILED_PRECONDITION) when the policy declines it.
   */
  decide(text: string, override?: WorkerDomain, earlierTurns?: string): RouteDecision__Output {
    const classification = inSpanSync('classify', { 'slm.problem.chars': text.length }, (span) => {
      const result = this.classifyTurn(text, earlierTurns);
      span.setAttributes({ 'slm.route.class': result.domain, 'slm.route.confidence': result.confidence });
      return result;
    });
    const outcome = inSpanSync('route policy', {}, (span) => {
      const decided = decideRoute(classification, this.config.policy, override);
      // Built only for a sampled trace: this runs for every problem of every batch.
      if (span.isRecording()) {
        const { decision } = decided;
        span.setAttributes({
          'slm.route.domain': String(decision.domain),
          'slm.route.rejected': decided.rejected,
          'slm.route.fallback': decision.fallback,
          'slm.route.low_confidence': decision.lowConfidence,
          ...(override ? { 'slm.route.override': override } : {}),
        });
      }
      return decided;
    });
    this.metrics.recordClassification(classification.domain, classification.confidence, outcomeOf(outcome.rejected, outcome.decision));
    if (outcome.rejected) {
      const decision = outcome.decision;
      throw new AppError(ErrorCode.ROUTE_REJECTED, `problem not routed: ${decision.fallbackReason}`, {
        route: decision,
        scores: Object.fromEntries(decision.scores.map((s) => [s.domain, s.probability])),
      });
    }
    if (outcome.worker) {
      // A named worker is a domain or a model alias (checked when the config was loaded).
      const domain = isWorkerDomain(outcome.worker) ? outcome.worker : this.config.modelAliases[outcome.worker];
      if (!domain) throw new AppError(ErrorCode.NO_HEALTHY_REPLICA, `no worker named ${outcome.worker}`);
      return { ...outcome.decision, domain: protoDomainOf(domain) };
    }
    return outcome.decision;
  }

  /**
   * The latest turn decides. A follow-up that says nothing of its domain (its best class `other`, or a
   * specialist under its threshold: "thanks!", "why?", "and for n = 5?") is read again with the
   * conversation's earlier user turns, which carry the problem, and that reading wins when it names a
   * specialist: a chat about an integral does not end in a 422 at its "thanks".
   */
  private classifyTurn(text: string, earlierTurns: string | undefined): Classification {
    const latest = this.classifier.classify(text, { topFeatures: 5 });
    if (earlierTurns === undefined) return latest;
    if (latest.domain !== 'other' && latest.confidence >= this.config.policy.thresholds[latest.domain]) return latest;
    const whole = this.classifier.classify(`${earlierTurns}\n\n${text}`, { topFeatures: 5 });
    return whole.domain === 'other' ? latest : whole;
  }

  /** The decision re-pointed at the configured domain when its own domain has no healthy replica. */
  rerouteUnavailable(decision: RouteDecision__Output): RouteDecision__Output {
    const target = this.config.workers.unavailableFallback;
    if (target === 'reject') {
      throw new AppError(
        ErrorCode.NO_HEALTHY_REPLICA,
        `no healthy worker replica for ${decision.domain} (and ROUTER_UNAVAILABLE_FALLBACK=reject)`,
      );
    }
    this.metrics.routeOutcomes.inc({ class: classDomainOf(decision.domain), outcome: 'unavailable_fallback' });
    return {
      ...decision,
      domain: protoDomainOf(target),
      fallback: true,
      fallbackReason: `no healthy replica for ${decision.domain}; sent to ${target}`,
    };
  }
}

/** The one outcome a classification is counted under: a rejection first, then the caller's override, the fallback, low confidence. */
function outcomeOf(rejected: boolean, decision: RouteDecision__Output): RouteOutcome {
  if (rejected) return 'rejected';
  if (decision.overridden) return 'overridden';
  if (decision.fallback) return 'fallback';
  return decision.lowConfidence ? 'low_confidence' : 'routed';
}

/** `DOMAIN_MATH` → `math` (the class label of the metrics). */
function classDomainOf(domain: RouteDecision__Output['domain']): string {
  return domainNameOf(domain) ?? 'unspecified';
}
