// The event catalogue: what a call announces validates against the schemas (strict: nothing rides
// along unseen), a sensitive input can never be part of an event, and the published JSON Schema
// and docs/events.md keep up with the catalogue.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { IvrPorts } from '../../src/calls/commands';
import { CallController } from '../../src/calls/controller';
import type { CallContext, CallState } from '../../src/calls/domain/call';
import type { CallRepository, Telephony } from '../../src/calls/ports';
import { EVENT_TYPES, EVENT_VERSION, SwitchboardEventSchema, type NewEvent } from '../../src/events';
import { eventsJsonSchemaText } from '../../src/events/json-schema';
import type { Flow, Step } from '../../src/ivr/domain';

const ROOT = path.join(__dirname, '..', '..');
const CARD = '4111111111111111';

const flow: Flow = {
  id: 'pay',
  start: 'card',
  language: 'en',
  steps: new Map<string, Step>([
    ['card', { kind: 'collect', prompts: ['enter-card'], variable: 'card', minDigits: 16, maxDigits: 16, timeoutS: 5, interDigitTimeoutS: 3, sensitive: true, derive: { last4: true }, next: 'account', retries: 1, invalidPrompts: [], noInputPrompts: [], onFail: 'bye' }],
    ['account', { kind: 'collect', prompts: ['enter-account'], variable: 'account', minDigits: 1, maxDigits: 6, terminator: '#', timeoutS: 5, interDigitTimeoutS: 3, sensitive: false, derive: { last4: false }, next: 'bye', retries: 1, invalidPrompts: [], noInputPrompts: [], onFail: 'bye' }],
    ['bye', { kind: 'hangup', prompts: [] }],
  ]),
};
const context = (): CallContext => ({ flows: new Map([[flow.id, flow]]), lookups: new Map(), destinations: new Map(), callerLists: new Map(), scheduleState: () => 'open', route: () => ({ flow: 'pay' }) });

async function payCall(): Promise<NewEvent[]> {
  const states = new Map<string, CallState>();
  const calls: CallRepository = { get: async (id) => states.get(id), put: async (s) => void states.set(s.callId, s), activeIds: async () => [], swapAsteriskIdentity: async () => null };
  const quiet = async () => undefined;
  const telephony = { answer: async () => 'answered' as const, ring: quiet, divert: quiet, play: quiet, record: quiet, playbackActive: async () => false, stopPlayback: quiet, hangup: quiet, asteriskIdentity: async () => 'a', channelsInApp: async () => [] } as Telephony;
  const ivr = { setTimer: quiet, cancelTimer: quiet } as unknown as IvrPorts;
  const published: NewEvent[] = [];
  const controller = new CallController({ telephony, calls, ivr, context, events: { publish: async (e) => void published.push(e) }, clock: { now: () => 5 }, logger: pino({ level: 'silent' }) });
  await controller.handle({ type: 'CallArrived', callId: 'c1', channelId: 'c1', number: '5000', callerId: '+15550100', at: 1 });
  for (const digit of `${CARD}4242#`) await controller.handle({ type: 'DigitReceived', callId: 'c1', digit, at: 2 });
  await controller.idle();
  return published;
}

test('every event a call announces is valid; a sensitive input appears only by its length', async () => {
  const events = await payCall();
  for (const e of events) expect(SwitchboardEventSchema.safeParse({ v: EVENT_VERSION, ...e }).success).toBe(true);
  const collected = events.filter((e) => e.type === 'ivr.collected');
  expect(collected.map((e) => e.type === 'ivr.collected' && e.input)).toEqual([{ sensitive: true, length: 16 }, { sensitive: false, value: '4242' }]);
  const text = JSON.stringify(events);
  expect(text).not.toContain('4111'); // not the card, nor any run of it
  expect(events.map((e) => e.type)).toContain('call.ended');
});

test('the schemas refuse a sensitive value and anything a schema does not name', () => {
  const base = { v: EVENT_VERSION, type: 'ivr.collected', at: 1, callId: 'c1', flow: 'pay', step: 'card', variable: 'card' };
  expect(SwitchboardEventSchema.safeParse({ ...base, input: { sensitive: true, length: 16 } }).success).toBe(true);
  expect(SwitchboardEventSchema.safeParse({ ...base, input: { sensitive: true, length: 16, value: CARD } }).success).toBe(false);
  expect(SwitchboardEventSchema.safeParse({ ...base, input: { sensitive: false, value: '1' }, digits: CARD }).success).toBe(false);
});

test('schema/events.schema.json is the catalogue (regenerate: npm run build && node scripts/gen-schema.js)', () => {
  expect(readFileSync(path.join(ROOT, 'schema', 'events.schema.json'), 'utf8')).toBe(eventsJsonSchemaText());
});

test('docs/events.md describes every event', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'events.md'), 'utf8');
  expect(EVENT_TYPES.filter((t) => !doc.includes(`\`${t}\``))).toEqual([]);
});
