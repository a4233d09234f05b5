// Routing decision latency at scale: 10,000 agents, 200 skills, 5,000 waiting calls.
//   npm run bench:routing            (starts its own Redis on a free port; or SB_BENCH_REDIS_URL=redis://…)
// Prints p50/p99 for (1) the pure choice of an agent for a new call, (2) the pure choice of a call
// for an agent who became available, (3) choice + the atomic reservation commit in Redis, (4) the
// service's path: the in-memory agent copy brought up to date from Redis, choice and commit, and
// compares with bench/baseline.json and the targets (p99 ≤ 1 ms pure, ≤ 5 ms with Redis).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { AcdStore } from '../src/acd/store/acd-store';
import { AcdOperations } from '../src/acd/store/operations';
import type { AcdEntry } from '../src/acd/ports';
import { OfferableAgents } from '../src/acd/service/offerable-agents';
import { Keys } from '../src/platform/redis/keys';
import { applyAgentEvent } from '../src/acd/domain/agent';
import { compileRequirement } from '../src/acd/domain/expression';
import type { AgentProfile, AgentState, QueueConfig, QueueEntry, Strategy } from '../src/acd/domain/model';
import { selectAgent, selectCall, type AgentView } from '../src/acd/domain/select';

const AGENTS = 10_000;
const SKILLS = 200;
const CALLS = 5_000;
const QUEUES = 100;
const SAMPLES = Number(process.env.SB_BENCH_SAMPLES ?? 3000);

// A small deterministic PRNG, so every run measures the same data.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const skills = Array.from({ length: SKILLS }, (_, i) => `s${i}`);
const catalog = { skills: new Set(skills), languages: new Set(['en', 'es', 'fr']) };
const strategies: Strategy[] = ['longest-idle', 'most-skilled', 'fewest-calls', 'least-talk-time', 'round-robin', 'random'];

const queues = new Map<string, QueueConfig>();
for (let q = 0; q < QUEUES; q++) {
  const a = skills[q % SKILLS]!;
  const b = skills[(q * 7 + 3) % SKILLS]!;
  const source = q % 3 === 0 ? `skill.${a} >= 3 and language == call.language` : q % 3 === 1 ? `skill.${a} >= 5 or skill.${b} >= 8` : `skill.${a} >= 1`;
  queues.set(`q${q}`, {
    id: `q${q}`,
    name: `q${q}`,
    steps: [
      { afterS: 0, requirement: compileRequirement(source, catalog) },
      { afterS: 30, requirement: compileRequirement(`skill.${a} >= 1`, catalog) },
    ],
    strategy: strategies[q % strategies.length]!,
    rankSkill: a,
    ringTimeoutS: 15,
    wrapUpS: 5,
    serviceLevel: { thresholdS: 20, targetPct: 80 },
    musicClass: 'default',
    announcements: { position: false, estimatedWait: false, positionOnlyWhenImproved: true, firstAfterS: 15, everyS: 30 },
    maxMissedOffers: 3,
  });
}

const views: AgentView[] = [];
for (let i = 0; i < AGENTS; i++) {
  const mine: Record<string, number> = {};
  for (let k = 0, n = 2 + Math.floor(rand() * 4); k < n; k++) mine[pick(skills)] = 1 + Math.floor(rand() * 10);
  const profile: AgentProfile = { id: `a${i}`, name: `a${i}`, endpoint: `PJSIP/a${i}`, skills: mine, languages: rand() < 0.3 ? ['en', 'es'] : ['en'], autoLogin: false };
  const available = rand() < 0.3; // a busy center: most agents are on calls
  const state: AgentState = {
    id: profile.id,
    status: available ? 'available' : 'on-call',
    since: 0,
    idleSince: Math.floor(rand() * 1e6),
    missed: 0,
    callsTaken: Math.floor(rand() * 50),
    talkTimeMs: Math.floor(rand() * 1e7),
    reachable: true,
    ...(available ? {} : { callId: `busy${i}` }),
  };
  views.push({ profile, state });
}
const NOW = 2_000_000;
const entries: QueueEntry[] = Array.from({ length: CALLS }, (_, i) => ({
  callId: `c${i}`,
  queue: `q${Math.floor(rand() * QUEUES)}`,
  priority: rand() < 0.05 ? 5 : 0,
  enqueuedAt: NOW - Math.floor(rand() * 120_000),
  queuedAt: NOW - Math.floor(rand() * 120_000),
  attributes: { language: rand() < 0.2 ? 'es' : 'en' },
}));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (ns: number) => ns / 1e6;

type Result = { p50: number; p99: number };
const results: Record<string, Result> = {};
function record(name: string, samples: number[], target: number): void {
  const r = { p50: ms(pct(samples, 50)), p99: ms(pct(samples, 99)) };
  results[name] = r;
  const ok = r.p99 <= target ? 'ok' : 'OVER TARGET';
  console.log(`${name.padEnd(44)} p50 ${r.p50.toFixed(3).padStart(7)} ms  p99 ${r.p99.toFixed(3).padStart(7)} ms  target p99 ≤ ${target} ms: ${ok}`);
}

function benchPure(): void {
  const available = views.filter((v) => v.state.status === 'available');
  // The service hands the selection only the offerable agents (OfferableAgents); the second
  // line is the selection over every agent, for comparison.
  for (const [name, list] of [
    ['pure: agent for a new call (10k agents)', available],
    ['pure: same, scanning all 10k agents', views],
  ] as const) {
    // Warm up the JIT.
    for (let i = 0; i < 300; i++) selectAgent(queues.get(entries[i % CALLS]!.queue)!, entries[i % CALLS]!, list, { now: NOW, random: rand });
    const a: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const e = entries[Math.floor(rand() * CALLS)]!;
      const t0 = process.hrtime.bigint();
      selectAgent(queues.get(e.queue)!, e, list, { now: NOW, random: rand, lastPicked: 'a5000' });
      a.push(Number(process.hrtime.bigint() - t0));
    }
    record(name, a, 1);
  }
  for (let i = 0; i < 300; i++) selectCall(available[i % available.length]!, entries, queues, NOW);
  const c: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const v = available[Math.floor(rand() * available.length)]!;
    const t0 = process.hrtime.bigint();
    selectCall(v, entries, queues, NOW);
    c.push(Number(process.hrtime.bigint() - t0));
  }
  record('pure: call for a free agent (5k calls)', c, 1);
}

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  if (process.env.SB_BENCH_REDIS_URL) return { url: process.env.SB_BENCH_REDIS_URL, stop: () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  for (let i = 0; i < 100; i++) {
    try {
      if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'PONG') break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => child.kill() };
}

async function benchWithRedis(): Promise<void> {
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    const store = new AcdStore(redis, new Keys(`bench${process.pid}`));
    // Load the snapshot into Redis as versioned documents (version 1), listed in the agents index.
    const versions = new Map<string, number>();
    for (let i = 0; i < AGENTS; i += 500) {
      await store.commit({ expect: views.slice(i, i + 500).map((v) => ({ key: store.agentKey(v.profile.id), v: 0 })), put: views.slice(i, i + 500).map((v) => ({ key: store.agentKey(v.profile.id), doc: v.state, v: 1 })), sadd: views.slice(i, i + 500).map((v) => ({ key: store.agentsKey(), member: v.profile.id })) });
    }
    for (const v of views) versions.set(v.profile.id, 1);
    for (let i = 0; i < CALLS; i += 500) {
      const chunk = entries.slice(i, i + 500);
      await store.commit({
        expect: chunk.map((e) => ({ key: store.entryKey(e.callId), v: 0 })),
        put: chunk.map((e) => ({ key: store.entryKey(e.callId), doc: { ...e, state: 'waiting' }, v: 1 })),
        zadd: chunk.map((e) => ({ key: store.queueWaitingKey(e.queue), score: e.enqueuedAt, member: e.callId })),
        sadd: [...new Set(chunk.map((e) => e.queue))].map((q) => ({ key: store.queuesKey(), member: q })),
      });
    }
    for (const e of entries) versions.set(e.callId, 1);

    // The operations the loops below store, through the ACD's own store port (AcdOperations).
    const ops = new AcdOperations(store);
    const asEntry = (e: QueueEntry, v: number) => ({ v, d: { ...e, state: 'waiting' } as AcdEntry });
    const enqueueCall = (e: QueueEntry) => ops.addEntry({ ...e, state: 'waiting' } as AcdEntry);
    const endCall = (e: QueueEntry) => ops.removeEntry(asEntry(e, 1));
    const reserve = (e: QueueEntry, chosen: AgentView, av: number) =>
      ops.reserve(asEntry(e, 1), { ...(e as AcdEntry), state: 'offered', agentId: chosen.profile.id }, { cur: { v: av, d: chosen.state }, next: applyAgentEvent(chosen.state, { type: 'reserve', callId: e.callId, at: NOW }) }, NOW + 25_000);
    /** Puts a reserved agent back as it was, so the pool stays the same size (outside the timed part). */
    const putBack = (chosen: AgentView, av: number) => ops.releaseLease(chosen.profile.id, { cur: { v: av + 1, d: applyAgentEvent(chosen.state, { type: 'reserve', callId: 'x', at: NOW }) }, next: chosen.state });

    // The other direction as the service does it (AcdService.matchAgent): the in-memory copy of
    // the waiting calls brought up to date from the change feed, then the best call for a free
    // agent. Between two decisions one call ends and another arrives, as in a busy center.
    const waitingRead: number[] = [];
    const free0 = views.filter((v) => v.state.status === 'available');
    const fullReads: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = process.hrtime.bigint();
      if ((await store.waitingEntries()).length !== CALLS) throw new Error('waiting entries');
      if (i >= 10) fullReads.push(Number(process.hrtime.bigint() - t0));
    }
    console.log(`  (reading all ${CALLS} waiting entries, as each decision did before the copy: p50 ${ms(pct(fullReads, 50)).toFixed(1)} ms, p99 ${ms(pct(fullReads, 99)).toFixed(1)} ms)`);
    await store.currentWaiting(); // the first read loads every waiting entry
    for (let i = 0; i < 500; i++) {
      await endCall(entries[i]!);
      await enqueueCall({ ...entries[i]!, callId: `n${i}` });
      const agent = free0[Math.floor(rand() * free0.length)]!;
      const t0 = process.hrtime.bigint();
      const { docs } = await store.currentWaiting();
      const eligible: QueueEntry[] = [];
      for (const w of docs.values()) eligible.push(w.d);
      selectCall(agent, eligible, queues, NOW);
      if (i >= 20) waitingRead.push(Number(process.hrtime.bigint() - t0));
      if (docs.size !== CALLS) throw new Error(`waiting entries: ${docs.size}`);
    }
    record('service path: waiting copy + best call', waitingRead, 5);
    // Put the 500 calls back under their first ids for the reservation loops below.
    for (let i = 0; i < 500; i++) {
      await endCall({ ...entries[i]!, callId: `n${i}` });
      await enqueueCall(entries[i]!);
    }

    const offerable = views.filter((v) => v.state.status === 'available');
    const samples: number[] = [];
    let conflicts = 0;
    const free = [...entries];
    for (let i = 0; i < Math.min(SAMPLES, 2000) && free.length > 0; i++) {
      const e = free.splice(Math.floor(rand() * free.length), 1)[0]!;
      const q = queues.get(e.queue)!;
      const t0 = process.hrtime.bigint();
      const chosen = selectAgent(q, e, offerable, { now: NOW, random: rand });
      if (chosen) {
        const av = versions.get(chosen.profile.id)!;
        const r = await reserve(e, chosen, av);
        samples.push(Number(process.hrtime.bigint() - t0));
        if (!r.ok) conflicts++;
        await putBack(chosen, av);
        versions.set(chosen.profile.id, av + 2);
      }
    }
    record('select + atomic reservation in Redis', samples, 5);
    if (conflicts > 0) console.log(`  (${conflicts} conflicting commits: unexpected with one router)`);

    // The service's own path (AcdService.matchCall): bring the in-memory agent copy up to date
    // from the change feed, update the selection's views by what changed, select, commit.
    // Between two decisions the previous decision's writes (reserve and put back) are what
    // changed, as in a busy center.
    const profiles = new Map(views.map((v) => [v.profile.id, v.profile]));
    const agentViews = new OfferableAgents();
    agentViews.update(await store.currentAgents(), profiles); // the first read loads all 10,000 documents
    const service: number[] = [];
    conflicts = 0;
    for (let i = 0; i < Math.min(SAMPLES, 2000) && free.length > 0; i++) {
      const e = free.splice(Math.floor(rand() * free.length), 1)[0]!;
      const q = queues.get(e.queue)!;
      const t0 = process.hrtime.bigint();
      const { views: live, version } = agentViews.update(await store.currentAgents(), profiles);
      const chosen = selectAgent(q, e, live, { now: NOW, random: rand });
      if (!chosen) continue;
      const av = version(chosen.profile.id);
      const r = await reserve(e, chosen, av);
      service.push(Number(process.hrtime.bigint() - t0));
      if (!r.ok) conflicts++;
      await putBack(chosen, av);
    }
    record('service path: agent copy + select + reserve', service, 5);
    if (conflicts > 0) console.log(`  (${conflicts} conflicting commits: unexpected with one router)`);
    const t0 = process.hrtime.bigint();
    await new AcdStore(redis, new Keys(`bench${process.pid}`)).currentAgents();
    console.log(`  (a fresh instance's first read of all ${AGENTS} agents: ${ms(Number(process.hrtime.bigint() - t0)).toFixed(1)} ms, once)`);
  } finally {
    redis.disconnect();
    server.stop();
  }
}

async function main(): Promise<void> {
  console.log(`routing benchmark: ${AGENTS} agents (30 % available), ${SKILLS} skills, ${QUEUES} queues, ${CALLS} waiting calls, ${SAMPLES} samples; node ${process.version}`);
  benchPure();
  await benchWithRedis();
  try {
    const baseline = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'bench', 'baseline.json'), 'utf8')) as Record<string, Result>;
    console.log('\ncompared with bench/baseline.json (p99):');
    for (const [name, r] of Object.entries(results)) {
      const b = baseline[name];
      if (b) console.log(`  ${name.padEnd(44)} ${b.p99.toFixed(3)} → ${r.p99.toFixed(3)} ms (${(((r.p99 - b.p99) / b.p99) * 100).toFixed(0)} %)`);
    }
  } catch {
    console.log('\nno bench/baseline.json to compare with');
  }
  if (process.env.SB_BENCH_JSON) console.log(JSON.stringify(results));
}

void main();
