// Estimated wait for a caller with j callers ahead who compete for the same N eligible agents
// (M/M/N queue-length estimator; contact-center.md): each departure ahead of the caller takes on
// average 1/(N·μ), or 1/(N·μ + i·θ) when callers also abandon at rate θ each.
// Announced as rounded minutes, because even a perfect estimate has a spread of ±1/√(j+1).

export interface EwtInput {
  /** Callers ahead of this one that compete for the same agents. */
  ahead: number;
  /** Agents logged in (not paused) who could take the call. */
  eligibleAgents: number;
  /** Mean handle time (talk + wrap-up), seconds. */
  ahtS: number;
  /** Mean patience, seconds; omit to ignore abandonment. */
  patienceS?: number;
}

/** Expected wait in seconds, or undefined when nobody could take the call. */
export function estimatedWaitS({ ahead, eligibleAgents, ahtS, patienceS }: EwtInput): number | undefined {
  if (eligibleAgents <= 0 || ahtS <= 0) return undefined;
  const nMu = eligibleAgents / ahtS;
  const theta = patienceS && patienceS > 0 ? 1 / patienceS : 0;
  let w = 0;
  for (let i = 0; i <= ahead; i++) w += 1 / (nMu + i * theta);
  return w;
}

/** What to say: whole minutes, at least 1 (app_queue rounds the same way). */
export function announceMinutes(waitS: number): number {
  return Math.max(1, Math.round(waitS / 60));
}
