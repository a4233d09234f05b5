// ARI events reach their owner by the kind of the id (kernel/ids.ts) and the Stasis arguments.
import pino from 'pino';
import { registerCallAriHandlers } from '../../src/calls/ari-handlers';
import type { CallEvent } from '../../src/calls/domain/events';
import { AriRouter, type ChannelEvent } from '../../src/platform/ari/router';
import { KNOWN_EVENT_TYPES, KnownEventSchema } from '../../src/platform/ari/types';

const channel = (id: string) => ({ id, name: 'PJSIP/trunk-00000001', state: 'Up', caller: { name: '', number: '15550100' }, dialplan: { context: 'inbound', exten: '5000', priority: 2 } });

function setup() {
  const router = new AriRouter(pino({ level: 'silent' }));
  const calls: CallEvent[] = [];
  const legs: string[] = [];
  registerCallAriHandlers(router, { handle: async (e) => void calls.push(e), clock: { now: () => 7 } });
  router.onChannels('agent-leg', ['agent-leg'], (ev: ChannelEvent) => void legs.push(`${ev.type} ${ev.channel.id}`));
  return { router, calls, legs };
}

describe('the ARI router', () => {
  it('a caller arrives with the dialled number from the Stasis arguments', () => {
    const t = setup();
    t.router.receive({ type: 'StasisStart', application: 'switchboard', args: ['inbound', '5000'], channel: channel('17.42'), extra: 'ignored' });
    expect(t.calls).toEqual([{ type: 'CallArrived', callId: '17.42', channelId: '17.42', number: '5000', callerId: '15550100', at: 7 }]);
  });

  it("DTMF, the IVR's prompts and hang-ups go to the call; agent legs to the ACD; dial legs to their call", () => {
    const t = setup();
    t.router.receive({ type: 'ChannelDtmfReceived', channel: channel('17.42'), digit: '#', duration_ms: 120 });
    t.router.receive({ type: 'PlaybackFinished', playback: { id: '17.42-ivr-pb-3', media_uri: 'sound:x', target_uri: 'channel:17.42', state: 'done' } });
    t.router.receive({ type: 'StasisEnd', channel: channel('17.42') });
    t.router.receive({ type: 'StasisStart', args: ['agent-leg', '17.42'], channel: channel('17.42-leg-1') });
    t.router.receive({ type: 'StasisStart', args: ['dial', '17.42'], channel: channel('17.42-ivr-dl-4') });
    expect(t.calls.map((e) => e.type)).toEqual(['DigitReceived', 'PlaybackFinished', 'CallHungUp', 'DialAnswered']);
    expect(t.calls.at(-1)).toMatchObject({ callId: '17.42', dialId: '17.42-ivr-dl-4' });
    expect(t.legs).toEqual(['StasisStart 17.42-leg-1']);
  });

  it('a channel whose Stasis arguments do not match its id is nobody\'s: ignored', () => {
    const t = setup();
    t.router.receive({ type: 'StasisStart', args: ['inbound', '5000'], channel: channel('17.42-leg-1') });
    expect(t.legs).toEqual([]);
  });

  it('malformed events are dropped; unknown types ignored', () => {
    const t = setup();
    t.router.receive({ type: 'ChannelDtmfReceived', channel: channel('17.42'), digit: '12' });
    t.router.receive({ type: 'ChannelTalkingStarted', channel: channel('17.42') });
    expect(t.calls).toEqual([]);
    expect(KnownEventSchema.safeParse({ type: 'StasisStart', channel: { id: '' } }).success).toBe(false);
    expect(KNOWN_EVENT_TYPES.has('StasisStart')).toBe(true);
  });
});
