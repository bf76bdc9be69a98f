// Original file: proto/slmrouter/v1/common.proto

import type { Domain as _slmrouter_v1_Domain, Domain__Output as _slmrouter_v1_Domain__Output } from '../../slmrouter/v1/Domain';
import type { ClassScore as _slmrouter_v1_ClassScore, ClassScore__Output as _slmrouter_v1_ClassScore__Output } from '../../slmrouter/v1/ClassScore';

/**
 * How the router chose the worker for a problem.
 */
export interface RouteDecision {
  /**
   * The domain whose worker solves the problem.
   */
  'domain'?: (_slmrouter_v1_Domain);
  /**
   * Probability of the classifier's top class.
   */
  'confidence'?: (number | string);
  /**
   * Every class's probability, highest first.
   */
  'scores'?: (_slmrouter_v1_ClassScore)[];
  /**
   * The confidence threshold that applied to the classifier's top class.
   */
  'threshold'?: (number | string);
  /**
   * True when the caller forced the domain (domain_override or an explicit model).
   */
  'overridden'?: (boolean);
  /**
   * True when the classifier's choice was replaced by the configured fallback.
   */
  'fallback'?: (boolean);
  /**
   * Why the fallback applied ("below threshold", "other", "no healthy replica"...); empty otherwise.
   */
  'fallbackReason'?: (string);
  /**
   * The input features that weighed most for the top class, for explanations.
   */
  'topFeatures'?: (string)[];
  /**
   * True when the classifier's top class is a specialist under its threshold and the policy
   * routed the problem to it anyway (the default): the answer may come from the wrong specialist.
   */
  'lowConfidence'?: (boolean);
  /**
   * The classifier's second most probable class (DOMAIN_UNSPECIFIED when the caller overrode
   * without classifying).
   */
  'runnerUp'?: (_slmrouter_v1_Domain);
  /**
   * Probability of runner_up.
   */
  'runnerUpConfidence'?: (number | string);
}

/**
 * How the router chose the worker for a problem.
 */
export interface RouteDecision__Output {
  /**
   * The domain whose worker solves the problem.
   */
  'domain': (_slmrouter_v1_Domain__Output);
  /**
   * Probability of the classifier's top class.
   */
  'confidence': (number);
  /**
   * Every class's probability, highest first.
   */
  'scores': (_slmrouter_v1_ClassScore__Output)[];
  /**
   * The confidence threshold that applied to the classifier's top class.
   */
  'threshold': (number);
  /**
   * True when the caller forced the domain (domain_override or an explicit model).
   */
  'overridden': (boolean);
  /**
   * True when the classifier's choice was replaced by the configured fallback.
   */
  'fallback': (boolean);
  /**
   * Why the fallback applied ("below threshold", "other", "no healthy replica"...); empty otherwise.
   */
  'fallbackReason': (string);
  /**
   * The input features that weighed most for the top class, for explanations.
   */
  'topFeatures': (string)[];
  /**
   * True when the classifier's top class is a specialist under its threshold and the policy
   * routed the problem to it anyway (the default): the answer may come from the wrong specialist.
   */
  'lowConfidence': (boolean);
  /**
   * The classifier's second most probable class (DOMAIN_UNSPECIFIED when the caller overrode
   * without classifying).
   */
  'runnerUp': (_slmrouter_v1_Domain__Output);
  /**
   * Probability of runner_up.
   */
  'runnerUpConfidence': (number);
}
