// When a failed delivery is tried again: BullMQ's "exponential" backoff, backoff × 2^(n−1) before
// retry n. The job carries the delay and BullMQ computes it; this is the same schedule, for the
// documentation, the configuration's limits and the tests.

/** Seconds between failed attempt `retry` (1 = the first attempt failed) and the next one. */
export function retryDelayS(retry: number, backoffS: number): number {
  return backoffS * 2 ** (retry - 1);
}

/** The delays between attempts, in order (maxAttempts − 1 of them). */
export function retrySchedule(maxAttempts: number, backoffS: number): number[] {
  return Array.from({ length: Math.max(0, maxAttempts - 1) }, (_, i) => retryDelayS(i + 1, backoffS));
}

/** Seconds from the first attempt to the last one, request times left out. */
export function givenUpAfterS(maxAttempts: number, backoffS: number): number {
  return retrySchedule(maxAttempts, backoffS).reduce((a, b) => a + b, 0);
}

/** Whether the attempt running now is the last: `attemptsMade` is how many failed before it. */
export function isLastAttempt(attemptsMade: number, maxAttempts: number): boolean {
  return attemptsMade + 1 >= maxAttempts;
}
