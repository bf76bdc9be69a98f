// Original file: proto/slmrouter/v1/common.proto

/**
 * The specialty a problem belongs to.
 */
export const Domain = {
  /**
   * Not set. In a request: let the router classify the problem.
   */
  DOMAIN_UNSPECIFIED: 'DOMAIN_UNSPECIFIED',
  /**
   * Mathematics: arithmetic, algebra, word problems, competition math.
   */
  DOMAIN_MATH: 'DOMAIN_MATH',
  /**
   * Programming: writing, fixing or explaining code, shell and SQL.
   */
  DOMAIN_CODE: 'DOMAIN_CODE',
  /**
   * Natural sciences: physics, chemistry, biology, medicine, engineering.
   */
  DOMAIN_SCIENCE: 'DOMAIN_SCIENCE',
  /**
   * None of the specialties (trivia, chit-chat, humanities...).
   */
  DOMAIN_OTHER: 'DOMAIN_OTHER',
} as const;

/**
 * The specialty a problem belongs to.
 */
export type Domain =
  /**
   * Not set. In a request: let the router classify the problem.
   */
  | 'DOMAIN_UNSPECIFIED'
  | 0
  /**
   * Mathematics: arithmetic, algebra, word problems, competition math.
   */
  | 'DOMAIN_MATH'
  | 1
  /**
   * Programming: writing, fixing or explaining code, shell and SQL.
   */
  | 'DOMAIN_CODE'
  | 2
  /**
   * Natural sciences: physics, chemistry, biology, medicine, engineering.
   */
  | 'DOMAIN_SCIENCE'
  | 3
  /**
   * None of the specialties (trivia, chit-chat, humanities...).
   */
  | 'DOMAIN_OTHER'
  | 4

/**
 * The specialty a problem belongs to.
 */
export type Domain__Output = typeof Domain[keyof typeof Domain]
