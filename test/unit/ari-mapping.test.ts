import { domainEventFrom } from '../../src/calls/ari-events';
import { KNOWN_EVENT_TYPES, KnownEventSchema } from '../../src/platform/ari/types';

const channel = { id: '1700000000.42', name: 'PJSIP/trunk-00000001', state: 'Ring', caller: { name: '', number: '15550100' }, dialplan: { context: 'inbound', exten: '5000', priority: 2 } };

describe('ARI events to domain events', () => {
  it('maps StasisStart with the dialled number from the Stasis arguments', () => {
    const ev = KnownEventSchema.parse({ type: 'StasisStart', application: 'switchboard', args: ['inbound', '5000'], channel, extra: 'ignored' });
    expect(domainEventFrom(ev, 7)).toEqual({ type: 'CallArrived', callId: channel.id, channelId: channel.id, number: '5000', callerId: '15550100', at: 7 });
  });

  it('maps DTMF, playback end and hang-up', () => {
    expect(domainEventFrom(KnownEventSchema.parse({ type: 'ChannelDtmfReceived', channel, digit: '#', duration_ms: 120 }), 1)).toEqual({ type: 'DigitReceived', callId: channel.id, digit: '#', at: 1 });
    expect(domainEventFrom(KnownEventSchema.parse({ type: 'PlaybackFinished', playback: { id: 'p1', media_uri: 'sound:x', target_uri: `channel:${channel.id}`, state: 'done' } }), 2)).toEqual({ type: 'PlaybackFinished', callId: channel.id, playbackId: 'p1', at: 2 });
    expect(domainEventFrom(KnownEventSchema.parse({ type: 'PlaybackFinished', playback: { id: 'p1', media_uri: 'sound:x', target_uri: 'bridge:b1', state: 'done' } }), 2)).toBeUndefined();
    expect(domainEventFrom(KnownEventSchema.parse({ type: 'StasisEnd', channel }), 3)).toEqual({ type: 'CallHungUp', callId: channel.id, at: 3 });
  });

  it('rejects malformed events and lists the known types', () => {
    expect(KnownEventSchema.safeParse({ type: 'ChannelDtmfReceived', channel, digit: '12' }).success).toBe(false);
    expect(KnownEventSchema.safeParse({ type: 'StasisStart', channel: { id: '' } }).success).toBe(false);
    expect(KNOWN_EVENT_TYPES.has('StasisStart')).toBe(true);
    expect(KNOWN_EVENT_TYPES.has('ChannelTransfer')).toBe(false);
  });
});
