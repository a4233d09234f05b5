// Every id Switchboard gives Asterisk (channels, bridges, playbacks, recordings) and IVR timers,
// in one place. Ids are chosen by us and deterministic, so a retried command answers 409 instead of
// acting twice, and an event can be routed to its owner by the kind of its id. A call's id is its
// caller channel's Asterisk id; everything else of the call starts with it.
// Pure (the shared kernel): features' domain code may use it.

/** IVR things: prompts, input timers, lookups, voicemail recordings, dial legs (n: the flow's sequence number). */
export type IvrIdKind = 'pb' | 'tm' | 'lk' | 'vm' | 'dl';
export const ivrId = (callId: string, kind: IvrIdKind, n: number): string => `${callId}-ivr-${kind}-${n}`;

/** The n-th agent leg rung for a call. */
export const legId = (callId: string, n: number): string => `${callId}-leg-${n}`;
/** A callback's n-th attempt to reach its customer (the callback's call id: callbacks/domain/model.ts). */
export const customerLegId = (callId: string, attempt: number): string => `${callId}-cust-${attempt}`;
/** What the agent hears of a callback before the customer answers (who is being called back). */
export const whisperId = (callId: string, attempt: number): string => `${callId}-whisper-${attempt}`;
/** The n-th prompt of a waiting caller's conversation about a callback (callbacks/domain/offer.ts). */
export const callbackPromptId = (callId: string, n: number): string => `${callId}-cbd-${n}`;
/** The n-th leg an agent rings to consult a colleague before an attended transfer (numbered with the call's offers). */
export const consultLegId = (callId: string, n: number): string => `${callId}-consult-${n}`;
/** An agent's own call (src/outbound): its id, its agent's leg, the called party's leg, its bridge. */
export const outboundIds = (id: string) => ({ agentLeg: `${id}-ob-agent`, farLeg: `${id}-ob-far`, bridge: `${id}-ob-bridge` });
/** The bridge of a call and its agent. */
export const callBridgeId = (callId: string): string => `${callId}-bridge`;
/** The bridge of a call and a destination an IVR dial step rang. */
export const dialBridgeId = (callId: string): string => `${callId}-dial-bridge`;
/** A supervisor's phone rung to monitor the call (listen, whisper, barge); `tag` tells sessions apart. Also the session's id. */
export const monitorLegId = (callId: string, tag: string): string => `${callId}-mon-${tag}`;
/** The bridge of a monitoring session: the supervisor's phone and a snoop on the agent's leg. */
export const monitorBridgeId = (sessionId: string): string => `${sessionId}-bridge`;
/** The n-th snoop channel of a monitoring session (a new one for each change of mode). */
export const snoopId = (sessionId: string, n: number): string => `${sessionId}-snoop-${n}`;
/** The n-th queue announcement to a waiting caller. */
export const announcementId = (callId: string, n: number): string => `${callId}-ann-${n}`;
/** The prompt a queue exit plays before hanging up. */
export const exitPromptId = (callId: string): string => `${callId}-exit`;

export type ChannelKind = 'caller' | 'agent-leg' | 'consult-leg' | 'outbound-leg' | 'dial-leg' | 'customer-leg' | 'monitor-leg' | 'snoop';
export type PlaybackKind = 'ivr' | 'announcement' | 'exit-prompt' | 'whisper' | 'callback-prompt' | 'unknown';

const LEG = /^(.+)-leg-\d+$/;
const DIAL = /^(.+)-ivr-dl-\d+$/;
const CUSTOMER = /^(.+)-cust-\d+$/;
const MONITOR = /^(.+)-mon-[a-z0-9]+$/;
const CONSULT = /^(.+)-consult-\d+$/;
const OUTBOUND = /^(.+)-ob-(?:agent|far)$/;
const SNOOP = /^(.+)-mon-[a-z0-9]+-snoop-\d+$/;

/** Whose channel this is: an agent leg, an IVR dial leg, a callback's customer leg, a supervisor's monitoring leg or its snoop, or otherwise a caller. */
export function channelKind(channelId: string): ChannelKind {
  if (SNOOP.test(channelId)) return 'snoop';
  if (MONITOR.test(channelId)) return 'monitor-leg';
  if (LEG.test(channelId)) return 'agent-leg';
  if (CONSULT.test(channelId)) return 'consult-leg';
  if (OUTBOUND.test(channelId)) return 'outbound-leg';
  if (DIAL.test(channelId)) return 'dial-leg';
  if (CUSTOMER.test(channelId)) return 'customer-leg';
  return 'caller';
}

/** The call a channel, bridge or playback id belongs to. */
export function callIdOf(id: string): string {
  const m = /^(.+?)-(?:leg-\d+|consult-\d+|ob-agent|ob-far|ob-bridge|cust-\d+|whisper-\d+|cbd-\d+|ivr-[a-z]{2}-\d+|bridge|dial-bridge|ann-\d+|exit|mon-[a-z0-9]+(?:-bridge|-snoop-\d+)?)$/.exec(id);
  return m ? m[1]! : id;
}

export function playbackKind(playbackId: string): PlaybackKind {
  if (/-ivr-pb-\d+$/.test(playbackId)) return 'ivr';
  if (/-ann-\d+$/.test(playbackId)) return 'announcement';
  if (/-exit$/.test(playbackId)) return 'exit-prompt';
  if (/-whisper-\d+$/.test(playbackId)) return 'whisper';
  if (/-cbd-\d+$/.test(playbackId)) return 'callback-prompt';
  return 'unknown';
}
