// Recordings: who may see and delete, byte ranges, and the service following the event seam
// (start on connection, pause on hold, resume, finish, retention) on an in-memory store and a
// fake Asterisk.
import pino from 'pino';
import { queueConfig } from '../support/acd-fixtures';
import { byteRange, mayDelete, maySee, type RecordingMeta, type Viewer } from '../../src/recordings/domain/decide';
import { RecordingService, type RecordingTelephony } from '../../src/recordings/service';
import { EVENT_VERSION, type SwitchboardEvent } from '../../src/events';

describe('byte ranges', () => {
  it.each([
    [undefined, 1000, undefined],
    ['bytes=0-99', 1000, { start: 0, end: 99 }],
    ['bytes=900-', 1000, { start: 900, end: 999 }],
    ['bytes=-100', 1000, { start: 900, end: 999 }],
    ['bytes=500-5000', 1000, { start: 500, end: 999 }],
    ['bytes=1000-', 1000, 'unsatisfiable'],
    ['bytes=-0', 1000, 'unsatisfiable'],
    ['bytes=5-1', 1000, 'unsatisfiable'],
    ['bytes=0-1,5-9', 1000, undefined], // several ranges: the whole file
    ['items=0-1', 1000, undefined],
  ] as const)('%s of %d bytes', (header, size, want) => {
    expect(byteRange(header, size)).toEqual(want);
  });
});

describe('who may', () => {
  const r = { agentId: 'a1' };
  const admin: Viewer = { role: 'admin', seesAgent: () => true };
  const team: Viewer = { role: 'supervisor', seesAgent: (a) => a === 'a1' };
  const other: Viewer = { role: 'supervisor', seesAgent: () => false };
  const own: Viewer = { role: 'agent', agentId: 'a1', seesAgent: (a) => a === 'a1' };
  const notOwn: Viewer = { role: 'agent', agentId: 'a2', seesAgent: (a) => a === 'a2' };
  it('see: admins, the team, the agent itself', () => {
    expect([admin, team, other, own, notOwn].map((v) => maySee(r, v))).toEqual([true, true, false, true, false]);
  });
  it('delete: admins and the team, never agents', () => {
    expect([admin, team, other, own].map((v) => mayDelete(r, v))).toEqual([true, true, false, false]);
  });
});

function rig() {
  let now = 1_000_000;
  const docs = new Map<string, RecordingMeta>();
  const byCall = new Map<string, string>();
  const store = {
    started: async (m: RecordingMeta) => void (docs.set(m.id, m), byCall.set(m.callId, m.id)),
    get: async (id: string) => docs.get(id),
    ofCall: async (callId: string) => docs.get(byCall.get(callId) ?? ''),
    update: async (id: string, f: (m: RecordingMeta) => RecordingMeta) => {
      const cur = docs.get(id);
      if (!cur) return undefined;
      const next = f(cur);
      docs.set(id, next);
      if (next.state === 'done' || next.state === 'failed') byCall.delete(next.callId);
      return next;
    },
    list: async (limit: number, offset: number) => [...docs.values()].sort((a, b) => b.startedAt - a.startedAt).slice(offset, offset + limit),
    expired: async (at: number) => [...docs.values()].filter((d) => d.expiresAt <= at).map((d) => d.id),
    remove: async (id: string) => docs.delete(id),
  };
  const log: string[] = [];
  const telephony: RecordingTelephony = {
    recordBridge: async (b, name, format) => void log.push(`record ${b} ${name} ${format}`),
    pause: async (name, paused) => void log.push(`${paused ? 'pause' : 'unpause'} ${name}`),
    stop: async (name) => void log.push(`stop ${name}`),
    deleteStored: async (name) => void log.push(`delete ${name}`),
  };
  const queues = new Map([
    ['sales', queueConfig('sales', { recording: { format: 'wav', retentionDays: 7 } })],
    ['plain', queueConfig('plain')],
    ['quality', queueConfig('quality', { recording: { format: 'wav', retentionDays: 7, pauseOnHold: false } })],
  ]);
  const published: Array<{ type: string; [k: string]: unknown }> = [];
  const service = new RecordingService({ store, telephony, events: { publish: async (e) => void published.push(e as never) }, queues: () => queues, clock: { now: () => now }, logger: pino({ level: 'silent' }) });
  const send = (e: Record<string, unknown> & { type: string }) => service.subscriber({ v: EVENT_VERSION, at: now, ...e } as unknown as SwitchboardEvent);
  return { service, docs, log, send, published, advance: (ms: number) => (now += ms), now: () => now };
}

describe('the recording of a call', () => {
  const admin: Viewer = { role: 'admin', seesAgent: () => true };
  it('starts when the call connects (a queue that records), pauses on hold, resumes, finishes with its length', async () => {
    const t = rig();
    await t.send({ type: 'queue.connected', callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'c1-leg-1', holdS: 3, ringS: 1 });
    await t.send({ type: 'queue.connected', callId: 'c2', queue: 'plain', agentId: 'a2', legId: 'c2-leg-1', holdS: 3, ringS: 1 });
    expect(t.log).toEqual(['record c1-bridge rec-c1-leg-1 wav']);
    await t.send({ type: 'queue.held', callId: 'c1', queue: 'sales', agentId: 'a1', by: 'agent:a1' });
    await t.send({ type: 'queue.held', callId: 'c1', queue: 'sales', agentId: 'a1', by: 'agent:a1' }); // already paused: nothing
    await t.send({ type: 'queue.resumed', callId: 'c1', queue: 'sales', agentId: 'a1', by: 'agent:a1', heldS: 4 });
    expect(t.log.slice(1)).toEqual(['pause rec-c1-leg-1', 'unpause rec-c1-leg-1']);
    await t.service.pauseByRequest('c1', true, admin, 'k1');
    expect(t.docs.get('rec-c1-leg-1')).toMatchObject({ state: 'paused', pauses: 2 });
    await t.service.finished('rec-c1-leg-1', true, 42);
    expect(t.docs.get('rec-c1-leg-1')).toMatchObject({ state: 'done', durationS: 42, expiresAt: 1_000_000 + 7 * 86_400_000 });
    await expect(t.service.pauseByRequest('c1', false, admin, 'k1')).rejects.toMatchObject({ status: 404 });
    expect(t.published.map((e) => `${e.type}${e.why ? ` ${String(e.why)}` : ''}`)).toEqual(['recording.started', 'recording.paused hold', 'recording.resumed hold', 'recording.paused api', 'recording.finished']);
  });

  it('is deleted past its retention, and by a supervisor of the team, never while it runs', async () => {
    const t = rig();
    await t.send({ type: 'queue.connected', callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'c1-leg-1', holdS: 3, ringS: 1 });
    await expect(t.service.remove('rec-c1-leg-1', admin, 'k')).rejects.toMatchObject({ status: 409 });
    await t.service.finished('rec-c1-leg-1', true, 10);
    await expect(t.service.remove('rec-c1-leg-1', { role: 'agent', agentId: 'a1', seesAgent: () => true }, 'agent:a1')).rejects.toMatchObject({ status: 403 });
    t.advance(7 * 86_400_000 - 1);
    expect(await t.service.sweep()).toBe(0);
    t.advance(1);
    expect(await t.service.sweep()).toBe(1);
    expect(t.log).toContain('delete rec-c1-leg-1');
    expect(t.docs.size).toBe(0);
    expect(t.published.at(-1)).toMatchObject({ type: 'recording.deleted', recordingId: 'rec-c1-leg-1', by: 'retention' });
  });
});

describe('a sensitive step of an assist flow', () => {
  const step = (sensitive?: true) => ({ type: 'ivr.step', callId: 'c1', flow: 'payment', step: sensitive ? 'card' : 'thanks', kind: sensitive ? 'collect' : 'play', ...(sensitive ? { sensitive } : {}) });
  const connected = async (t: ReturnType<typeof rig>) => {
    await t.send({ type: 'queue.connected', callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'c1-leg-1', holdS: 3, ringS: 1 });
    t.log.splice(0);
  };

  it('pauses the recording until the next step; two sensitive steps in a row are one pause', async () => {
    const t = rig();
    await connected(t);
    await t.send(step(true));
    await t.send(step(true));
    expect(t.log).toEqual(['pause rec-c1-leg-1']);
    await t.send(step());
    expect(t.log).toEqual(['pause rec-c1-leg-1', 'unpause rec-c1-leg-1']);
    expect(t.published.filter((e) => e.type.startsWith('recording.p') || e.type === 'recording.resumed').map((e) => `${e.type} ${String(e.why)}`)).toEqual(['recording.paused sensitive', 'recording.resumed sensitive']);
    expect(t.docs.get('rec-c1-leg-1')).toMatchObject({ state: 'recording', pauses: 1 });
  });

  it('events that come at once (the seam does not wait for subscribers) are taken in their order', async () => {
    const t = rig();
    await connected(t);
    await Promise.all([t.send(step(true)), t.send({ type: 'ivr.collected', callId: 'c1', flow: 'payment', step: 'card', variable: 'card', input: { sensitive: true, length: 4 } }), t.send(step())]);
    expect(t.log).toEqual(['pause rec-c1-leg-1', 'unpause rec-c1-leg-1']);
  });

  it('an API resume waits for the step to end (409); an API pause during it is the agent\'s and stays after it', async () => {
    const admin: Viewer = { role: 'admin', seesAgent: () => true };
    const t = rig();
    await connected(t);
    await t.send(step(true));
    await expect(t.service.pauseByRequest('c1', false, admin, 'agent:a1')).rejects.toMatchObject({ status: 409 });
    await t.service.pauseByRequest('c1', true, admin, 'agent:a1');
    await t.send(step());
    expect(t.log).toEqual(['pause rec-c1-leg-1']);
    expect(t.docs.get('rec-c1-leg-1')?.state).toBe('paused');
  });

  it("the flow's end, or the caller back with the agent, resumes it too", async () => {
    for (const end of [{ type: 'ivr.ended', callId: 'c1', flow: 'payment', step: 'card', reason: 'hangup step' }, { type: 'queue.assist-ended', callId: 'c1', queue: 'sales', agentId: 'a1', flow: 'payment', assistS: 9 }]) {
      const t = rig();
      await connected(t);
      await t.send(step(true));
      await t.send(end);
      expect(t.log).toEqual(['pause rec-c1-leg-1', 'unpause rec-c1-leg-1']);
    }
  });

  it("leaves alone a recording an agent paused (and never resumes it), and calls that record nothing", async () => {
    const t = rig();
    await connected(t);
    await t.service.pauseByRequest('c1', true, { role: 'admin', seesAgent: () => true }, 'agent:a1');
    t.log.splice(0);
    await t.send(step(true));
    await t.send(step());
    expect(t.log).toEqual([]);
    expect(t.docs.get('rec-c1-leg-1')?.state).toBe('paused');
    await t.send({ ...step(true), callId: 'c9' });
    expect(t.log).toEqual([]);
  });
});

it('a queue set not to pause on hold goes on recording while the caller is on hold', async () => {
  const t = rig();
  await t.send({ type: 'queue.connected', callId: 'c1', queue: 'quality', agentId: 'a1', legId: 'c1-leg-1', holdS: 3, ringS: 1 });
  await t.send({ type: 'queue.held', callId: 'c1', queue: 'quality', agentId: 'a1', by: 'agent:a1' });
  await t.send({ type: 'queue.resumed', callId: 'c1', queue: 'quality', agentId: 'a1', by: 'agent:a1', heldS: 5 });
  expect(t.log).toEqual(['record c1-bridge rec-c1-leg-1 wav']);
  expect(t.docs.get('rec-c1-leg-1')).toMatchObject({ state: 'recording', pauses: 0 });
});

it('a hold that paused the recording is resumed even if a reload turned pauseOnHold off meanwhile', async () => {
  const t = rig();
  await t.send({ type: 'queue.connected', callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'c1-leg-1', holdS: 3, ringS: 1 });
  await t.send({ type: 'queue.held', callId: 'c1', queue: 'sales', agentId: 'a1', by: 'agent:a1' });
  await t.send({ type: 'queue.resumed', callId: 'c1', queue: 'quality', agentId: 'a1', by: 'agent:a1', heldS: 5 }); // as if sales now said pauseOnHold: false
  expect(t.docs.get('rec-c1-leg-1')).toMatchObject({ state: 'recording', pauses: 1 });
});
