// A call's one state machine (calls/domain/call.ts): every number runs a flow; a greeting number
// is compiled into one (number-flow.ts) and behaves as the greeting always did.
import { callStep, type CallCommand, type CallContext, type CallState } from '../../src/calls/domain/call';
import type { CallEvent } from '../../src/calls/domain/events';
import { numberFlow, numberFlowId } from '../../src/calls/domain/number-flow';
import { callerName } from '../../src/calls/ari-handlers';
import type { Flow, Step } from '../../src/ivr/domain';

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

describe("the caller's name", () => {
  it('comes with the arrival, is kept with the call and announced', () => {
    const a = run([{ ...arrive(), callerName: 'Ana Ruiz' } as CallEvent]);
    expect(a.state).toMatchObject({ callerId: '+15550100', callerName: 'Ana Ruiz' });
    expect(a.commands[0]).toEqual({ kind: 'notify', notice: { type: 'call.arrived', number: '5000', callerId: '+15550100', callerName: 'Ana Ruiz' } });
    expect(run([arrive()]).state).not.toHaveProperty('callerName');
  });

  it('is cleaned at the edge: printable, no quotes, brackets or line breaks, 64 characters at most', () => {
    expect(callerName('  "Ana" <Ruiz>\r\nX-Evil: 1 ')).toEqual({ callerName: 'Ana RuizX-Evil: 1' });
    expect(callerName('José Müller')).toEqual({ callerName: 'José Müller' });
    expect(callerName('x'.repeat(100)).callerName).toHaveLength(64);
    // Characters, not UTF-16 units: a pair is never cut in two, a lone half never passes (JSON to Asterisk must stay valid).
    const cut = callerName(`${'x'.repeat(63)}\u{1F600}tail`).callerName!;
    expect(cut).toBe(`${'x'.repeat(63)}\u{1F600}`);
    expect(callerName('Ana \ud83d Ruiz')).toEqual({ callerName: 'Ana  Ruiz' });
    expect(callerName(' "" ')).toEqual({});
    expect(callerName('')).toEqual({});
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

// An assist flow (a payment IVR an agent sends the connected caller to): its end gives the caller
// back to the agent instead of ending the call; the caller hanging up in it ends the call in the ACD.
describe('an assist flow', () => {
  const retries = { retries: 1, invalidPrompts: [], noInputPrompts: [], onFail: 'done' };
  const payment: Flow = {
    id: 'payment',
    start: 'card',
    language: 'es',
    steps: new Map<string, Step>([
      ['card', { kind: 'collect', prompts: ['enter-card'], variable: 'card', minDigits: 4, maxDigits: 4, timeoutS: 5, interDigitTimeoutS: 3, sensitive: true, derive: { last4: true }, next: 'done', ...retries }],
      ['done', { kind: 'hangup', prompts: ['thank-you'] }],
    ]),
  };
  const withPayment: CallContext = { ...ctx, flows: new Map([...flows, ['payment', payment]]) };
  const assist = (at = 6000): CallEvent => ({ type: 'FlowStart', callId: 'c1', flow: 'payment', returnToAgent: true, at });
  const key = (digit: string, at: number): CallEvent => ({ type: 'DigitReceived', callId: 'c1', digit, at });
  const inQueue = () => run([arrive('5001')], undefined, withPayment).state!;

  it('starts on a queued caller (keeping language and variables) and marks its sensitive step', () => {
    const a = run([assist()], { ...inQueue(), ivr: { ...inQueue().ivr!, language: 'fr', vars: { account: '42' } } }, withPayment);
    expect(a.state).toMatchObject({ assist: true, ivr: { flowId: 'payment', language: 'fr', vars: { account: '42' } } });
    expect(a.commands.find((c) => c.kind === 'notify' && c.notice.type === 'ivr.step')).toMatchObject({ notice: { step: 'card', kind: 'collect', sensitive: true } });
    // Keys go to the flow, not to the queue.
    const b = run(['1', '2', '3', '4'].map((d, i) => key(d, 7000 + i * 300)), a.state, withPayment);
    expect(b.commands.filter((c) => c.kind === 'queueDigit')).toEqual([]);
    expect(b.state?.ivr?.vars).toMatchObject({ card_valid: 'yes', card_last4: '1234' });
    expect(b.state?.ivr?.vars).not.toHaveProperty('card');
  });

  it('its end gives the caller back to the agent: no hang-up, the call goes on, queued again', () => {
    const keyed = run([assist(), ...['1', '2', '3', '4'].map((d, i) => key(d, 7000 + i * 300))], inQueue(), withPayment);
    const thanks = keyed.commands.filter((c) => c.kind === 'play').at(-1)!;
    expect(thanks).toMatchObject({ prompts: ['thank-you'] });
    const a = run([{ type: 'PlaybackFinished', callId: 'c1', playbackId: thanks.kind === 'play' ? thanks.playbackId : '', at: 9000 }], keyed.state, withPayment);
    expect(kinds(a.commands)).toEqual(['ivr.ended', 'backToAgent']);
    expect(a.commands.some((c) => c.kind === 'hangup')).toBe(false);
    expect(a.state).toMatchObject({ phase: 'ivr', ivr: { phase: 'queued' } });
    expect(a.state).not.toHaveProperty('assist');
    // Back with the agent, keys are the queue's again; a later hang-up leaves the queue as always.
    expect(kinds(run([key('5', 9500)], a.state, withPayment).commands)).toEqual(['queueDigit']);
    expect(kinds(run([{ type: 'CallHungUp', callId: 'c1', at: 9900 }], a.state, withPayment).commands)[0]).toBe('leaveQueue');
  });

  it('the caller hanging up in it ends the call in the ACD too', () => {
    const a = run([{ type: 'CallHungUp', callId: 'c1', at: 7000 }], run([assist()], inQueue(), withPayment).state, withPayment);
    expect(kinds(a.commands)[0]).toBe('leaveQueue');
    expect(kinds(a.commands).slice(-2)).toEqual(['ivr.hangup', 'call.ended']);
    expect(a.state?.phase).toBe('ended');
  });

  it('the agent hanging up meanwhile ends the call (the ACD hangs up the caller)', () => {
    const a = run([assist(), { type: 'AgentHungUp', callId: 'c1', at: 7000 }], inQueue(), withPayment);
    expect(a.state?.phase).toBe('ended');
    expect(a.commands.at(-1)).toEqual({ kind: 'notify', notice: { type: 'call.ended', reason: 'agent-hangup' } });
  });

  it('does not start for a caller who is not with the ACD (still in the IVR, or gone)', () => {
    const inIvr = run([arrive()], undefined, withPayment).state!;
    expect(run([assist()], inIvr, withPayment).state).toBe(inIvr);
  });
});

// An attended transfer handed the caller to a destination's leg (out of the ACD): the call flow
// owns the call again; either side hanging up ends it and hangs up the other.
describe('a caller handed to a destination', () => {
  const handed = () => run([arrive('5001'), { type: 'HandedOff', callId: 'c1', legId: 'c1-consult-2', at: 6000 }]).state!;

  it('keys and timers do nothing; the caller hanging up hangs up the destination', () => {
    const s = handed();
    expect(s.handedTo).toBe('c1-consult-2');
    expect(run([{ type: 'DigitReceived', callId: 'c1', digit: '5', at: 7000 }], s).commands).toEqual([]);
    const a = run([{ type: 'CallHungUp', callId: 'c1', at: 8000 }, { type: 'CallHungUp', callId: 'c1', at: 8001 }], s);
    expect(a.commands).toEqual([{ kind: 'endHandedLeg', legId: 'c1-consult-2' }, { kind: 'notify', notice: { type: 'call.ended', reason: 'caller-hangup' } }]);
    expect(a.state?.phase).toBe('ended');
  });

  it('the destination hanging up hangs up the caller; another leg ending changes nothing', () => {
    const s = handed();
    expect(run([{ type: 'HandedLegEnded', callId: 'c1', legId: 'c1-consult-9', at: 7000 }], s).state).toBe(s);
    const a = run([{ type: 'HandedLegEnded', callId: 'c1', legId: 'c1-consult-2', at: 8000 }], s);
    expect(a.commands).toEqual([{ kind: 'endHandedLeg', legId: 'c1-consult-2' }, { kind: 'hangup' }, { kind: 'notify', notice: { type: 'call.ended', reason: 'far-end-hangup' } }]);
    // The caller's own hang-up reports that follow change nothing.
    expect(run([{ type: 'CallHungUp', callId: 'c1', at: 8100 }], a.state).commands).toEqual([]);
  });

  it('handed over after the caller left: the destination is hung up at once', () => {
    const gone = run([arrive('5001'), { type: 'CallHungUp', callId: 'c1', at: 5000 }]).state!;
    expect(run([{ type: 'HandedOff', callId: 'c1', legId: 'c1-consult-2', at: 6000 }], gone).commands).toEqual([{ kind: 'endHandedLeg', legId: 'c1-consult-2' }]);
  });
});
