// The agent-phone harness (test/support/agent-phone.ts) against a real Asterisk 22, without
// Switchboard: a small ARI application originates to PJSIP/agentN and watches what happens.
// These tests also pin down what Asterisk reports (hangup causes, endpoint states, events),
// which the ACD relies on.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { AgentPhone, type Behaviour } from '../support/agent-phone';
import { waitFor } from '../support/net';
import { ariUrl, ROOT, TEST } from '../support/stack';

jest.setTimeout(60_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const APP = 'sb-phone-test';
const password = (agent: string) => `demo-${agent}`; // scripts/stack.sh: agentN / demo-agentN in every profile
const auth = `Basic ${Buffer.from(`${TEST.ARI_USER}:${TEST.ARI_PASSWORD}`).toString('base64')}`;

interface AriEvent {
  type: string;
  [k: string]: unknown;
}
type Chan = { id: string; state?: string };
type Cause = { cause: number; cause_txt?: string };

/** Set SB_PHONE_TEST_LOG=/some/file to keep the observed JSON (for docs and reports). */
function note(what: string, value: unknown): void {
  if (process.env.SB_PHONE_TEST_LOG) appendFileSync(process.env.SB_PHONE_TEST_LOG, `## ${what}\n${JSON.stringify(value, null, 2)}\n`);
}

class Ari {
  readonly events: AriEvent[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d: WebSocket.RawData) => this.events.push(JSON.parse(d.toString()) as AriEvent));
  }

  static async connect(): Promise<Ari> {
    const ws = new WebSocket(`${ariUrl().replace(/^http/, 'ws')}/ari/events?app=${APP}`, { headers: { Authorization: auth } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Ari(ws);
  }

  async req(method: string, p: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${ariUrl()}/ari${p}`, { method, headers: { Authorization: auth } });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body };
  }

  async originate(agent: string, timeoutS = 5): Promise<{ id: string; status: number; body: unknown; at: number }> {
    const id = randomUUID();
    const at = Date.now();
    const r = await this.req('POST', `/channels?endpoint=PJSIP/${agent}&app=${APP}&timeout=${timeoutS}&channelId=${id}`);
    return { id, at, ...r };
  }

  find(type: string, channelId?: string): AriEvent | undefined {
    return this.events.find((e) => e.type === type && (channelId === undefined || (e.channel as Chan | undefined)?.id === channelId));
  }

  waitFor(type: string, channelId?: string, timeoutMs = 10_000): Promise<AriEvent> {
    return waitFor(`${type}${channelId ? ` for ${channelId}` : ''}`, () => this.find(type, channelId), timeoutMs);
  }

  close(): void {
    this.ws.terminate();
  }
}

let ari: Ari;
const phones: AgentPhone[] = [];

async function phone(agent: string, behaviour: Behaviour): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: password(agent), target, behaviour });
  phones.push(p);
  return p;
}

async function endpoint(agent: string): Promise<{ state: string; channel_ids: string[]; [k: string]: unknown }> {
  const r = await ari.req('GET', `/endpoints/PJSIP/${agent}`);
  expect(r.status).toBe(200);
  return r.body as { state: string; channel_ids: string[] };
}

beforeAll(async () => {
  ari = await Ari.connect();
  // Asterisk keeps registrations in astdb across restarts: start from none.
  for (const a of ['agent1', 'agent2', 'agent3', 'agent4']) await AgentPhone.clearRegistrations({ agent: a, password: password(a), target });
});

afterEach(async () => {
  // Hang up whatever a failed test left, then stop its phones.
  const chans = (await ari.req('GET', '/channels')).body as Chan[];
  for (const c of chans) await ari.req('DELETE', `/channels/${c.id}`);
  await Promise.all(phones.splice(0).map((p) => p.stop()));
});

afterAll(() => ari?.close());

test('answer: StasisStart after the ring time, answered() counts it, and an ARI hangup reaches the phone as BYE; several calls in sequence', async () => {
  const p = await phone('agent1', { kind: 'answer', afterMs: 800 });
  for (let n = 1; n <= 2; n++) {
    const o = await ari.originate('agent1');
    expect(o.status).toBe(200);
    await p.waitForInvite(n);
    const start = await ari.waitFor('StasisStart', o.id);
    expect((start.channel as Chan).state).toBe('Up');
    expect(Date.now() - o.at).toBeGreaterThanOrEqual(750);
    expect(p.answered()).toBe(n);
    expect((await endpoint('agent1')).channel_ids).toEqual([o.id]);
    expect((await ari.req('DELETE', `/channels/${o.id}`)).status).toBe(204);
    await p.waitForCallEnd(n);
    expect(p.calls()[n - 1]).toMatchObject({ invited: true, answered: true, end: 'bye-received' });
    await ari.waitFor('ChannelDestroyed', o.id);
  }
  expect(p.invites()).toBe(2);
});

test('no-answer: the originate timeout CANCELs the call; ChannelDestroyed cause 19 "User alerting, no answer"', async () => {
  const p = await phone('agent1', { kind: 'no-answer' });
  const o = await ari.originate('agent1', 5);
  await p.waitForInvite(1);
  const d = await ari.waitFor('ChannelDestroyed', o.id, 10_000);
  note('no-answer ChannelDestroyed', d);
  const elapsed = Date.now() - o.at;
  expect(elapsed).toBeGreaterThan(4_500);
  expect({ cause: d.cause, cause_txt: d.cause_txt }).toEqual({ cause: 19, cause_txt: 'User alerting, no answer' } satisfies Cause);
  expect(d.tech_cause).toBe(480);
  await p.waitForCallEnd(1);
  // Asterisk acknowledges the phone's 487 (it drops one without a To header, and never ACKs).
  await waitFor('the 487 acknowledged', async () => p.calls()[0]?.cancelAcked === true, 3_000);
  expect(p.calls()).toEqual([expect.objectContaining({ answered: false, end: 'cancel-received', cancelAcked: true })]);
  expect(ari.find('StasisStart', o.id)).toBeUndefined();
});

test('answer later than the originate timeout: the CANCEL during the ring wait is accepted, nothing answered', async () => {
  const p = await phone('agent2', { kind: 'answer', afterMs: 8_000 });
  const o = await ari.originate('agent2', 2);
  const d = await ari.waitFor('ChannelDestroyed', o.id, 6_000);
  expect(d.cause).toBe(19);
  await p.waitForCallEnd(1);
  expect(p.calls()).toEqual([expect.objectContaining({ answered: false, end: 'cancel-received' })]);
  // The UAS is ready for the next call at once.
  await p.setBehaviour({ kind: 'answer', afterMs: 0 });
  const o2 = await ari.originate('agent2');
  await ari.waitFor('StasisStart', o2.id);
  expect(p.answered()).toBe(1);
});

test('busy: 486 gives ChannelDestroyed cause 17; reject: 603 gives cause 21', async () => {
  const p = await phone('agent1', { kind: 'busy' });
  const o = await ari.originate('agent1');
  const d = await ari.waitFor('ChannelDestroyed', o.id);
  note('busy ChannelDestroyed', d);
  expect({ cause: d.cause, cause_txt: d.cause_txt, tech_cause: d.tech_cause }).toEqual({ cause: 17, cause_txt: 'User busy', tech_cause: 486 });
  await p.waitForCallEnd(1);
  expect(p.calls()[0]).toMatchObject({ answered: false, end: 'busy' });

  await p.setBehaviour({ kind: 'reject' });
  const o2 = await ari.originate('agent1');
  const d2 = await ari.waitFor('ChannelDestroyed', o2.id);
  note('reject ChannelDestroyed', d2);
  expect({ cause: d2.cause, cause_txt: d2.cause_txt, tech_cause: d2.tech_cause }).toEqual({ cause: 21, cause_txt: 'Call Rejected', tech_cause: 603 });
  await p.waitForCallEnd(2);
  expect(p.calls()[1]).toMatchObject({ answered: false, end: 'rejected' });
  expect(p.invites()).toBe(2);
});

test('an unregistered agent: the originate fails at once with HTTP 500 "Allocation failed", no channel', async () => {
  const ep = await endpoint('agent3');
  expect(ep).toEqual({ technology: 'PJSIP', resource: 'agent3', state: 'offline', channel_ids: [] });
  const o = await ari.originate('agent3');
  note('originate to unregistered', { status: o.status, body: o.body });
  expect({ status: o.status, body: o.body }).toEqual({ status: 500, body: { error: 'Allocation failed' } });
  await new Promise((r) => setTimeout(r, 300));
  expect(ari.events.filter((e) => (e.channel as Chan | undefined)?.id === o.id)).toEqual([]);
  // The same after a phone registered and unregistered again.
  const p = await phone('agent3', { kind: 'busy' });
  await p.unregister();
  const o2 = await ari.originate('agent3');
  expect(o2.status).toBe(500);
  expect(p.invites()).toBe(0);
});

test('hangupAfterMs: the agent hangs up; ARI sees ChannelHangupRequest and StasisEnd', async () => {
  const p = await phone('agent1', { kind: 'answer', afterMs: 0, hangupAfterMs: 1_000 });
  const o = await ari.originate('agent1');
  await ari.waitFor('StasisStart', o.id);
  const hr = await ari.waitFor('ChannelHangupRequest', o.id, 5_000);
  // Measured 1.0 s after the answer. A plain BYE from the phone (no Reason header, like most
  // softphones) gives a ChannelHangupRequest with no cause field, then StasisEnd, then
  // ChannelDestroyed with cause 0 "Unknown" (not 16): the ACD must read it as a normal agent hangup.
  expect(hr.cause).toBeUndefined();
  expect(hr.timestamp).toBeDefined();
  await ari.waitFor('StasisEnd', o.id);
  const d = await ari.waitFor('ChannelDestroyed', o.id);
  note('agent hangup: events', ari.events.filter((e) => (e.channel as Chan | undefined)?.id === o.id && !['ChannelVarset'].includes(e.type)));
  expect({ cause: d.cause, cause_txt: d.cause_txt }).toEqual({ cause: 0, cause_txt: 'Unknown' });
  await p.waitForCallEnd(1);
  expect(p.calls()).toEqual([expect.objectContaining({ answered: true, end: 'bye-sent' })]);
});

test('four phones registered at once each get their own call', async () => {
  const agents = ['agent1', 'agent2', 'agent3', 'agent4'];
  const ps = await Promise.all(agents.map((a) => phone(a, { kind: 'answer', afterMs: 200 })));
  for (const a of agents) expect((await endpoint(a)).state).toBe('online');
  const os = await Promise.all(agents.map((a) => ari.originate(a)));
  await Promise.all(os.map((o) => ari.waitFor('StasisStart', o.id)));
  ps.forEach((p) => expect([p.invites(), p.answered()]).toEqual([1, 1]));
  const del = await ari.req('DELETE', `/channels/${os[0]!.id}`);
  expect(del.status).toBe(204);
  for (const o of os.slice(1)) await ari.req('DELETE', `/channels/${o.id}`);
  await Promise.all(ps.map((p) => p.waitForCallEnd(1)));
  note('ARI DELETE: events', ari.events.filter((e) => (e.channel as Chan | undefined)?.id === os[0]!.id && ['ChannelHangupRequest', 'StasisEnd', 'ChannelDestroyed'].includes(e.type)));
  const d = await ari.waitFor('ChannelDestroyed', os[0]!.id);
  expect({ cause: d.cause, cause_txt: d.cause_txt }).toEqual({ cause: 16, cause_txt: 'Normal Clearing' });
  // Without a subscription to the endpoint, the app got no endpoint events for these registrations.
  expect(ari.events.filter((e) => ['EndpointStateChange', 'ContactStatusChange', 'PeerStatusChange'].includes(e.type))).toEqual([]);
});

test('register / unregister: endpoint state online / offline, and the events a subscribed app gets', async () => {
  const sub = await ari.req('POST', `/applications/${APP}/subscription?eventSource=endpoint:PJSIP/agent1`);
  expect(sub.status).toBe(200);
  try {
    const before = ari.events.length;
    const p = await phone('agent1', { kind: 'busy' });
    const online = await waitFor('agent1 online', async () => {
      const e = await endpoint('agent1');
      return e.state === 'online' ? e : undefined;
    });
    note('registered endpoint', online);
    expect(online).toMatchObject({ technology: 'PJSIP', resource: 'agent1', state: 'online', channel_ids: [] });
    await waitFor('events after REGISTER', () => ari.events.slice(before).some((e) => e.type === 'ContactStatusChange'), 3_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const onRegister = ari.events.slice(before);
    note('events on register', onRegister);

    const mid = ari.events.length;
    await p.unregister();
    const offline = await waitFor('agent1 offline', async () => {
      const e = await endpoint('agent1');
      return e.state === 'offline' ? e : undefined;
    });
    note('unregistered endpoint', offline);
    expect(offline).toMatchObject({ technology: 'PJSIP', resource: 'agent1', state: 'offline', channel_ids: [] });
    await new Promise((r) => setTimeout(r, 500));
    const onUnregister = ari.events.slice(mid);
    note('events on unregister', onUnregister);

    const types = (es: AriEvent[]) => [...new Set(es.map((e) => e.type))].sort();
    expect(types(onRegister)).toEqual(['ContactStatusChange', 'EndpointStateChange', 'PeerStatusChange']);
    expect(types(onUnregister)).toEqual(['ContactStatusChange', 'EndpointStateChange', 'PeerStatusChange']);
  } finally {
    await ari.req('DELETE', `/applications/${APP}/subscription?eventSource=endpoint:PJSIP/agent1`);
  }
});

test('audio "pcap": Asterisk receives the agent\'s RTP (RTPAUDIOQOS rxcount); "silence" sends none', async () => {
  const rx = async (p: AgentPhone): Promise<number> => {
    const o = await ari.originate(p.agent);
    await ari.waitFor('StasisStart', o.id);
    await new Promise((r) => setTimeout(r, 1_000));
    await ari.req('DELETE', `/channels/${o.id}`);
    await ari.waitFor('ChannelDestroyed', o.id);
    const qos = ari.events.find((e) => e.type === 'ChannelVarset' && e.variable === 'RTPAUDIOQOS' && (e.channel as Chan).id === o.id);
    return Number(/rxcount=(\d+)/.exec(String(qos?.value))?.[1] ?? -1);
  };
  const withPcap = await AgentPhone.start({ agent: 'agent1', password: password('agent1'), target, behaviour: { kind: 'answer', afterMs: 0 }, audio: 'pcap' });
  phones.push(withPcap);
  expect(await rx(withPcap)).toBeGreaterThan(20); // measured 36 packets in the ~1 s the call lasted
  const silent = await phone('agent2', { kind: 'answer', afterMs: 0 });
  expect(await rx(silent)).toBe(0);
});

test('the phone alone (no Asterisk): re-INVITE, in-dialog UPDATE and OPTIONS, out-of-dialog OPTIONS, a late CANCEL are answered', async () => {
  const p = await AgentPhone.start({ agent: 'agent1', password: 'unused', target, behaviour: { kind: 'answer', afterMs: 300 }, register: false });
  phones.push(p);
  const probe = (file: string) =>
    promisify(execFile)('sipp', [`127.0.0.1:${p.port}`, '-sf', path.join(ROOT, 'test', 'e2e', 'sipp', file), '-m', '1', '-i', '127.0.0.1', '-p', '0', '-nostdin', '-timeout', '10s', '-timeout_error']);
  await probe('agent-probe-reinvite.xml');
  await probe('agent-probe-options.xml');
  await probe('agent-probe-reinvite.xml');
  // A CANCEL crossing the 200 OK, then ACK and BYE back to back: no call aborted on the phone.
  await probe('agent-probe-late-cancel.xml');
  // Re-INVITEs and OPTIONS are not calls.
  expect(p.calls()).toEqual([
    expect.objectContaining({ invited: true, answered: true, end: 'bye-received' }),
    expect.objectContaining({ invited: true, answered: true, end: 'bye-received' }),
    expect.objectContaining({ invited: true, answered: true, end: 'bye-received' }),
  ]);
  expect([p.invites(), p.answered(), p.callEnds()]).toEqual([3, 3, 3]);
  expect(p.trace().match(/^BYE sip:/gm)).toHaveLength(3);
  expect(p.trace()).toMatch(/CSeq: 2 INVITE/);
});

test('maxCalls: the UAS takes that many calls, then the phone no longer answers', async () => {
  const p = await AgentPhone.start({ agent: 'agent4', password: password('agent4'), target, behaviour: { kind: 'busy' }, maxCalls: 2 });
  phones.push(p);
  for (let n = 1; n <= 2; n++) {
    const o = await ari.originate('agent4');
    expect((await ari.waitFor('ChannelDestroyed', o.id)).cause).toBe(17);
  }
  await p.waitForCallEnd(2);
  const o = await ari.originate('agent4', 2);
  // Nobody listens on the contact any more: Asterisk times the INVITE out (or gets an ICMP error).
  const d = await ari.waitFor('ChannelDestroyed', o.id, 40_000);
  note('after maxCalls: ChannelDestroyed', { cause: d.cause, cause_txt: d.cause_txt, tech_cause: d.tech_cause });
  expect(p.invites()).toBe(2);
});
