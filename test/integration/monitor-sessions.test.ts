// Monitoring sessions are shared by instances through Redis: two instances asked at once to ring
// one supervisor's phone ring it once; a session's end seen by both (the phone hung up, the call
// ended) is journaled once; modes change with a new snoop before the old one goes. Telephony is a
// fake that records what it was asked; the store is a real Redis.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { MonitorService, type MonitoredCall } from '../../src/monitor';
import type { MonitorTelephony } from '../../src/monitor/service';
import { MonitorStore } from '../../src/monitor/store';
import { Keys } from '../../src/platform/redis/keys';
import { redisUrl } from '../support/stack';

const admin = { role: 'admin' as const, seesAgent: () => true };
let redis: Redis;
const keys = new Keys(`t-mon-${randomUUID().slice(0, 8)}`);

class FakeTelephony implements MonitorTelephony {
  log: string[] = [];
  async ring(o: { channelId: string }) {
    this.log.push(`ring ${o.channelId}`);
    return 'ok' as const;
  }
  async snoop(channelId: string, o: { snoopId: string; whisper: string }) {
    this.log.push(`snoop ${channelId} ${o.snoopId} ${o.whisper}`);
  }
  async bridge(b: string, ids: string[]) {
    this.log.push(`bridge ${b} ${ids.join(',')}`);
  }
  async removeFromBridge(b: string, ids: string[]) {
    this.log.push(`unbridge ${b} ${ids.join(',')}`);
  }
  async destroyBridge(b: string) {
    this.log.push(`destroy ${b}`);
  }
  async hangup(id: string) {
    this.log.push(`hangup ${id}`);
  }
  async endpointState() {
    return { online: true, busy: false };
  }
}

function instance(tel = new FakeTelephony()) {
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  const call: MonitoredCall = { state: 'connected', queue: 'sales', agentId: 'agent1', legId: 'c1-leg-1' };
  const service = new MonitorService({
    store: new MonitorStore(redis, keys),
    telephony: tel,
    call: async () => call,
    phones: () => new Map([['supervisor1', { id: 'supervisor1', name: 'Sam', endpoint: 'PJSIP/supervisor1' }]]),
    events: { publish: async (e) => void events.push(e as never) },
    clock: { now: () => Date.now() },
    logger: pino({ level: 'silent' }),
  });
  return { service, tel, events };
}

beforeAll(async () => {
  redis = new Redis(redisUrl());
  await redis.ping();
});
afterAll(async () => {
  const left = await redis.keys(`${keys.monitors().replace(/:all$/, '')}*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
});

test('two instances asked at once ring the phone once; the other is told it is busy', async () => {
  const [a, b] = [instance(), instance()];
  const results = await Promise.allSettled([a.service.start('c1', { mode: 'listen', supervisor: 'supervisor1' }, admin, 'k1'), b.service.start('c1', { mode: 'listen', supervisor: 'supervisor1' }, admin, 'k2')]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { status: 409 } });
  expect([...a.tel.log, ...b.tel.log].filter((l) => l.startsWith('ring'))).toHaveLength(1);
  const session = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ id: string }>).value;

  // Answered: a listening snoop on the agent's leg, bridged with the supervisor.
  await a.service.legAnswered(session.id);
  expect(a.tel.log.slice(-2)).toEqual([`snoop c1-leg-1 ${session.id}-snoop-1 none`, `bridge ${session.id}-bridge ${session.id},${session.id}-snoop-1`]);
  // Whisper: the new snoop is in place before the old one is hung up.
  await b.service.changeMode(session.id, 'whisper', admin, 'k2');
  expect(b.tel.log.slice(-3)).toEqual([`snoop c1-leg-1 ${session.id}-snoop-2 out`, `bridge ${session.id}-bridge ${session.id},${session.id}-snoop-2`, `hangup ${session.id}-snoop-1`]);
  // Barge: out of the snoop's bridge, into the call's.
  await a.service.changeMode(session.id, 'barge', admin, 'k1');
  expect(a.tel.log.slice(-4)).toEqual([`unbridge ${session.id}-bridge ${session.id}`, `hangup ${session.id}-snoop-2`, `destroy ${session.id}-bridge`, `bridge c1-bridge ${session.id}`]);

  // The phone hangs up and the call ends at the same moment, each seen by another instance: one end.
  await Promise.all([a.service.legEnded(session.id), b.service.callOver('c1')]);
  const ended = [...a.events, ...b.events].filter((e) => e.type === 'monitor.ended');
  expect(ended).toHaveLength(1);
  expect(await a.service.sessions(admin)).toEqual([]);
  // The phone is free again.
  await expect(b.service.start('c1', { mode: 'barge', supervisor: 'supervisor1' }, admin, 'k2')).resolves.toMatchObject({ mode: 'barge', state: 'ringing' });
});
