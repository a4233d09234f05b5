// Several ACD instances (the real AcdService on the real Redis store, each with its own
// connection) share one pool of agents and race for thousands of rounds: calls arrive, agents
// are rung, answer, miss, callers abandon, offers are orphaned as if their instance died.
// Throughout, consistent snapshots of Redis must show no agent on two calls and no call with two
// agents; at the end, once every lease has run out, nobody is left reserved. Billing rings all its
// free agents at once (ring-all), so one call holds several reserved agents while it rings.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { AcdStore } from '../../src/acd/store/acd-store';
import { Keys } from '../../src/platform/redis/keys';
import { AcdService, type AcdConfigView } from '../../src/acd/service/acd-service';
import { AcdOperations } from '../../src/acd/store/operations';
import type { AgentProfile, QueueConfig } from '../../src/acd/domain/model';
import { agentProfile, queueConfig } from '../support/acd-fixtures';
import { FakeTelephony, MemoryTimers } from '../support/memory-acd';
import { redisUrl } from '../support/stack';

jest.setTimeout(120_000);

const INSTANCES = 4;
const AGENTS = 16;
const CALLS = 400;
const ROUNDS_PER_DRIVER = 500;

const queue = (id: string, over: Partial<QueueConfig> = {}): QueueConfig => queueConfig(id, { ringTimeoutS: 1, wrapUpS: 1, maxMissedOffers: 1000, ...over });
const agents: AgentProfile[] = Array.from({ length: AGENTS }, (_, i) =>
  agentProfile(`a${i}`, i % 3 === 0 ? { sales: 5 } : i % 3 === 1 ? { billing: 5 } : { sales: 3, billing: 3 }),
);
const config: AcdConfigView = { agents: new Map(agents.map((a) => [a.id, a])), queues: new Map([['sales', queue('sales')], ['billing', queue('billing', { strategy: 'ring-all' })]]), pauseReasons: new Map() };

function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

test('racing ACD instances never give one agent two calls or one call two agents, and leave nothing reserved', async () => {
  const prefix = `sbrace-${randomUUID().slice(0, 8)}`;
  const keys = new Keys(prefix);
  let now = 1_000_000;
  const clock = { now: () => now };
  const connections: Redis[] = [];
  let multiLeg = 0;
  const instances = Array.from({ length: INSTANCES }, () => {
    const redis = new Redis(redisUrl());
    connections.push(redis);
    const telephony = new FakeTelephony();
    const timers = new MemoryTimers();
    const store = new AcdOperations(new AcdStore(redis, keys));
    const reserve = store.reserve.bind(store);
    store.reserve = async (entry, next, agents, leaseUntil) => {
      const r = await reserve(entry, next, agents, leaseUntil);
      if (r.ok && Array.isArray(agents) && agents.length > 1) multiLeg++;
      return r;
    };
    const acd = new AcdService({
      store,
      telephony,
      timers,
      config: () => config,
      events: { publish: async () => undefined },
      clock,
      logger: pino({ level: 'silent' }),
      leaseGraceMs: 0,
    });
    return { acd, telephony, timers };
  });
  const checker = new Redis(redisUrl());
  connections.push(checker);
  const violations: string[] = [];
  let snapshots = 0;

  /** One consistent snapshot (MULTI) of every agent and entry document, checked for double assignment. */
  async function check(): Promise<void> {
    const tx = checker.multi();
    for (const a of agents) tx.get(keys.acdAgent(a.id));
    for (let c = 0; c < CALLS; c++) tx.get(keys.acdEntry(`c${c}`));
    const res = (await tx.exec())!.map(([, v]) => (v ? (JSON.parse(v as string) as { d: Record<string, string> }).d : undefined));
    snapshots++;
    const agentDocs = res.slice(0, AGENTS);
    type Doc = { callId: string; state: string; agentId?: string; legId?: string; ringing?: Array<{ agentId: string; legId: string }> };
    const entries = res.slice(AGENTS).filter((e): e is Record<string, string> => !!e && (e.state === 'offered' || e.state === 'connected')) as unknown as Doc[];
    const holder = new Map<string, string>();
    for (const e of entries) {
      if (e.state === 'connected' && e.ringing) violations.push(`connected call ${e.callId} still rings ${e.ringing.map((l) => l.agentId).join(', ')}`);
      const held = e.ringing && e.state === 'offered' ? e.ringing.map((l) => l.agentId) : [e.agentId!];
      if (e.ringing && e.ringing[0]?.legId !== e.legId) violations.push(`call ${e.callId} leads with ${e.legId}, not its first leg`);
      for (const agentId of held) {
        const other = holder.get(agentId);
        if (other) violations.push(`agent ${agentId} holds ${other} and ${e.callId}`);
        holder.set(agentId, e.callId);
      }
    }
    for (const a of agentDocs) {
      if (!a) continue;
      const busy = a.status === 'reserved' || a.status === 'on-call';
      const held = holder.get(a.id!);
      if (busy && held !== a.callId) violations.push(`agent ${a.id} is ${a.status} for ${a.callId} but the entries say ${held ?? 'nothing'}`);
      if (!busy && held) violations.push(`agent ${a.id} is ${a.status} but entry ${held} is with it`);
    }
  }

  try {
    // Everyone logs in (through different instances) and their phones are reachable.
    for (const [i, a] of agents.entries()) {
      const { acd } = instances[i % INSTANCES]!;
      await acd.setReachable(a.id, true);
      await acd.agentCommand(a.id, 'login');
    }
    let nextCall = 0;
    const legsSeen = new Set<string>();
    const allLegs = () => instances.flatMap((x) => x.telephony.log.filter((l) => l.startsWith('originate ')).map((l) => l.split(' ')[2]!));
    const connected = new Set<string>();
    const ended = new Set<string>();
    let checking = true;
    const checkerLoop = (async () => {
      while (checking) await check();
    })();

    const driver = async (seed: number) => {
      const r = rng(seed);
      for (let round = 0; round < ROUNDS_PER_DRIVER; round++) {
        now += 5;
        const me = instances[Math.floor(r() * INSTANCES)]!;
        const op = r();
        if (op < 0.25 && nextCall < CALLS) {
          const id = `c${nextCall++}`;
          await me.acd.enqueue({ callId: id, channelId: id, callerId: '1', queue: r() < 0.5 ? 'sales' : 'billing', priority: r() < 0.1 ? 1 : 0, attributes: {} });
        } else if (op < 0.6) {
          const legs = allLegs().filter((l) => !legsSeen.has(l));
          const leg = legs[Math.floor(r() * legs.length)];
          if (!leg) continue;
          legsSeen.add(leg);
          const fate = r();
          const callId = leg.slice(0, leg.indexOf('-leg-'));
          if (fate < 0.55) {
            await me.acd.legAnswered(leg);
            connected.add(callId);
          } else if (fate < 0.8) await me.acd.legEnded(leg, { kind: 'destroyed', cause: 19 });
          else if (fate < 0.9) {
            await me.acd.callerLeft(callId);
            ended.add(callId);
          }
          // else: orphaned, as if the instance that rang it died; its lease runs out.
        } else if (op < 0.8) {
          const open = [...connected].filter((c) => !ended.has(c));
          const c = open[Math.floor(r() * open.length)];
          if (!c) continue;
          ended.add(c);
          await me.acd.callerLeft(c);
        } else if (op < 0.95) {
          for (const t of me.timers.due(now)) if (t.kind === 'wrap-up-end') await me.acd.onTimer(t);
        } else {
          await me.acd.sweep();
        }
      }
    };
    await Promise.all(Array.from({ length: INSTANCES }, (_, i) => driver(1000 + i)));

    // Wind down: every caller leaves, every lease and wrap-up runs out.
    for (let c = 0; c < nextCall; c++) await instances[c % INSTANCES]!.acd.callerLeft(`c${c}`);
    now += 60_000;
    for (const x of instances) {
      await x.acd.releaseExpiredLeases();
      for (const t of x.timers.due(now)) await x.acd.onTimer(t);
    }
    checking = false;
    await checkerLoop;
    await check();

    expect(violations.slice(0, 5)).toEqual([]);
    const states = await Promise.all(agents.map(async (a) => (JSON.parse((await checker.get(keys.acdAgent(a.id)))!) as { d: { status: string } }).d.status));
    expect(states.filter((s) => s === 'reserved' || s === 'on-call')).toEqual([]);
    expect(await checker.zcard(keys.leases())).toBe(0);
    const offers = allLegs().length;
    process.stderr.write(`acd race: ${INSTANCES} instances, ${INSTANCES * ROUNDS_PER_DRIVER} rounds, ${nextCall} calls, ${offers} offers, ${connected.size} answered, ${snapshots} snapshots checked, ${multiLeg} ring-all reservations of several agents\n`);
    // Only a check that the race did a lot: how many offers 2,000 rounds make depends on how the
    // four drivers interleave (330-485 on a quiet machine, under 200 seen with the machine loaded).
    expect(offers).toBeGreaterThan(150);
    expect(snapshots).toBeGreaterThan(50);
    // The race covered ring-all: reservations of several agents for one call were committed (13-14 seen on a quiet machine).
    expect(multiLeg).toBeGreaterThan(3);
  } finally {
    const found = await checker.keys(`${prefix}:*`);
    if (found.length > 0) await checker.del(...found);
    for (const c of connections) c.disconnect();
  }
});
