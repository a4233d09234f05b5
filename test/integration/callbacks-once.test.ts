// A callback is dialled once, whatever runs twice: its due job (asked for twice, run twice, or
// run again after its worker died holding it), the agent's answer, or Redis restarting (AOF)
// between the request and the dial. Real Redis and BullMQ; the ACD on in-memory ports
// (test/support/acd-harness.ts); the customer's dials counted by a fake trunk.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { CallbackJobs, type DueJob } from '../../src/callbacks/jobs';
import { CallbackService, type CustomerTelephony } from '../../src/callbacks/service';
import { CallbackStore } from '../../src/callbacks/store';
import type { CallbackSettings } from '../../src/callbacks/domain/model';
import { KeyedChain } from '../../src/kernel/keyed-chain';
import { systemClock } from '../../src/platform/clock';
import { Keys } from '../../src/platform/redis/keys';
import { acdHarness, agent, queue } from '../support/acd-harness';
import { waitFor } from '../support/net';
import { OwnRedis } from '../support/own-redis';
import { redisUrl } from '../support/stack';

jest.setTimeout(60_000);

const SETTINGS: CallbackSettings = { trunk: 'carrier', callerId: '5003', numberPattern: '1555[0-9]{4}', attempts: 2, retryDelayS: 1, ringTimeoutS: 5, priority: 0, preferredAgentWindowS: 0 };
const silent = pino({ level: 'silent' });

class CountingTrunk implements CustomerTelephony {
  dials: string[] = [];
  async dial(o: { legId: string }) {
    this.dials.push(o.legId);
    return true;
  }
  async hangup() {}
  async whisper() {}
  async forgetRecording() {}
}

interface Rig {
  service: CallbackService;
  jobs: CallbackJobs;
  acd: ReturnType<typeof acdHarness>;
  trunk: CountingTrunk;
  redis: Redis;
  stop(): Promise<void>;
}

/** The ACD on in-memory ports, its callback hooks going to whichever service `route` names. */
function acdFor(route: { to?: CallbackService }): ReturnType<typeof acdHarness> {
  const to = (): CallbackService => route.to!;
  return acdHarness([queue('billing', { callback: SETTINGS })], [agent('agent3', { billing: 5 })], {
    clock: systemClock,
    callbacks: { offered: (c, a) => to().offered(c, a), offerMissed: (c) => to().offerMissed(c), agentAnswered: (e) => to().agentAnswered(e), agentLeft: (c) => to().agentLeft(c), callerJoined: async () => undefined, callerDigit: async () => undefined, callerDone: async () => undefined, inConversation: () => false },
  });
}

/** One Switchboard's callbacks over `url`; `jobs` started when `worker` is set. Sharing an ACD (`shared`) makes its hooks call this one. */
async function rig(url: string, prefix: string, opts: { worker?: boolean; lockMs?: number; shared?: { acd: ReturnType<typeof acdHarness>; route: { to?: CallbackService } } } = {}): Promise<Rig> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const keys = new Keys(prefix);
  const route = opts.shared?.route ?? {};
  const acd = opts.shared?.acd ?? acdFor(route);
  const trunk = new CountingTrunk();
  const chain = new KeyedChain();
  const jobs = new CallbackJobs({ url, prefix: keys.bullPrefix(), clock: systemClock, logger: silent, lockMs: opts.lockMs, stalledCheckMs: opts.lockMs });
  const service = new CallbackService({
    store: new CallbackStore(redis, keys),
    jobs,
    acd: acd.acd,
    telephony: trunk,
    config: () => ({ queues: new Map([['billing', queue('billing', { callback: SETTINGS })]]), agents: new Map([['agent3', agent('agent3', { billing: 5 })]]), openAt: (_s, at) => at }),
    events: { publish: async () => undefined },
    clock: systemClock,
    logger: silent,
    serialize: (callId, _what, work) => chain.run(callId, work, () => undefined),
  });
  route.to = service;
  if (opts.worker) jobs.start((j) => service.due(j));
  return {
    service,
    jobs,
    acd,
    trunk,
    redis,
    async stop() {
      await jobs.stop(1000);
      redis.disconnect();
    },
  };
}

/** The agent answers the callback the ACD offered them (the leg's StasisStart). */
async function agentAnswers(r: Rig, callId: string): Promise<void> {
  const legs = r.acd.tel.log.filter((l) => l.startsWith('originate')).map((l) => l.split(' ')[2]!);
  const leg = legs.find((l) => l.startsWith(`${callId}-leg-`));
  if (!leg) throw new Error(`no agent leg for ${callId} (${legs.join(', ')})`);
  await r.acd.acd.legAnswered(leg);
}

let prefix: string;
const rigs: Rig[] = [];
beforeEach(() => {
  prefix = `sbcb-${randomUUID().slice(0, 8)}`;
});
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
  const redis = new Redis(redisUrl());
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

test('a due job asked for twice is one job; run twice, it joins the queue once; an answer repeated dials once', async () => {
  const r = await rig(redisUrl(), prefix);
  rigs.push(r);
  await r.acd.online('agent3');
  const { callback } = await r.service.request({ queue: 'billing', number: '15550100', at: Date.now() + 60_000, origin: 'scheduled', createdBy: 'admin' });
  const job: DueJob = { callbackId: callback.id, attempt: 1, dueAt: callback.dueAt };
  await r.jobs.schedule(job); // the request scheduled it already: same business key, same job
  expect(await r.redis.zcard(`${prefix}:bull:callbacks:delayed`)).toBe(1);

  await Promise.all([r.service.due(job), r.service.due(job)]);
  const entered = r.acd.published.filter((e) => e.type === 'queue.entered');
  expect(entered).toHaveLength(1);
  const callId = `cb-${callback.id}`;
  await Promise.all([agentAnswers(r, callId), agentAnswers(r, callId)]);
  expect(r.trunk.dials).toEqual([`${callId}-cust-1`]);
  expect((await r.service.get(callback.id))?.state).toBe('dialling');
});

test('a worker that dies holding the job: another worker runs it again, and the callback joins once and is dialled once', async () => {
  // Worker A takes the job and hangs inside the ACD step (its process frozen or killed): it never
  // finishes and its lock is not renewed once it is gone.
  const route: { to?: CallbackService } = {};
  const shared = acdFor(route);
  await shared.online('agent3');
  const a = await rig(redisUrl(), prefix, { shared: { acd: shared, route }, lockMs: 1000 });
  rigs.push(a);
  let hung = 0;
  let release: (v: boolean) => void = () => undefined;
  const realJoin = shared.acd.joinCallback.bind(shared.acd);
  shared.acd.joinCallback = async (j) => {
    if (hung++ === 0) return new Promise<boolean>((resolve) => (release = resolve)); // the first worker's step does not return
    return realJoin(j);
  };
  a.jobs.start((j) => a.service.due(j));
  const { callback } = await a.service.request({ queue: 'billing', number: '15550101', at: Date.now() + 200, origin: 'scheduled', createdBy: 'admin' });
  await waitFor('worker A holds the job', () => hung === 1);
  // Worker A dies: force-closed, its lock left to expire.
  await a.jobs.stop(0);

  const b = await rig(redisUrl(), prefix, { shared: { acd: shared, route }, worker: true, lockMs: 1000 });
  rigs.push(b);
  await waitFor('worker B ran the stalled job', () => shared.published.some((e) => e.type === 'queue.entered'), 15_000);
  await agentAnswers(b, `cb-${callback.id}`);
  expect(shared.published.filter((e) => e.type === 'queue.entered')).toHaveLength(1);
  expect(b.trunk.dials).toEqual([`cb-${callback.id}-cust-1`]);
  expect(a.trunk.dials).toEqual([]);
  release(false); // let the dead worker's promise settle, so its timers stop (a real dead process has none)
});

test('Redis restarted (AOF) between the request and its time: the callback still joins the queue and is dialled once', async () => {
  const redis = await OwnRedis.start();
  try {
    const r = await rig(redis.url, prefix, { worker: true });
    rigs.push(r);
    await r.acd.online('agent3');
    const { callback } = await r.service.request({ queue: 'billing', number: '15550102', at: Date.now() + 2500, origin: 'scheduled', createdBy: 'admin' });
    await redis.crash(); // SIGKILL: only what the AOF holds survives
    await redis.restart();
    await waitFor('the callback joined its queue after the restart', () => r.acd.published.some((e) => e.type === 'queue.entered'), 20_000);
    await agentAnswers(r, `cb-${callback.id}`);
    expect(r.trunk.dials).toEqual([`cb-${callback.id}-cust-1`]);
    expect((await r.service.get(callback.id))?.state).toBe('dialling');
  } finally {
    for (const r of rigs.splice(0)) await r.stop();
    await redis.stop();
  }
});
