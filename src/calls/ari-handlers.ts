// The call flow's share of ARI events: callers' channels (from the dialplan: "inbound" from
// trunks, "agent" from agents' phones), the IVR's prompts and recordings, and the legs of its dial
// steps. Each becomes a call event, queued in that call's order.
import { callIdOf } from '../kernel/ids';
import type { Clock } from '../platform/clock';
import type { AriRouter, ChannelEvent, PlaybackEvent, RecordingEvent } from '../platform/ari/router';
import type { CallEvent } from './domain/events';

const channelOfTarget = (targetUri: string): string | undefined => (targetUri.startsWith('channel:') ? targetUri.slice('channel:'.length) : undefined);

export function registerCallAriHandlers(router: AriRouter, deps: { handle(event: CallEvent): Promise<void>; clock: Clock }): void {
  const handle = (e: CallEvent | undefined) => void (e && deps.handle(e));
  router.onChannels('caller', ['inbound', 'agent'], (ev) => handle(callerEvent(ev, deps.clock.now())));
  router.onChannels('dial-leg', ['dial'], (ev) => {
    const dialId = ev.channel.id;
    const callId = callIdOf(dialId);
    if (ev.type === 'StasisStart') handle({ type: 'DialAnswered', callId, dialId, at: deps.clock.now() });
    else if (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd') handle({ type: 'DialEnded', callId, dialId, at: deps.clock.now() });
  });
  router.onPlaybacks('ivr', (ev: PlaybackEvent) => {
    const callId = channelOfTarget(ev.playback.target_uri);
    if (callId) handle({ type: 'PlaybackFinished', callId, playbackId: ev.playback.id, at: deps.clock.now() });
  });
  router.onRecordings((ev: RecordingEvent) => {
    const callId = channelOfTarget(ev.recording.target_uri);
    const ok = ev.type === 'RecordingFinished';
    if (callId) handle({ type: 'RecordingDone', callId, recordingId: ev.recording.name, ok, durationS: ok ? (ev.recording.duration ?? 0) : 0, at: deps.clock.now() });
  });
}

/**
 * The caller's name as the network sent it (CNAM, a SIP display name), fit to show and to pass on:
 * printable characters only (never a line break into a SIP header), no quotes or angle brackets
 * (it goes into a caller id), at most 64 characters. Absent when nothing is left.
 */
export function callerName(raw: string): { callerName?: string } {
  // Whole characters (a pair of UTF-16 units counts as one and is never cut in two); a lone half of a pair is dropped.
  const chars = Array.from(raw.replace(/[\u0000-\u001f\u007f"<>\\]/g, '').trim()).filter((ch) => !/^[\ud800-\udfff]$/.test(ch));
  const name = chars.slice(0, 64).join('').trim();
  return name ? { callerName: name } : {};
}

function callerEvent(ev: ChannelEvent, at: number): CallEvent | undefined {
  const callId = ev.channel.id;
  switch (ev.type) {
    case 'StasisStart':
      return { type: 'CallArrived', callId, channelId: callId, number: ev.args[1] ?? ev.channel.dialplan?.exten ?? '', callerId: ev.channel.caller.number, ...callerName(ev.channel.caller.name), at };
    // A hang-up request comes before the PlaybackFinished that the hang-up causes, so the flow
    // learns the caller left before it could take the end of a prompt for "prompt complete".
    case 'ChannelHangupRequest':
    case 'StasisEnd':
    case 'ChannelDestroyed':
      return { type: 'CallHungUp', callId, at };
    case 'ChannelDtmfReceived':
      return { type: 'DigitReceived', callId, digit: ev.digit, at };
  }
}

