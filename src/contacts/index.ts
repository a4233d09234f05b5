// Contact history and the screen pop: what an agent sees of the caller (docs/screen-pop.md).
import type { Logger } from 'pino';
import type { EventOf, SwitchboardEvent } from '../events';
import { KeyedChain } from '../kernel/keyed-chain';
import { applyContactEvent, CONTACT_EVENTS, pathText, type ContactEvent, type ContactRecord } from './domain/record';
import type { ContactStore } from './store';

export { ContactStore } from './store';
export { pathText, type ContactRecord } from './domain/record';

// Compile-time check that the restated shapes (domain/record.ts) still fit the catalogue's.
type Fits<T extends ContactEvent['type']> = EventOf<T> extends Extract<ContactEvent, { type: T }> ? true : never;
export const CONTACT_SHAPES_MATCH: { readonly [T in ContactEvent['type']]: Fits<T> } = {
  'call.arrived': true,
  'ivr.choice': true,
  'ivr.collected': true,
  'queue.entered': true,
  'queue.connected': true,
  'queue.transferred': true,
  'call.disposition': true,
  'call.ended': true,
};

/** How many earlier contacts a screen pop shows. */
export const RECENT_CONTACTS = 5;

export class ContactHistory {
  private readonly calls = new KeyedChain();
  constructor(
    private readonly store: ContactStore,
    private readonly logger: Logger,
  ) {}

  /** The event seam's subscriber: each call's record folded in its events' order. */
  readonly subscriber = (e: SwitchboardEvent): Promise<void> | undefined => {
    const callId = 'callId' in e ? e.callId : undefined;
    if (!CONTACT_EVENTS.has(e.type) || callId === undefined) return undefined;
    return this.calls.run(
      callId,
      async () => {
        const before = e.type === 'call.arrived' ? undefined : await this.store.get(callId);
        const after = applyContactEvent(before, e as ContactEvent); // one of CONTACT_EVENTS: the catalogue's shape is a superset
        if (after && after !== before) await this.store.save(after, before === undefined);
      },
      (err) => this.logger.error({ err, callId, type: e.type }, 'contact history not updated'),
    );
  };

  get(callId: string): Promise<ContactRecord | undefined> {
    return this.store.get(callId);
  }

  recent(callerId: string, except?: string): Promise<ContactRecord[]> {
    return this.store.recent(callerId, RECENT_CONTACTS, except);
  }

  /**
   * Channel variables for the agent's leg (a desk phone or CRM reads them; the PJSIP_HEADER ones
   * go out as SIP headers on the INVITE): the caller's name, the number dialled, the IVR path and
   * the caller's last contact.
   */
  async legVariables(callId: string, callerId: string): Promise<Record<string, string>> {
    // Both reads at once: the caller's number is known without the record.
    const [r, recent] = await Promise.all([this.store.get(callId), this.store.recent(callerId, 1, callId)]);
    if (!r) return {};
    const last = recent[0];
    const path = pathText(r);
    const lastText = last ? `${new Date(last.at).toISOString()} ${last.queue ?? '-'} ${last.agentId ?? '-'} ${last.disposition ? (last.disposition.resolved ? 'resolved' : 'not-resolved') : '-'}` : '';
    return {
      SWITCHBOARD_IVR_PATH: path,
      SWITCHBOARD_LAST_CONTACT: lastText,
      ...(r.callerName ? { SWITCHBOARD_CALLER_NAME: r.callerName, 'PJSIP_HEADER(add,X-Switchboard-Caller-Name)': r.callerName } : {}),
      SWITCHBOARD_NUMBER: r.number,
      'PJSIP_HEADER(add,X-Switchboard-Number)': r.number,
      'PJSIP_HEADER(add,X-Switchboard-Call-Id)': callId,
      ...(path ? { 'PJSIP_HEADER(add,X-Switchboard-IVR-Path)': path } : {}),
      ...(lastText ? { 'PJSIP_HEADER(add,X-Switchboard-Last-Contact)': lastText } : {}),
    };
  }
}
