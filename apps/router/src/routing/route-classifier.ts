import type { Classification, ClassifyOptions } from '@slm/classifier';

/** What the router needs from a classifier (DomainClassifier in production, doubles in tests). */
export interface RouteClassifier {
  classify(text: string, options?: ClassifyOptions): Classification;
}

/** Nest injection token of the {@link RouteClassifier}. */
export const ROUTE_CLASSIFIER = Symbol('ROUTE_CLASSIFIER');
