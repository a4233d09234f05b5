// How an agent leg ended, and whether an unanswered offer counts against the agent. Only the
// agent's own doing is a strike (their phone rang the whole ring time, or they sent busy or
// decline): a request the system failed to make, a congested Asterisk, a network failure or a
// deadline of our own never pauses an agent for "no-answer" (app_queue's autopause counts only
// RINGNOANSWER too).

/** Why an agent leg ended, as the ACD learns it. */
export type LegEnd =
  /** Asterisk destroyed the leg with this Q.850 cause (ARI ChannelDestroyed). */
  | { kind: 'destroyed'; cause: number }
  /** A hang-up was requested or the leg left the application; the cause follows with ChannelDestroyed. */
  | { kind: 'hangup-requested' }
  /** The originate failed: Asterisk refused it, or did not answer the request. */
  | { kind: 'failed' }
  /** Asterisk does not know the agent's endpoint. */
  | { kind: 'unknown-endpoint' }
  /** Our ring deadline passed before Asterisk reported anything. */
  | { kind: 'ring-timeout' }
  /** The reservation's lease ran out (its instance is gone). */
  | { kind: 'lease-expired' }
  /** The leg is gone and how it ended was not heard (a reconnect). */
  | { kind: 'lost' };

/** Q.850 causes that are the agent's doing: 17 user busy, 19 no answer (rang the whole time), 21 call rejected. */
const AGENTS_DOING: ReadonlyMap<number, string> = new Map([
  [17, 'busy'],
  [19, 'no-answer'],
  [21, 'declined'],
]);

/** Does this unanswered offer count as a miss by the agent (towards the automatic pause)? */
export function isAgentsMiss(end: LegEnd): boolean {
  return end.kind === 'destroyed' && AGENTS_DOING.has(end.cause);
}

/** A short name for events and logs: "no-answer", "busy", "declined", "cause 34", "failed", … */
export function legEndLabel(end: LegEnd): string {
  if (end.kind !== 'destroyed') return end.kind;
  return AGENTS_DOING.get(end.cause) ?? `cause ${end.cause}`;
}
