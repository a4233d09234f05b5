import { playbackIdFor, step, type CallState, type NumberRoute } from '../../src/calls/domain/greeting-flow';
import type { CallEvent } from '../../src/calls/domain/events';

const routes = new Map<string, NumberRoute>([['5000', { greeting: ['hello-world', 'demo-congrats'] }]]);
const lookup = (n: string) => routes.get(n);

function run(events: CallEvent[], initial?: CallState) {
  let state = initial;
  const commands = [];
  for (const e of events) {
    const r = step(state, e, lookup);
    state = r.state;
    commands.push(...r.commands);
  }
  return { state, commands };
}

const arrive = (number = '5000', at = 1000): CallEvent => ({ type: 'CallArrived', callId: 'c1', channelId: 'c1', number, callerId: '+15550100', at });

describe('greeting flow', () => {
  it('answers a configured number and plays its greeting as one playback', () => {
    const { state, commands } = run([arrive()]);
    expect(state?.phase).toBe('greeting');
    expect(commands).toEqual([
      { kind: 'journal', entry: { type: 'CALL_ARRIVED', callId: 'c1', number: '5000', callerId: '+15550100', at: 1000 } },
      { kind: 'answer', channelId: 'c1' },
      { kind: 'journal', entry: { type: 'CALL_ANSWERED', callId: 'c1', at: 1000 } },
      { kind: 'play', channelId: 'c1', playbackId: 'c1-pb-0', media: ['sound:hello-world', 'sound:demo-congrats'] },
    ]);
  });

  it('hangs up when the greeting has finished', () => {
    const { state, commands } = run([arrive(), { type: 'PlaybackFinished', callId: 'c1', playbackId: 'c1-pb-0', at: 9000 }]);
    expect(state?.phase).toBe('ended');
    expect(commands.slice(-2)).toEqual([
      { kind: 'hangup', channelId: 'c1', reason: 'normal' },
      { kind: 'journal', entry: { type: 'CALL_ENDED', callId: 'c1', reason: 'flow-complete', at: 9000 } },
    ]);
  });

  it('rejects an unknown number without answering it', () => {
    const { state, commands } = run([arrive('4999')]);
    expect(state?.phase).toBe('ended');
    expect(commands.map((c) => c.kind)).toEqual(['journal', 'hangup', 'journal']);
    expect(commands[1]).toEqual({ kind: 'hangup', channelId: 'c1', reason: 'unallocated' });
  });

  it('records keypad digits in order and keeps playing', () => {
    const { state, commands } = run([arrive(), ...['1', '2', '#'].map((digit, i): CallEvent => ({ type: 'DigitReceived', callId: 'c1', digit, at: 2000 + i }))]);
    expect(state?.digits).toBe('12#');
    expect(state?.phase).toBe('greeting');
    expect(commands.filter((c) => c.kind === 'journal' && c.entry.type === 'DIGIT')).toHaveLength(3);
  });

  it('ends without a hangup command when the caller hangs up', () => {
    const { state, commands } = run([arrive(), { type: 'CallHungUp', callId: 'c1', at: 3000 }]);
    expect(state?.phase).toBe('ended');
    expect(commands.at(-1)).toEqual({ kind: 'journal', entry: { type: 'CALL_ENDED', callId: 'c1', reason: 'caller-hangup', at: 3000 } });
    expect(commands.some((c) => c.kind === 'hangup')).toBe(false);
  });

  it('ignores repeated and late events (ARI may repeat or reorder them)', () => {
    const first = run([arrive()]);
    const again = step(first.state, arrive(), lookup);
    expect(again).toEqual({ state: first.state, commands: [] });
    const stale = step(first.state, { type: 'PlaybackFinished', callId: 'c1', playbackId: 'c1-pb-7', at: 5 }, lookup);
    expect(stale.commands).toEqual([]);
    const ended = run([{ type: 'CallHungUp', callId: 'c1', at: 3000 }], first.state).state;
    for (const e of [arrive(), { type: 'CallHungUp', callId: 'c1', at: 4000 }, { type: 'DigitReceived', callId: 'c1', digit: '5', at: 4000 }] as CallEvent[]) {
      expect(step(ended, e, lookup).commands).toEqual([]);
    }
  });

  it('on resume stops the old playback and plays what is left under a new id', () => {
    const first = run([arrive()]).state!;
    const { state, commands } = step(first, { type: 'CallResumed', callId: 'c1', at: 5000 }, lookup);
    expect(commands).toEqual([
      { kind: 'stopPlayback', playbackId: 'c1-pb-0' },
      { kind: 'play', channelId: 'c1', playbackId: 'c1-pb-1', media: ['sound:hello-world', 'sound:demo-congrats'] },
    ]);
    // A late finish of the old playback no longer ends the call; the new one does.
    expect(step(state, { type: 'PlaybackFinished', callId: 'c1', playbackId: 'c1-pb-0', at: 6000 }, lookup).commands).toEqual([]);
    expect(step(state, { type: 'PlaybackFinished', callId: 'c1', playbackId: playbackIdFor(state!), at: 6000 }, lookup).state?.phase).toBe('ended');
  });

  it('a number with a queue hands the call to the ACD after the greeting', () => {
    const withQueue = (n: string): NumberRoute | undefined => (n === '5001' ? { greeting: ['hello-world'], queue: 'sales', priority: 2, attributes: { language: 'es' } } : undefined);
    let r = step(undefined, arrive('5001'), withQueue);
    r = step(r.state, { type: 'PlaybackFinished', callId: 'c1', playbackId: 'c1-pb-0', at: 3000 }, withQueue);
    expect(r.state?.phase).toBe('queued');
    expect(r.commands).toEqual([
      { kind: 'journal', entry: { type: 'CALL_QUEUED', callId: 'c1', queue: 'sales', at: 3000 } },
      { kind: 'enqueue', callId: 'c1', channelId: 'c1', callerId: '+15550100', queue: 'sales', priority: 2, attributes: { language: 'es' } },
    ]);
    // Announcements played by the ACD are not the greeting; a resume leaves the ACD in charge.
    expect(step(r.state, { type: 'PlaybackFinished', callId: 'c1', playbackId: 'c1-ann-1', at: 4000 }, withQueue).commands).toEqual([]);
    expect(step(r.state, { type: 'CallResumed', callId: 'c1', at: 4000 }, withQueue).commands).toEqual([]);
    const gone = step(r.state, { type: 'CallHungUp', callId: 'c1', at: 5000 }, withQueue);
    expect(gone.commands[0]).toEqual({ kind: 'leaveQueue', callId: 'c1' });
    expect(gone.state?.phase).toBe('ended');
  });

  it('a queue with no greeting: answered and queued at once', () => {
    const direct = (): NumberRoute => ({ greeting: [], queue: 'support' });
    const r = step(undefined, arrive('5002'), direct);
    expect(r.commands.map((c) => c.kind)).toEqual(['journal', 'answer', 'journal', 'journal', 'enqueue']);
    expect(r.state?.phase).toBe('queued');
  });
});
