// A real SIP call through Asterisk 22 to Switchboard: answered, greeted, digits received.
import { loadRoutingDir } from '../../src/config/routing';
import { AriObserver } from '../support/ari-observer';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type JournalEvent, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { promptSeconds } from '../support/sounds';
import { ariUrl, ROOT, stack, TEST } from '../support/stack';

jest.setTimeout(90_000);

let t: TestService;
let observer: AriObserver;
let soundsDir: string;
const target = `127.0.0.1:${TEST.SIP_PORT}`;

beforeAll(async () => {
  const env = await stack('env', 'test');
  soundsDir = /SWITCHBOARD_SOUNDS_DIR=(.*)/.exec(env.out)?.[1] ?? '';
  t = await startTestService();
  await waitReady(t);
  observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
});

afterAll(async () => {
  observer?.close();
  await t?.stop();
});

function callIdOf(journal: JournalEvent[], callerId: string): string {
  const row = journal.find((r) => r.type === 'call.arrived' && r.callerId === callerId);
  if (!row?.callId) throw new Error(`no call.arrived for ${callerId} in ${JSON.stringify(journal)}`);
  return row.callId;
}

test('a call to 5000 is answered, hears the configured greeting, and is hung up when it ends', async () => {
  const greeting = (await loadRoutingDir(`${ROOT}/test/fixtures/greeting`)).numbers.get('5000')!.greeting;
  const expectedS = greeting.reduce((s, p) => s + promptSeconds(soundsDir, p), 0);
  const ear = await RtpSink.open();
  try {
    const res = await placeCall(target, '5000', callerScenario({ callerNumber: '15550101', byeTimeoutMs: 30_000 }), { rtpPort: ear.port });
    expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
    // The caller heard about as much sound as the greeting lasts, then got a BYE.
    // Measured: 6.94 s of audio for a 6.94 s greeting, 3.8 s of it above the silence threshold
    // (speech has pauses). Silence or a wrong prompt would fail these.
    expect(ear.seconds).toBeGreaterThan(expectedS * 0.9);
    expect(ear.seconds).toBeLessThan(expectedS + 1.5);
    expect(ear.audibleSeconds).toBeGreaterThan(expectedS * 0.35);
    expect(res.elapsedMs).toBeGreaterThan(expectedS * 1000 * 0.8);
    expect(ear.payloadTypes.has(0)).toBe(true);
  } finally {
    await ear.close();
  }
  const journal = await waitFor('call.ended in the journal', async () => {
    const j = await t.journal();
    return j.some((r) => r.type === 'call.ended' && r.reason === 'flow-complete') ? j : undefined;
  });
  const callId = callIdOf(journal, '15550101');
  expect(journal.filter((r) => r.callId === callId && r.type.startsWith('call.')).map((r) => r.type)).toEqual(['call.arrived', 'call.answered', 'call.ended']);
  // Asterisk itself says it played our prompts on that channel.
  const started = observer.events.filter((e) => e.type === 'PlaybackStarted' && (e.playback as { target_uri: string }).target_uri === `channel:${callId}`);
  expect(started.map((e) => (e.playback as { id: string; media_uri: string }).id)).toContain(`${callId}-ivr-pb-1`);
  // One child logger per call: its lines carry the call id, number and caller.
  expect(t.logs.some((l) => l.callId === callId && l.number === '5000' && l.caller === '15550101' && l.msg === 'answered')).toBe(true);
  expect(await t.redis.sismember(`${t.prefix}:calls:active:${TEST.ARI_APP}`, callId)).toBe(0);
});

test('keypad digits arrive as RFC 4733 events, in order', async () => {
  // 5005 asks for an account number (a non-sensitive collect ending with #): the digits arrive in order.
  const res = await placeCall(target, '5005', callerScenario({ callerNumber: '15550102', script: [{ pauseMs: 300 }, { keys: '123#' }], byeTimeoutMs: 15_000 }), { rtpPort: 9 });
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  const journal = await waitFor('the call to end', async () => {
    const j = await t.journal();
    const id = j.find((r) => r.type === 'call.arrived' && r.callerId === '15550102')?.callId;
    return id && j.some((r) => r.callId === id && r.type === 'call.ended') ? j : undefined;
  });
  const callId = callIdOf(journal, '15550102');
  const mine = journal.filter((r) => r.callId === callId);
  expect(mine.find((r) => r.type === 'ivr.collected')).toMatchObject({ variable: 'account', input: { sensitive: false, value: '123' } });
  expect(mine.at(-1)).toMatchObject({ type: 'call.ended', reason: 'flow-complete' });
});

test('a number with no route is refused with 404 and never answered', async () => {
  const res = await placeCall(target, '4999', callerScenario({ expectFailure: 404 }), { rtpPort: 9 });
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  const journal = await waitFor('unknown-number in the journal', async () => {
    const j = await t.journal();
    return j.some((r) => r.type === 'call.ended' && r.reason === 'unknown-number') ? j : undefined;
  });
  expect(journal.some((r) => r.type === 'call.answered' && r.callId === journal.find((x) => x.reason === 'unknown-number')?.callId)).toBe(false);
});
