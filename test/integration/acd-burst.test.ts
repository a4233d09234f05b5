// Calls arriving together (a burst) on the real Redis store: every call that has an agent gets
// one at once, never left for the periodic sweep, and no decision gives up. All the calls want
// the same longest-idle agent first; matches in one instance leave each other's agent alone, and
// a conflict with another instance is decided again on fresh data.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import pino from 'pino';
import type { AgentProfile, QueueConfig } from '../../src/acd/domain/model';
import { AcdService, type AcdConfigView } from '../../src/acd/service/acd-service';
import { AcdStore } from '../../src/acd/store/acd-store';
import { AcdOperations } from '../../src/acd/store/operations';
import { Keys } from '../../src/platform/redis/keys';
import { agentProfile, queueConfig } from '../support/acd-fixtures';
import { FakeTelephony, MemoryTimers } from '../support/memory-acd';
import { redisUrl } from '../support/stack';

jest.setTimeout(60_000);

const AGENTS = 60;
const queue: QueueConfig = queueConfig('sales', { ringTimeoutS: 15 });
const agents: AgentProfile[] = Array.from({ length: AGENTS }, (_, i) => agentProfile(`a${i}`, { sales: 1 }));
const config: AcdConfigView = { agents: new Map(agents.map((a) => [a.id, a])), queues: new Map([['sales', queue]]), pauseReasons: new Map() };
const connections: Redis[] = [];

afterAll(() => {
  for (const r of connections) r.disconnect();
});

function instances(n: number, prefix: string) {
  const keys = new Keys(prefix);
  let now = 1_000_000;
  const problems: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = JSON.parse(chunk.toString()) as { level: number; msg: string; err?: { message?: string } };
      if (line.level >= 40) problems.push(`${line.msg}${line.err?.message ? `: ${line.err.message}` : ''}`);
      cb();
    },
  });
  const list = Array.from({ length: n }, () => {
    const redis = new Redis(redisUrl());
    connections.push(redis);
    const telephony = new FakeTelephony();
    const timers = new MemoryTimers();
    const acd = new AcdService({ store: new AcdOperations(new AcdStore(redis, keys)), telephony, timers, config: () => config, events: { publish: async () => undefined }, clock: { now: () => now }, logger: pino({ level: 'warn' }, sink) });
    return { acd, telephony, timers };
  });
  const originated = () => list.flatMap((x) => x.telephony.log.filter((l) => l.startsWith('originate ')));
  return { list, problems, originated, tick: () => (now += 1) };
}

async function cleanup(prefix: string): Promise<void> {
  const r = new Redis(redisUrl());
  const found = await r.keys(`${prefix}:*`);
  if (found.length > 0) await r.del(...found);
  r.disconnect();
}

test.each([
  [1, AGENTS],
  [3, AGENTS],
])('%i instance(s): %i calls arriving at once on as many free agents are all offered at once, each to its own agent', async (n, calls) => {
  const prefix = `sbburst-${randomUUID().slice(0, 8)}`;
  const t = instances(n, prefix);
  try {
    for (const [i, a] of agents.entries()) {
      const { acd } = t.list[i % n]!;
      await acd.setReachable(a.id, true);
      await acd.agentCommand(a.id, 'login');
      t.tick(); // distinct idle times: every call prefers a0, then a1, …
    }
    await Promise.all(Array.from({ length: calls }, (_, c) => t.list[c % n]!.acd.enqueue({ callId: `c${c}`, channelId: `c${c}`, callerId: '1', queue: 'sales', priority: 0, attributes: {} })));
    const offered = t.originated();
    expect(offered).toHaveLength(calls);
    expect(new Set(offered.map((l) => l.split(' ')[1])).size).toBe(calls); // one agent per call
    expect(new Set(offered.map((l) => l.split(' ')[2]!.replace(/-leg-\d+$/, ''))).size).toBe(calls); // one offer per call
    expect(t.problems).toEqual([]);
    // Nothing was left for a retry timer either.
    expect(t.list.flatMap((x) => [...x.timers.timers.keys()].filter((k) => k.startsWith('step:')))).toEqual([]);
  } finally {
    await cleanup(prefix);
  }
});
