import { ivrStep, MAX_HOPS, newIvrState, persistable, type IvrCommand, type IvrEvent, type IvrState } from '../../src/ivr/domain/engine';
import type { Flow, FlowContext, Step } from '../../src/ivr/domain/model';

const retries = { retries: 2, invalidPrompts: ['invalid'], noInputPrompts: ['noinput'], onFail: 'fallback' };
const steps: Record<string, Step> = {
  greet: { kind: 'play', prompts: ['hello'], next: 'hours' },
  hours: { kind: 'branch', when: [{ condition: { kind: 'schedule', schedule: 'office', is: 'closed' }, next: 'closed' }, { condition: { kind: 'callerIn', list: 'vip' }, next: 'vip' }], otherwise: 'menu' },
  vip: { kind: 'set', vars: { tier: 'vip' }, priority: 5, attributes: {}, next: 'menu' },
  menu: { kind: 'menu', prompts: ['main-menu'], options: { '1': 'sales', '3': 'account', '9': 'spanish' }, timeoutS: 5, ...retries },
  sales: { kind: 'queue', queue: 'sales' },
  spanish: { kind: 'set', language: 'es', vars: {}, attributes: {}, next: 'menu' },
  account: { kind: 'collect', prompts: ['enter-account'], variable: 'account', minDigits: 6, maxDigits: 6, terminator: '#', timeoutS: 5, interDigitTimeoutS: 3, pattern: '[0-9]+', sensitive: false, derive: { last4: false }, next: 'lookup', ...retries },
  lookup: { kind: 'lookup', lookup: 'customers', send: ['account'], fields: { vip: 'customer.vip' }, next: 'billing', onFailure: 'billing' },
  billing: { kind: 'queue', queue: 'billing' },
  card: { kind: 'collect', prompts: ['enter-card'], variable: 'card', minDigits: 16, maxDigits: 16, timeoutS: 5, interDigitTimeoutS: 3, sensitive: true, derive: { last4: true }, next: 'thanks', ...retries },
  thanks: { kind: 'hangup', prompts: ['goodbye'] },
  closed: { kind: 'voicemail', prompts: ['closed-message'], mailbox: 'general', maxSeconds: 60, silenceSeconds: 5 },
  fallback: { kind: 'queue', queue: 'sales' },
  loop1: { kind: 'goto', next: 'loop2' },
  loop2: { kind: 'goto', next: 'loop1' },
  other: { kind: 'transfer', flow: 'after-hours' },
  operator: { kind: 'dial', destination: 'operator', onFailure: 'closed' },
};
const main: Flow = { id: 'main', start: 'greet', language: 'en', steps: new Map(Object.entries(steps)) };
const afterHours: Flow = { id: 'after-hours', start: 'bye', language: 'en', steps: new Map([['bye', { kind: 'hangup', prompts: [] } as Step]]) };
let closed = false;
const ctx: FlowContext = {
  flows: new Map([['main', main], ['after-hours', afterHours]]),
  lookups: new Map([['customers', { id: 'customers', url: 'http://127.0.0.1:1/c', method: 'GET', timeoutS: 2 }]]),
  destinations: new Map([['operator', { id: 'operator', endpoint: 'PJSIP/operator', timeoutS: 20 }]]),
  callerLists: new Map([['vip', new Set(['+100'])]]),
  scheduleState: () => (closed ? 'closed' : 'open'),
};

/** Runs events in order; returns the last state and every command. */
function run(events: IvrEvent[], state: IvrState = newIvrState('c1', '+555', main, 0)) {
  const commands: IvrCommand[] = [];
  for (const e of events) {
    const r = ivrStep(state, e, ctx);
    state = r.state;
    commands.push(...r.commands);
  }
  return { state, commands };
}
const kinds = (cs: IvrCommand[]) => cs.filter((c) => c.kind !== 'notify').map((c) => (c.kind === 'play' ? `play ${c.prompts.join(',')}${c.language !== 'en' ? ` (${c.language})` : ''}` : c.kind === 'enqueue' ? `enqueue ${c.queue} p${c.priority}` : c.kind));
const notices = (cs: IvrCommand[]) => cs.flatMap((c) => (c.kind === 'notify' ? [c.notice] : []));
const pb = (s: IvrState) => `c1-ivr-pb-${s.seq}`;
const tm = (s: IvrState) => `c1-ivr-tm-${s.seq}`;
/** The playback of the current prompt finished. */
const done = (s: IvrState, at = 0): IvrEvent => ({ type: 'PlaybackFinished', playbackId: pb(s), at });
const key = (digit: string, at = 0): IvrEvent => ({ type: 'Digit', digit, at });

function toMenu() {
  closed = false;
  let r = run([{ type: 'Start', at: 0 }]);
  r = run([done(r.state)], r.state);
  return r;
}

describe('IVR engine', () => {
  it('plays, branches on the schedule and a caller list, and offers the menu', () => {
    const r = toMenu();
    expect(r.state).toMatchObject({ stepId: 'menu', phase: 'input', prompting: true });
    expect(kinds(r.commands)).toEqual(['play main-menu']);
    const vip = run([{ type: 'Start', at: 0 }], newIvrState('c1', '+100', main, 0));
    const atMenu = run([done(vip.state)], vip.state);
    expect(atMenu.state).toMatchObject({ stepId: 'menu', priority: 5, vars: { tier: 'vip' } });
  });

  it('a menu choice queues the call; a key during the prompt stops it (barge-in)', () => {
    const m = toMenu();
    const r = run([key('1')], m.state);
    expect(kinds(r.commands)).toEqual(['stopPlayback', 'cancelTimer', 'enqueue sales p0']);
    expect(r.state.phase).toBe('queued');
    // Once queued, the flow ignores keys and playbacks (the ACD has the call).
    expect(run([key('3')], r.state).commands).toEqual([]);
  });

  it('wrong keys and silence: the right prompt, the menu again, then the fallback after the last try', () => {
    let s = toMenu().state;
    s = run([done(s)], s).state; // prompt over: the 5 s timer is armed
    let r = run([key('7')], s);
    expect(kinds(r.commands)).toEqual(['cancelTimer', 'play invalid,main-menu']);
    r = run([done(r.state, 1000), { type: 'Timer', timerId: tm(r.state), at: 6000 }], r.state);
    expect(kinds(r.commands)).toEqual(['setTimer', 'play noinput,main-menu']);
    expect(r.state.tries).toBe(2);
    r = run([key('8')], r.state);
    expect(kinds(r.commands)).toEqual(['stopPlayback', 'cancelTimer', 'enqueue sales p0']);
    expect(notices(r.commands).map((n) => n.type)).toEqual(['ivr.retry', 'ivr.step', 'ivr.queued']);
  });

  it('a stale timer or playback from an earlier wait changes nothing', () => {
    const s = toMenu().state;
    expect(run([{ type: 'Timer', timerId: 'c1-ivr-tm-0', at: 9 }], s).commands).toEqual([]);
    expect(run([{ type: 'PlaybackFinished', playbackId: 'c1-ivr-pb-0', at: 9 }], s).commands).toEqual([]);
  });

  it('collects digits with a terminator, validates them, looks them up, and takes the failure branch', () => {
    let r = run([key('3')], toMenu().state);
    r = run([done(r.state), ...'123456'.split('').map((d) => key(d))], r.state);
    expect(r.state).toMatchObject({ stepId: 'lookup', phase: 'lookup', vars: { account: '123456' } });
    const lookup = r.commands.find((c) => c.kind === 'lookup') as Extract<IvrCommand, { kind: 'lookup' }>;
    expect(lookup).toEqual({ kind: 'lookup', requestId: expect.stringMatching(/^c1-ivr-lk-\d+$/), lookup: 'customers', params: { account: '123456' }, fields: { vip: 'customer.vip' } });
    const ok = run([{ type: 'LookupDone', requestId: lookup.requestId, ok: true, fields: { vip: 'true' }, at: 1 }], r.state);
    expect(ok.state).toMatchObject({ phase: 'queued', vars: { vip: 'true' } });
    const failed = run([{ type: 'LookupDone', requestId: lookup.requestId, ok: false, fields: {}, at: 1 }], r.state);
    expect(kinds(failed.commands)).toEqual(['enqueue billing p0']);
  });

  it('a short entry ended by the terminator or the inter-digit timeout is invalid', () => {
    let r = run([key('3')], toMenu().state);
    r = run([key('1'), key('2'), key('#')], r.state);
    expect(kinds(r.commands)).toContain('play invalid,enter-account');
    r = run([done(r.state), key('4'), { type: 'Timer', timerId: `c1-ivr-tm-${r.state.seq + 1}`, at: 9 }], r.state);
    expect(r.state.tries).toBe(2);
  });

  it('sensitive input: only the derived values survive, nothing reaches state, journal or commands', () => {
    const start = { ...toMenu().state, stepId: 'card', phase: 'input' as const, prompting: false };
    const card = '4111111111111111';
    let r = run(card.slice(0, 10).split('').map((d) => key(d)), start);
    expect(r.state.secret).toBe(card.slice(0, 10));
    expect(JSON.stringify(persistable(r.state))).not.toContain('4111');
    r = run(card.slice(10).split('').map((d) => key(d)), r.state);
    expect(r.state.vars).toEqual({ card_valid: 'yes', card_last4: '1111' });
    expect(r.state.secret).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain('41111');
  });

  it('language switch, transfer to another flow, hangup with a goodbye', () => {
    let r = run([key('9')], toMenu().state);
    expect(kinds(r.commands)).toEqual(['stopPlayback', 'cancelTimer', 'play main-menu (es)']);
    const s: IvrState = { ...r.state, stepId: 'thanks' };
    r = run([{ type: 'Start', at: 0 }], { ...s, phase: 'prompt' });
    expect(kinds(r.commands)).toEqual(['play goodbye (es)']);
    r = run([done(r.state)], r.state);
    expect(kinds(r.commands)).toEqual(['hangup']);
    const t = run([{ type: 'Start', at: 0 }], { ...toMenu().state, stepId: 'other', phase: 'prompt' });
    expect(t.state.flowId).toBe('after-hours');
    expect(kinds(t.commands)).toEqual(['hangup']);
  });

  it('closed: the closed message, a recording, and the voicemail with its metadata', () => {
    closed = true;
    let r = run([{ type: 'Start', at: 0 }]);
    r = run([done(r.state)], r.state);
    expect(r.state.stepId).toBe('closed');
    expect(kinds(r.commands)).toEqual(['play closed-message']);
    r = run([done(r.state)], r.state);
    const rec = r.commands.find((c) => c.kind === 'record') as Extract<IvrCommand, { kind: 'record' }>;
    expect(rec).toMatchObject({ maxSeconds: 60, silenceSeconds: 5 });
    r = run([{ type: 'RecordingDone', recordingId: rec.recordingId, ok: true, durationS: 12, at: 1 }], r.state);
    expect(kinds(r.commands)).toEqual(['voicemail', 'hangup']);
    expect(r.commands.find((c) => c.kind === 'voicemail')).toMatchObject({ mailbox: 'general', durationS: 12 });
    closed = false;
  });

  it('hang-up mid-flow leaves nothing behind: the prompt stops, the timer is cancelled, later events are ignored', () => {
    const s = toMenu().state;
    const r = run([{ type: 'HungUp', at: 1 }], s);
    expect(kinds(r.commands)).toEqual(['stopPlayback', 'cancelTimer']);
    expect(r.state.phase).toBe('ended');
    expect(run([key('1'), done(r.state), { type: 'Timer', timerId: tm(r.state), at: 9 }], r.state).commands).toEqual([]);
  });

  it('a loop that waits for no input is cut after MAX_HOPS steps', () => {
    const r = run([{ type: 'Start', at: 0 }], { ...newIvrState('c1', '+555', main, 0), stepId: 'loop1' });
    expect(kinds(r.commands)).toEqual(['hangup']);
    expect(notices(r.commands).filter((n) => n.type === 'ivr.step')).toHaveLength(MAX_HOPS);
    expect(r.commands.at(-1)).toMatchObject({ kind: 'notify', notice: { type: 'ivr.ended', reason: 'loop without input' } });
  });

  it('a caller who hangs up to end the message still leaves the voicemail', () => {
    closed = true;
    let r = run([{ type: 'Start', at: 0 }]);
    r = run([done(r.state)], r.state);
    r = run([done(r.state)], r.state);
    const rec = r.commands.find((c) => c.kind === 'record') as Extract<IvrCommand, { kind: 'record' }>;
    r = run([{ type: 'HungUp', at: 5 }, key('1')], r.state);
    expect(kinds(r.commands)).toEqual([]);
    r = run([{ type: 'RecordingDone', recordingId: rec.recordingId, ok: true, durationS: 7, at: 6 }], r.state);
    expect(kinds(r.commands)).toEqual(['voicemail']);
    expect(r.state.phase).toBe('ended');
    closed = false;
  });

  it('after a reconnect the current step starts again (a lost prompt end does not strand the caller)', () => {
    const s = toMenu().state;
    const r = run([{ type: 'Resume', at: 5 }], s);
    expect(kinds(r.commands)).toEqual(['stopPlayback', 'cancelTimer', 'play main-menu']);
    expect(r.state).toMatchObject({ stepId: 'menu', phase: 'input' });
  });

  it('a key during the greeting ends it and counts as the menu choice (type-ahead)', () => {
    closed = false;
    const r0 = run([{ type: 'Start', at: 0 }]);
    expect(r0.state).toMatchObject({ stepId: 'greet', phase: 'prompt' });
    const r = run([key('1')], r0.state);
    expect(kinds(r.commands)).toEqual(['stopPlayback', 'play main-menu', 'stopPlayback', 'cancelTimer', 'enqueue sales p0']);
  });

  it('set.languageFrom takes the language from a variable (a lookup field) when it is a language code', () => {
    const lang: Flow = {
      id: 'lang',
      start: 'a',
      language: 'en',
      steps: new Map<string, Step>([
        ['a', { kind: 'set', vars: { preferred: 'es' }, attributes: {}, next: 'b' }],
        ['b', { kind: 'set', languageFrom: 'preferred', vars: {}, attributes: {}, next: 'c' }],
        ['c', { kind: 'set', vars: { preferred: 'not a language!' }, attributes: {}, next: 'd' }],
        ['d', { kind: 'set', languageFrom: 'preferred', vars: {}, attributes: {}, next: 'e' }],
        ['e', { kind: 'play', prompts: ['hello'], next: 'e' }],
      ]),
    };
    const c2: FlowContext = { ...ctx, flows: new Map([['lang', lang]]) };
    const r = ivrStep(newIvrState('c1', '+1', lang, 0), { type: 'Start', at: 0 }, c2);
    expect(r.state.language).toBe('es');
    expect(kinds(r.commands)).toEqual(['play hello (es)']);
  });

  it('dial: rings a configured destination, connects on answer, ends when it hangs up; no answer takes onFailure', () => {
    const at = { ...toMenu().state, stepId: 'operator', phase: 'prompt' as const };
    let r = run([{ type: 'Start', at: 0 }], at);
    const dial = r.commands.find((c) => c.kind === 'dial') as Extract<IvrCommand, { kind: 'dial' }>;
    expect(dial).toEqual({ kind: 'dial', dialId: expect.stringMatching(/^c1-ivr-dl-\d+$/), destination: 'operator' });
    const answered = run([{ type: 'DialAnswered', dialId: dial.dialId, at: 1 }], r.state);
    expect(kinds(answered.commands)).toEqual(['connect']);
    // Either side leaving ends the call and takes the bridge down.
    expect(kinds(run([{ type: 'DialEnded', dialId: dial.dialId, at: 2 }], answered.state).commands)).toEqual(['disconnect', 'hangup']);
    expect(kinds(run([{ type: 'HungUp', at: 2 }], answered.state).commands)).toEqual(['hangupDial', 'disconnect']);
    r = run([{ type: 'DialEnded', dialId: dial.dialId, at: 1 }], r.state);
    expect(r.state.stepId).toBe('closed');
  });
});
