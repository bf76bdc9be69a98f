/** Why the sandbox cannot run anything: a deployment problem, never the solution's fault. */
export const SandboxErrorCode = {
  /** A program the sandbox needs (bwrap, prlimit, the interpreter) is not installed. */
  SANDBOX_UNAVAILABLE: 'SANDBOX_UNAVAILABLE',
  /** bubblewrap could not build the sandbox (user namespaces disabled, a seccomp policy …). */
  SANDBOX_SETUP_FAILED: 'SANDBOX_SETUP_FAILED',
} as const;
export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/**
 * Shaped like the platform's AppError (a string `code`, a message that says what to install or
 * fix), but with codes of its own: the platform's edges map an unknown code to INTERNAL, which is
 * right, since the caller can do nothing about a worker that cannot sandbox.
 */
export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SandboxError';
  }
}
