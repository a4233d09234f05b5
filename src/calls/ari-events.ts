// ARI events → domain events. Returns undefined for events that mean nothing to the domain.
import type { CallEvent } from './domain/events';
import type { AriEvent } from '../platform/ari/types';

export function channelIdFromTarget(targetUri: string): string | undefined {
  return targetUri.startsWith('channel:') ? targetUri.slice('channel:'.length) : undefined;
}

export function domainEventFrom(ev: AriEvent, at: number): CallEvent | undefined {
  switch (ev.type) {
    case 'StasisStart': {
      const number = ev.args[1] ?? ev.channel.dialplan?.exten ?? '';
      return { type: 'CallArrived', callId: ev.channel.id, channelId: ev.channel.id, number, callerId: ev.channel.caller.number, at };
    }
    // A hang-up request comes before the PlaybackFinished that the hang-up causes, so the flow
    // learns the caller left before it could take the end of a prompt for "prompt complete".
    case 'ChannelHangupRequest':
    case 'StasisEnd':
    case 'ChannelDestroyed':
      return { type: 'CallHungUp', callId: ev.channel.id, at };
    case 'ChannelDtmfReceived':
      return { type: 'DigitReceived', callId: ev.channel.id, digit: ev.digit, at };
    case 'PlaybackFinished': {
      const callId = channelIdFromTarget(ev.playback.target_uri);
      return callId ? { type: 'PlaybackFinished', callId, playbackId: ev.playback.id, at } : undefined;
    }
    case 'RecordingFinished':
    case 'RecordingFailed': {
      const callId = channelIdFromTarget(ev.recording.target_uri);
      if (!callId) return undefined;
      const ok = ev.type === 'RecordingFinished';
      return { type: 'RecordingDone', callId, recordingId: ev.recording.name, ok, durationS: ok ? (ev.recording.duration ?? 0) : 0, at };
    }
    case 'ApplicationReplaced':
    case 'ChannelUserevent':
    case 'EndpointStateChange':
      return undefined;
  }
}
