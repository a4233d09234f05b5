// The controller against in-memory ports: ordering per call, state persisted before commands,
// failures of one command not stopping the rest, and reconcile after a reconnect.
import pino from 'pino';
import type { IvrPorts } from '../../src/calls/commands';
import { CallController } from '../../src/calls/controller';
import type { CallContext, CallState } from '../../src/calls/domain/call';
import { numberFlow, numberFlowId } from '../../src/calls/domain/number-flow';
import type { CallRepository, ChannelInfo, Telephony } from '../../src/calls/ports';
import { reconcile } from '../../src/calls/reconcile';
import type { NewEvent } from '../../src/events';
import type { StoreHealth } from '../../src/platform/redis/connection';

class MemoryCalls implements CallRepository {
  readonly states = new Map<string, CallState>();
  identity: string | null = null;
  /** Redis away: every call fails as ioredis fails without an offline queue. */
  down = false;
  async get(id: string) {
    if (this.down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    return this.states.get(id);
  }
  async put(s: CallState) {
    this.states.set(s.callId, s);
  }
  async activeIds() {
    return [...this.states.values()].filter((s) => s.phase !== 'ended').map((s) => s.callId);
  }
  async swapAsteriskIdentity(id: string) {
    const prev = this.identity;
    this.identity = id;
    return prev;
  }
}

class FakeTelephony implements Telephony {
  readonly log: string[] = [];
  channels: ChannelInfo[] = [];
  activePlaybacks = new Set<string>();
  failAnswer = false;
  failPlay = false;
  identity = 'ast@1';
  async answer(ch: string): Promise<'answered'> {
    // Yield so that a badly ordered controller would interleave events.
    await new Promise((r) => setImmediate(r));
    if (this.failAnswer) throw new Error('boom');
    this.log.push(`answer ${ch}`);
    return 'answered';
  }
  async ring(ch: string) {
    this.log.push(`ring ${ch}`);
  }
  async divert(ch: string) {
    this.log.push(`divert ${ch}`);
  }
  async play(ch: string, id: string, media: string[]) {
    if (this.failPlay) throw new Error('boom');
    this.log.push(`play ${ch} ${id} ${media.join(',')}`);
  }
  async playbackActive(id: string) {
    return this.activePlaybacks.has(id);
  }
  async stopPlayback(id: string) {
    this.log.push(`stop ${id}`);
  }
  async record(ch: string, name: string) {
    this.log.push(`record ${ch} ${name}`);
  }
  async hangup(ch: string, reason: string) {
    this.log.push(`hangup ${ch} ${reason}`);
  }
  async asteriskIdentity() {
    return this.identity;
  }
  async channelsInApp() {
    return this.channels;
  }
}

const greeting = numberFlow('5000', { greeting: ['hello-world'], priority: 0, attributes: {} });
const straightToQueue = numberFlow('5001', { greeting: [], queue: 'sales', priority: 0, attributes: {} });
const context = (): CallContext => ({
  flows: new Map([
    [greeting.id, greeting],
    [straightToQueue.id, straightToQueue],
  ]),
  lookups: new Map(),
  destinations: new Map(),
  callerLists: new Map(),
  scheduleState: () => 'open',
  route: (n) => (n === '5000' || n === '5001' ? { flow: numberFlowId(n) } : undefined),
});
const noIvr = {} as IvrPorts; // the greeting flow needs none of it

function setup(store?: StoreHealth) {
  const telephony = new FakeTelephony();
  // The ACD as the call flow sees it: enqueue and leave, written to the telephony log to show the order.
  const acd = {
    enqueue: async (c: { callId: string; queue: string }) => void telephony.log.push(`enqueue ${c.callId} ${c.queue}`),
    callerLeft: async (callId: string) => void telephony.log.push(`left queue ${callId}`),
    callerDigit: async (callId: string, digit: string) => void telephony.log.push(`queue digit ${callId} ${digit}`),
    assistDone: async (callId: string) => void telephony.log.push(`back to agent ${callId}`),
  };
  const calls = new MemoryCalls();
  const entries: NewEvent[] = [];
  const events = { publish: async (e: NewEvent) => void entries.push(e) };
  let now = 1000;
  const clock = { now: () => now };
  const logger = pino({ level: 'silent' });
  const controller = new CallController({ telephony, calls, events, ivr: noIvr, acd, context, clock, logger, store, arrivalGraceMs: 2000 });
  return { telephony, calls, entries, controller, clock, logger, advance: (ms: number) => (now += ms) };
}
const callEvents = (entries: NewEvent[]) => entries.map((e) => e.type).filter((t) => t.startsWith('call.'));

const arrived = (id: string) => ({ type: 'CallArrived' as const, callId: id, channelId: id, number: '5000', callerId: '100', at: 1000 });

describe('CallController', () => {
  it('applies the events of one call in arrival order', async () => {
    const t = setup();
    void t.controller.handle(arrived('a'));
    void t.controller.handle({ type: 'PlaybackFinished', callId: 'a', playbackId: 'a-ivr-pb-1', at: 2000 });
    await t.controller.idle();
    expect(t.telephony.log).toEqual(['answer a', 'play a a-ivr-pb-1 sound:hello-world', 'hangup a normal']);
    expect(t.calls.states.get('a')?.phase).toBe('ended');
    expect(callEvents(t.entries)).toEqual(['call.arrived', 'call.answered', 'call.ended']);
  });

  it('keeps going after a failed command', async () => {
    const t = setup();
    t.telephony.failPlay = true;
    await t.controller.handle(arrived('a'));
    expect(t.telephony.log).toEqual(['answer a']);
    expect(t.entries.map((e) => e.type)).toEqual(['call.arrived', 'call.answered', 'ivr.started', 'ivr.step']);
  });

  it('a call Asterisk could not answer goes no further: refused with congestion, no greeting, never "answered"', async () => {
    const t = setup();
    t.telephony.failAnswer = true;
    await t.controller.handle(arrived('a'));
    await t.controller.idle();
    expect(t.telephony.log).toEqual(['hangup a congestion']);
    expect(t.entries.filter((e) => e.type.startsWith('call.'))).toEqual([
      expect.objectContaining({ type: 'call.arrived' }),
      expect.objectContaining({ type: 'call.ended', reason: 'answer-failed' }),
    ]);
    expect(t.calls.states.get('a')?.phase).toBe('ended');
  });

  it('a call going straight to a queue is handed over while Asterisk answers; a failed answer takes it out again', async () => {
    const t = setup();
    await t.controller.handle({ ...arrived('a'), number: '5001' });
    expect(t.telephony.log).toEqual(['enqueue a sales', 'answer a']);
    expect(callEvents(t.entries)).toEqual(['call.arrived', 'call.answered']);

    t.telephony.failAnswer = true;
    t.telephony.log.length = 0;
    await t.controller.handle({ ...arrived('b'), number: '5001' });
    await t.controller.idle();
    expect(t.telephony.log).toEqual(['enqueue b sales', 'left queue b', 'hangup b congestion']);
    const ofB = t.entries.filter((e) => 'callId' in e && e.callId === 'b' && e.type.startsWith('call.'));
    expect(ofB.map((e) => ('reason' in e ? `${e.type} ${e.reason}` : e.type))).toEqual(['call.arrived', 'call.ended answer-failed']);
  });

  it('the agent hanging up ends the call as "agent-hangup"; the caller\'s hang-up that follows changes nothing', async () => {
    const t = setup();
    await t.controller.handle({ ...arrived('a'), number: '5001' });
    await t.controller.handle({ type: 'AgentHungUp', callId: 'a', at: 5000 });
    await t.controller.handle({ type: 'CallHungUp', callId: 'a', at: 5001 });
    expect(t.entries.filter((e) => e.type === 'call.ended')).toEqual([expect.objectContaining({ reason: 'agent-hangup' })]);
    expect(t.telephony.log).toEqual(['enqueue a sales', 'answer a']); // the ACD hangs the caller up, not the flow
  });

  it('a call that arrives while Redis is away rings, and goes to the dialplan apology when Redis stays away', async () => {
    const waited: number[] = [];
    const t = setup({ up: () => false, whenUp: async (ms) => (waited.push(ms), false) });
    t.calls.down = true;
    await t.controller.handle(arrived('a'));
    expect(t.telephony.log).toEqual(['ring a', 'divert a']);
    expect(waited).toEqual([2000]);
    expect(t.calls.states.size).toBe(0);
  });

  it('a call that arrives while Redis is away is taken normally when Redis is back within the grace', async () => {
    const t = setup({ up: () => false, whenUp: async () => true });
    await t.controller.handle(arrived('a'));
    expect(t.telephony.log).toEqual(['ring a', 'answer a', 'play a a-ivr-pb-1 sound:hello-world']);
    expect(t.calls.states.get('a')?.phase).toBe('ivr');
  });

  it('an arrival that fails before its state is stored goes to the dialplan apology, never left ringing', async () => {
    const t = setup({ up: () => true, whenUp: async () => true });
    t.calls.down = true; // Redis fails the first command although it looked up
    await t.controller.handle(arrived('a'));
    expect(t.telephony.log).toEqual(['divert a']);
  });

  it('reconcile: ends calls whose channel vanished, resumes those whose playback ended, adopts strangers', async () => {
    const t = setup();
    await t.controller.handle(arrived('gone'));
    await t.controller.handle(arrived('playing'));
    await t.controller.handle(arrived('silent'));
    t.telephony.log.length = 0;
    t.telephony.activePlaybacks.add('playing-ivr-pb-1');
    t.telephony.channels = [
      { id: 'playing', exten: '5000', callerId: '100' },
      { id: 'silent', exten: '5000', callerId: '100' },
      { id: 'stranger', exten: '5000', callerId: '200' },
    ];
    const report = await reconcile({ telephony: t.telephony, calls: t.calls, controller: t.controller, clock: t.clock, logger: t.logger });
    await t.controller.idle();
    expect(report).toEqual({ asteriskRestarted: false, resumed: 2, endedWhileAway: 1, adopted: 1 });
    expect(t.calls.states.get('gone')?.phase).toBe('ended');
    // Resumed: the prompt that was playing is started again under a new id (a late end of the old one is ignored).
    // The vanished call's prompt is stopped (a no-op on a channel that is gone: nothing left behind).
    expect(t.telephony.log).toEqual(['stop gone-ivr-pb-1', 'stop silent-ivr-pb-1', 'play silent silent-ivr-pb-2 sound:hello-world', 'answer stranger', 'play stranger stranger-ivr-pb-1 sound:hello-world']);
  });

  it('reconcile: notices an Asterisk restart and hangs up a channel whose call had ended', async () => {
    const t = setup();
    await reconcile({ telephony: t.telephony, calls: t.calls, controller: t.controller, clock: t.clock, logger: t.logger });
    await t.controller.handle(arrived('x'));
    await t.controller.handle({ type: 'CallHungUp', callId: 'x', at: 1 });
    t.telephony.log.length = 0;
    t.telephony.identity = 'ast@2';
    t.telephony.channels = [{ id: 'x', exten: '5000', callerId: '100' }];
    const report = await reconcile({ telephony: t.telephony, calls: t.calls, controller: t.controller, clock: t.clock, logger: t.logger });
    expect(report.asteriskRestarted).toBe(true);
    expect(t.telephony.log).toEqual(['hangup x normal']);
  });

  it('reconcile leaves channels owned by another part alone (agent legs are the ACD\'s)', async () => {
    const t = setup();
    t.telephony.channels = [{ id: 'c1-leg-1', exten: 's', callerId: '100' }];
    const report = await reconcile({ telephony: t.telephony, calls: t.calls, controller: t.controller, clock: t.clock, logger: t.logger, ownedElsewhere: (id) => id.includes('-leg-') });
    expect(report.adopted).toBe(0);
    expect(t.telephony.log).toEqual([]);
  });
});
