// How an agent leg ended, and whether an unanswered offer counts against the agent. Only the
// agent's own doing is a strike (their phone rang the whole ring time, or they sent busy or
// decline): a request the system failed to make, a congested Asterisk, a network failure or a
// deadline of our own never pauses an agent for "no-answer" (app_queue's autopause counts only
// RINGNOANSWER too).

/** One agent leg of an offer: the agent rung and the channel ringing them. */
export interface RingLeg {
  readonly agentId: string;
  readonly legId: string;
}

/** An offered call: its leading leg, and every leg when a ring-all offer rings several. */
interface Offered {
  readonly agentId?: string;
  readonly legId?: string;
  readonly ringing?: readonly RingLeg[];
}

/** Every agent leg ringing for an offered call: a ring-all offer's legs, or its one leg. */
export function ringingLegs(e: Offered): readonly RingLeg[] {
  if (e.ringing && e.ringing.length > 0) return e.ringing;
  return e.agentId && e.legId ? [{ agentId: e.agentId, legId: e.legId }] : [];
}

/** Is this leg one of the offer's? */
export function isRinging(e: Offered, legId: string): boolean {
  return ringingLegs(e).some((l) => l.legId === legId);
}

/**
 * A ring-all offer goes on without one leg (missed while the others still ring): the next leg
 * leads, and a lone leg left is an ordinary offer. Undefined when it was the last leg.
 */
export function withoutLeg<E extends Offered>(e: E, legId: string): E | undefined {
  const rest = ringingLegs(e).filter((l) => l.legId !== legId);
  const lead = rest[0];
  if (!lead) return undefined;
  const next: E = { ...e, agentId: lead.agentId, legId: lead.legId, ringing: rest };
  if (rest.length === 1) delete (next as { ringing?: unknown }).ringing;
  return next;
}

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
