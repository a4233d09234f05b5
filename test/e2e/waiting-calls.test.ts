// A supervisor changes a waiting call's priority through the API (PATCH /api/v1/calls/{id}): the
// queue entry takes it, the journal says who did, and what may not be changed is refused.
import path from 'node:path';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(60_000);

const ADMIN = 'waiting-admin-token-0001';
const AGENT1 = 'waiting-agent1-token-001';
let t: TestService;
beforeAll(async () => {
  await clearAsterisk();
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'dispositions'), SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT1}:agent1` });
  await waitReady(t);
});
afterAll(async () => {
  await t?.stop();
});

const patch = async (id: string, token: string, body: unknown) => {
  const res = await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/calls/${encodeURIComponent(id)}`, { method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

test("a waiting caller's priority raised by a supervisor; agents may not; unknown calls are 404", async () => {
  // Nobody is logged in: the caller waits in sales until it hangs up.
  const caller = placeCall(`127.0.0.1:${TEST.SIP_PORT}`, '5001', callerScenario({ callerNumber: '15550911', hangupAfterMs: 6000 }), { rtpPort: 9, timeoutS: 30 });
  const callId = await waitFor('the caller waiting', async () => (await t.journal()).find((e) => e.type === 'queue.entered')?.callId);
  expect((await patch(callId, AGENT1, { priority: 5 })).status).toBe(403);
  expect((await patch(callId, ADMIN, { priority: 'high' })).status).toBe(400);
  expect((await patch(callId, ADMIN, { queue: 'billing' })).status).toBe(422); // no such queue here (moves: call-control.test.ts)
  expect((await patch(callId, ADMIN, { keepPlace: false })).status).toBe(400); // keepPlace goes with queue
  const ok = await patch(callId, ADMIN, { priority: 5 });
  expect([ok.status, ok.body.call]).toEqual([200, { id: callId, queue: 'sales', priority: 5 }]);
  const entry = JSON.parse((await t.redis.get(`${t.prefix}:acd:entry:${callId}`)) ?? '{}') as { d: { priority: number } };
  expect(entry.d.priority).toBe(5);
  expect((await t.journal()).filter((e) => e.type === 'queue.priority-changed')).toEqual([expect.objectContaining({ callId, queue: 'sales', from: 0, to: 5, by: 'env-1' })]);
  expect((await patch('no-such-call', ADMIN, { priority: 1 })).status).toBe(404);
  expect((await caller).code).toBe(0);
  expect((await patch(callId, ADMIN, { priority: 1 })).status).toBe(404); // gone with the caller
  await expectNothingLeftBehind(t.redis, t.prefix);
});
