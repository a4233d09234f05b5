// A caller's contact, folded from the journal's events as they happen: the number they called,
// their way through the IVR (menu choices) and what they keyed (never a sensitive input: the
// journal carries only its length), the queue and agent that took the call, a transfer, and the
// disposition. The screen pop shows the current contact and this caller's last ones. Pure: the
// events it reads are restated here (the catalogue's shapes are supersets of these).

type At = { at: number; callId: string };
export type ContactEvent = At &
  (
    | { type: 'call.arrived'; number: string; callerId: string; callerName?: string }
    | { type: 'ivr.choice'; flow: string; step: string; digit: string }
    | { type: 'ivr.collected'; variable: string; input: { sensitive: false; value: string } | { sensitive: true; length: number } }
    | { type: 'queue.entered'; queue: string }
    | { type: 'queue.connected'; queue: string; agentId: string }
    | { type: 'queue.transferred'; agentId: string }
    | { type: 'call.disposition'; resolved: boolean; reason: string }
    | { type: 'call.ended' }
  );

export interface ContactRecord {
  callId: string;
  /** The caller's number. */
  callerId: string;
  /** The caller's name, when the network sent one. */
  callerName?: string;
  /** The number dialled. */
  number: string;
  at: number;
  /** Menu choices, in order. */
  path: Array<{ flow: string; step: string; digit: string }>;
  /** Non-sensitive inputs collected, by variable. */
  inputs: Record<string, string>;
  queue?: string;
  agentId?: string;
  /** Agents who had the call before a transfer. */
  transferredFrom?: string[];
  disposition?: { resolved: boolean; reason: string };
  endedAt?: number;
}

/** Events that change a contact (the subscriber ignores the rest). */
export const CONTACT_EVENTS: ReadonlySet<string> = new Set<ContactEvent['type']>(['call.arrived', 'ivr.choice', 'ivr.collected', 'queue.entered', 'queue.connected', 'queue.transferred', 'call.disposition', 'call.ended']);

/** The record after `e`; undefined while the call has none (it arrived before this feature saw it). */
export function applyContactEvent(r: ContactRecord | undefined, e: ContactEvent): ContactRecord | undefined {
  if (e.type === 'call.arrived') return r ?? { callId: e.callId, callerId: e.callerId, ...(e.callerName ? { callerName: e.callerName } : {}), number: e.number, at: e.at, path: [], inputs: {} };
  if (!r) return undefined;
  switch (e.type) {
    case 'ivr.choice':
      return { ...r, path: [...r.path, { flow: e.flow, step: e.step, digit: e.digit }].slice(-50) };
    case 'ivr.collected':
      return e.input.sensitive ? r : { ...r, inputs: { ...r.inputs, [e.variable]: e.input.value } };
    case 'queue.entered':
      return { ...r, queue: e.queue };
    case 'queue.connected':
      return { ...r, queue: e.queue, agentId: e.agentId };
    case 'queue.transferred': {
      const next: ContactRecord = { ...r, transferredFrom: [...(r.transferredFrom ?? []), e.agentId] };
      delete next.agentId;
      return next;
    }
    case 'call.disposition':
      return { ...r, disposition: { resolved: e.resolved, reason: e.reason } };
    case 'call.ended':
      return { ...r, endedAt: e.at };
  }
}

/** "sales:1 > support:2": the menu choices, for a desk phone's display or a CRM's URL. */
export const pathText = (r: Pick<ContactRecord, 'path'>): string => r.path.map((p) => `${p.step}:${p.digit}`).join(' > ');
