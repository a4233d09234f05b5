// The event stream on a running Switchboard with real calls: a client receives every event of a
// call in the journal's order with the journal's ids; one that leaves and comes back with
// Last-Event-ID receives exactly what it missed, then the live events; an agent key sees none of
// a call that is not theirs.
import { callerScenario, placeCall } from '../support/sipp';
import { openSse, type SseClient } from '../support/sse-client';
import { startTestService, waitReady, type TestService } from '../support/service';
import { waitFor } from '../support/net';
import { TEST } from '../support/stack';

jest.setTimeout(90_000);

const ADMIN = 'stream-admin-token-0001';
const AGENT = 'stream-agent1-token-001';
let t: TestService;
const open: SseClient[] = [];
beforeAll(async () => {
  t = await startTestService({ SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT}:agent1` });
  await waitReady(t);
});
afterAll(async () => {
  for (const c of open) c.close();
  await t?.stop();
});

const sse = async (token: string, headers: Record<string, string> = {}) => {
  const c = await openSse(`http://127.0.0.1:${t.service.httpPort}/api/v1/events`, { Authorization: `Bearer ${token}`, ...headers });
  open.push(c);
  return c;
};
const call = (caller: string) => placeCall(`127.0.0.1:${TEST.SIP_PORT}`, '5000', callerScenario({ callerNumber: caller, byeTimeoutMs: 15_000 }), { rtpPort: 9 });
/** The journal's entries (id, type, callId) after `after`. */
async function journalAfter(after = '-'): Promise<Array<{ id: string; type: string; callId?: string }>> {
  const rows = await t.redis.xrange(`${t.prefix}:journal`, after === '-' ? '-' : `(${after}`, '+');
  return rows.map(([id, f]) => {
    const e = JSON.parse(f[f.indexOf('event') + 1] ?? '{}') as { type: string; callId?: string };
    return { id, type: e.type, callId: e.callId };
  });
}
const view = (m: { id?: string; event?: string; data: string }) => ({ id: m.id, type: m.event, callId: (JSON.parse(m.data) as { callId?: string }).callId });

test("a call's events arrive in the journal's order with its ids; an agent key sees none of them", async () => {
  const admin = await sse(ADMIN);
  const agent = await sse(AGENT);
  const r = await call('15550701');
  expect(r.code).toBe(0);
  const ended = await admin.until('call.ended', (m) => m.event === 'call.ended');
  const callId = view(ended).callId;
  const fromJournal = (await journalAfter()).filter((e) => e.callId === callId);
  expect(fromJournal.map((e) => e.type)).toEqual(expect.arrayContaining(['call.arrived', 'call.answered', 'ivr.started', 'call.ended']));
  expect(admin.messages.map(view).filter((e) => e.callId === callId)).toEqual(fromJournal);
  expect(agent.messages.filter((m) => view(m).callId === callId)).toEqual([]);
});

test('a client that leaves and resumes with Last-Event-ID gets exactly the events it missed, then live ones', async () => {
  const first = await sse(ADMIN);
  expect((await call('15550702')).code).toBe(0);
  const seen = await first.until('the call.answered of the second call', (m) => m.event === 'call.answered');
  first.close();
  // While it is away: the rest of that call, and a whole other call.
  expect((await call('15550703')).code).toBe(0);
  await waitFor('both calls journaled as ended', async () => (await journalAfter(seen.id)).filter((e) => e.type === 'call.ended').length === 2);
  const missed = await journalAfter(seen.id);
  const back = await sse(ADMIN, { 'Last-Event-ID': seen.id! });
  await back.until('the last missed event', (m) => m.id === missed[missed.length - 1]!.id);
  expect(back.messages.map(view).slice(0, missed.length)).toEqual(missed);
  // Then live: a third call's events follow, none repeated.
  expect((await call('15550704')).code).toBe(0);
  const lastEnd = await back.until('a third call.ended', (m) => m.event === 'call.ended' && back.messages.filter((x) => x.event === 'call.ended').length === 3);
  const all = await journalAfter(seen.id);
  const upTo = all.findIndex((e) => e.id === lastEnd.id);
  expect(back.messages.map(view).slice(0, upTo + 1)).toEqual(all.slice(0, upTo + 1));
  expect(new Set(back.messages.map((m) => m.id)).size).toBe(back.messages.length);
});
