// A call's one state machine (calls/domain/call.ts): every number runs a flow; a greeting number
// is compiled into one (number-flow.ts) and behaves as the greeting always did.
import { callStep, type CallCommand, type CallContext, type CallState } from '../../src/calls/domain/call';
import type { CallEvent } from '../../src/calls/domain/events';
import { numberFlow, numberFlowId } from '../../src/calls/domain/number-flow';
import type { Flow } from '../../src/ivr/domain';

const greeting = numberFlow('5000', { greeting: ['hello-world', 'demo-congrats'], priority: 0, attributes: {} });
const queued = numberFlow('5001', { greeting: [], queue: 'sales', priority: 3, attributes: { vip: true } });
const flows = new Map<string, Flow>([greeting, queued].map((f) => [f.id, f]));
const ctx: CallContext = {
  flows,
  lookups: new Map(),
  destinations: new Map(),
  callerLists: new Map(),
  scheduleState: () => 'open',
  route: (n) => (flows.has(numberFlowId(n)) ? { flow: numberFlowId(n) } : n === '5005' ? { flow: 'gone' } : undefined),
};

function run(events: CallEvent[], initial?: CallState, context = ctx) {
  let state = initial;
  const commands: CallCommand[] = [];
  for (const e of events) {
    const r = callStep(state, e, context);
    state = r.state;
    commands.push(...r.commands);
  }
  return { state, commands };
}

const arrive = (number = '5000', at = 1000): CallEvent => ({ type: 'CallArrived', callId: 'c1', channelId: 'c1', number, callerId: '+15550100', at });
const played = (at = 9000): CallEvent => ({ type: 'PlaybackFinished', callId: 'c1', playbackId: 'c1-ivr-pb-1', at });
const kinds = (cs: CallCommand[]) => cs.map((c) => (c.kind === 'notify' ? c.notice.type : c.kind === 'play' ? `play ${c.prompts.join(',')}` : c.kind));

describe('a call', () => {
  it('a greeting number: answered, the greeting played as one playback, then hung up', () => {
    const a = run([arrive()]);
    expect(kinds(a.commands)).toEqual(['call.arrived', 'answer', 'call.answered', 'ivr.started', 'ivr.step', 'play hello-world,demo-congrats']);
    const b = run([played()], a.state);
    expect(kinds(b.commands)).toEqual(['ivr.step', 'ivr.step', 'hangup', 'ivr.ended', 'call.ended']);
    expect(b.commands.at(-1)).toEqual({ kind: 'notify', notice: { type: 'call.ended', reason: 'flow-complete' } });
    expect(b.state?.phase).toBe('ended');
  });

  it("a greeting's keys do not cut it short", () => {
    const a = run([arrive(), ...['1', '2', '#'].map((digit, i): CallEvent => ({ type: 'DigitReceived', callId: 'c1', digit, at: 2000 + i }))]);
    expect(kinds(a.commands).slice(-1)).toEqual(['play hello-world,demo-congrats']);
    expect(a.state?.ivr?.phase).toBe('prompt');
  });

  it('a queue number: the call joins the queue with the number\'s priority and attributes', () => {
    const a = run([arrive('5001')]);
    expect(a.commands.find((c) => c.kind === 'enqueue')).toEqual({ kind: 'enqueue', queue: 'sales', priority: 3, attributes: { vip: true, language: 'en' } });
    // Hanging up while queued: the ACD is told, and the call ends.
    const b = run([{ type: 'CallHungUp', callId: 'c1', at: 5000 }], a.state);
    expect(kinds(b.commands)).toEqual(['leaveQueue', 'ivr.hangup', 'call.ended']);
  });

  it('an unknown number is refused without an answer; a number whose flow is gone too', () => {
    const unknown = run([arrive('4999')]);
    expect(unknown.commands).toEqual([
      { kind: 'notify', notice: { type: 'call.arrived', number: '4999', callerId: '+15550100' } },
      { kind: 'reject', reason: 'unallocated' },
      { kind: 'notify', notice: { type: 'call.ended', reason: 'unknown-number' } },
    ]);
    expect(kinds(run([arrive('5005')]).commands)).toEqual(['call.arrived', 'reject', 'call.ended']);
  });

  it('ends without a hang-up command when the caller hangs up; later events change nothing', () => {
    const a = run([arrive(), { type: 'CallHungUp', callId: 'c1', at: 3000 }]);
    expect(a.state?.phase).toBe('ended');
    expect(a.commands.some((c) => c.kind === 'hangup')).toBe(false);
    expect(a.commands.at(-1)).toEqual({ kind: 'notify', notice: { type: 'call.ended', reason: 'caller-hangup' } });
    // Asterisk reports a hang-up three ways (request, StasisEnd, destroyed): one end only.
    const again = run([{ type: 'CallHungUp', callId: 'c1', at: 3001 }, played()], a.state);
    expect(again.commands).toEqual([]);
    expect(again.state).toBe(a.state);
  });

  it('a repeated arrival changes nothing', () => {
    const a = run([arrive()]);
    expect(run([arrive()], a.state).commands).toEqual([]);
  });
});

describe('a caller who hangs up to end a voicemail', () => {
  const vmFlow: Flow = { id: 'vm', start: 'rec', language: 'en', steps: new Map([['rec', { kind: 'voicemail', prompts: [], mailbox: 'general', maxSeconds: 60, silenceSeconds: 5 }]]) };
  const vmCtx: CallContext = { ...ctx, flows: new Map([[vmFlow.id, vmFlow]]), route: () => ({ flow: 'vm' }) };
  const step = (events: CallEvent[], initial?: CallState) => run(events, initial, vmCtx);

  it('the call lasts until the recording is in, whatever order Asterisk reports the hang-up in', () => {
    const recording = step([arrive()]);
    const rec = recording.commands.find((c) => c.kind === 'record') as Extract<CallCommand, { kind: 'record' }>;
    const gone = step([{ type: 'CallHungUp', callId: 'c1', at: 2 }, { type: 'CallHungUp', callId: 'c1', at: 3 }], recording.state);
    expect(gone.state?.phase).toBe('ivr'); // still waiting for the recording
    const done = step([{ type: 'RecordingDone', callId: 'c1', recordingId: rec.recordingId, ok: true, durationS: 9, at: 4 }], gone.state);
    expect(kinds(done.commands)).toEqual(['voicemail', 'ivr.ended', 'call.ended']);
    expect(done.commands.at(-1)).toEqual({ kind: 'notify', notice: { type: 'call.ended', reason: 'caller-hangup' } });
  });

  it('a channel found gone by reconcile ends the call even if the recording never reports', () => {
    const recording = step([arrive(), { type: 'CallHungUp', callId: 'c1', at: 2 }]);
    const r = step([{ type: 'CallVanished', callId: 'c1', at: 9 }], recording.state);
    expect(r.state?.phase).toBe('ended');
    expect(kinds(r.commands)).toEqual(['call.ended']);
  });
});
