import { Inject, Injectable } from '@nestjs/common';
import { decideRoute } from '@slm/classifier';
import type { RouteDecision__Output, WorkerDomain } from '@slm/contracts';
import { AppError, ErrorCode } from '@slm/platform';
import { ROUTER_CONFIG, isWorkerDomain, type RouterConfig } from '../config/router.config';
import { protoDomainOf } from './domains';
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
  ) {}

  /** The decision for a text; throws ROUTE_REJECTED (422 / FAILED_PRECONDITION) when the policy declines it. */
  decide(text: string, override?: WorkerDomain): RouteDecision__Output {
    const classification = this.classifier.classify(text, { topFeatures: 5 });
    const outcome = decideRoute(classification, this.config.policy, override);
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

  /** The decision re-pointed at the configured domain when its own domain has no healthy replica. */
  rerouteUnavailable(decision: RouteDecision__Output): RouteDecision__Output {
    const target = this.config.workers.unavailableFallback;
    if (target === 'reject') {
      throw new AppError(ErrorCode.NO_HEALTHY_REPLICA, `no healthy worker replica for ${decision.domain} (and ROUTER_UNAVAILABLE_FALLBACK=reject)`);
    }
    return { ...decision, domain: protoDomainOf(target), fallback: true, fallbackReason: `no healthy replica for ${decision.domain}; sent to ${target}` };
  }
}
