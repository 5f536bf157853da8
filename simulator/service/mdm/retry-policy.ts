/**
 * How the service re-sends a payload a device has not answered: wait, re-send, wait twice as long, … up to a
 * cap, at most `maxAttempts` sends; after the last unanswered send the device × profile is `pending` until the
 * device checks in again (a check-in restarts the cycle). All in virtual time.
 */

/** Retry settings (milliseconds of clock time). */
export interface RetryPolicy {
  /** Wait after the first send before re-sending (default 5 min). */
  initialDelayMs: number;
  /** Each wait is this many times the previous one (default 2). */
  factor: number;
  /** No wait is longer than this (default 1 h). */
  maxDelayMs: number;
  /** Sends in one cycle, the first included (default 4: send, then 3 retries). */
  maxAttempts: number;
}

/** The defaults: 5 min, 10 min, 20 min, 40 min waits; four sends. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 5 * 60_000,
  factor: 2,
  maxDelayMs: 60 * 60_000,
  maxAttempts: 4,
};

/**
 * How long to wait for an answer after send number `attempt` (1-based).
 *
 * @example
 * answerTimeout(DEFAULT_RETRY_POLICY, 3); // 20 minutes
 */
export function answerTimeout(policy: RetryPolicy, attempt: number): number {
  const raw = policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, raw);
}
