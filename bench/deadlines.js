// Lateness of deadlines (fire time − due time, wall clock, ms): the Redis timer set as the service
// uses it (RedisTimers, one connection from connectRedis, polled every 100 ms as main.ts does) and
// BullMQ delayed jobs (Queue.add with `delay`, one Worker), for docs/decisions/0006.
//   npm run build && node bench/deadlines.js
// Plain JS on dist/ (bench/ is not part of the build). Starts its own redis-server on a free port
// (noeviction, no persistence) and stops it at the end, also on errors and Ctrl-C.
// Knobs (environment): SB_BENCH_RATES (deadlines a second, default "5,100"), SB_BENCH_SPREAD_S
// (how long deadlines are set for, default 20), SB_BENCH_POLL_MS (default 100, the service's),
// SB_BENCH_CONCURRENCY (BullMQ worker, default 8 as src/callbacks/jobs.ts), SB_BENCH_REDIS_HZ
// (Redis's `hz`, default its own 10), SB_BENCH_RESTART=0 skips the restart runs.
/* eslint-disable */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const Redis = require('ioredis').default ?? require('ioredis');
const { Queue, Worker } = require('bullmq');
const { RedisTimers } = require('../dist/platform/timers/redis-timers.js');
const { connectRedis } = require('../dist/platform/redis/connection.js');
const { Keys } = require('../dist/platform/redis/keys.js');
const { systemClock } = require('../dist/platform/clock.js');

const RATES = (process.env.SB_BENCH_RATES ?? '5,100').split(',').map(Number);
const SPREAD_S = Number(process.env.SB_BENCH_SPREAD_S ?? 20);
const POLL_MS = Number(process.env.SB_BENCH_POLL_MS ?? 100);
const CONCURRENCY = Number(process.env.SB_BENCH_CONCURRENCY ?? 8); // src/callbacks/jobs.ts's
const RESTART = process.env.SB_BENCH_RESTART !== '0';
const REDIS_HZ = process.env.SB_BENCH_REDIS_HZ; // unset: Redis's default (10), as the stack and compose files run it
const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;
const DUP_SHARE = 0.1; // this share of deadlines is set twice (a retried request): must still fire once
const RESERVED_PORTS = new Set([6390, 6490, 6590]); // the stack profiles' Redis ports

const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {}, child() { return quiet; } };

function pct(samples, p) {
  const s = [...samples].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Deterministic random numbers, so both mechanisms get the same deadlines. */
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** CPU ms (user + system) of a process, from /proc. */
function procCpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

// ---- our own redis-server ----
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (!RESERVED_PORTS.has(port)) return port;
  }
}
let server;
function killServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
process.on('exit', killServer);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killServer();
    process.exit(130);
  });
}
async function startRedis() {
  const port = await freePort();
  server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--maxmemory-policy', 'noeviction', ...(REDIS_HZ ? ['--hz', REDIS_HZ] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((_, reject) => server.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${stderr}`))));
  exited.catch(() => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => c.end(() => resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (up) break;
    if (server.exitCode !== null) await exited;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}: ${stderr}`);
    await sleep(50);
  }
  const admin = new Redis({ host: '127.0.0.1', port });
  admin.on('error', () => {});
  await admin.ping();
  const policy = (await admin.config('GET', 'maxmemory-policy'))[1];
  if (policy !== 'noeviction') throw new Error(`maxmemory-policy is ${policy}`);
  return { port, admin };
}

// ---- the two mechanisms, each: add(id, due), stop() ----
/** The Redis timer set exactly as main.ts uses it: one connectRedis connection, set(), start(fire) every POLL_MS. */
async function timerSet(port, prefix, onFire) {
  const redis = connectRedis(`redis://127.0.0.1:${port}/0`, quiet);
  await new Promise((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', resolve)));
  const make = () => new RedisTimers(redis, new Keys(prefix), systemClock, quiet);
  let timers = make();
  const start = () => timers.start(async (id) => onFire(id), POLL_MS);
  start();
  return {
    add: (id, due) => timers.set(id, due, { kind: 'ring-timeout', callId: id, legId: `${id}-leg` }),
    pause: () => timers.stop(),
    resume: () => {
      timers = make(); // a fresh instance, as after a restart
      start();
    },
    stop: async () => {
      await timers.stop();
      redis.disconnect();
    },
  };
}
/** BullMQ as src/callbacks/jobs.ts uses it: a producer Queue without an offline queue, one Worker
 *  (maxRetriesPerRequest null, concurrency 8), ids from business keys, the same job options. */
async function bull(port, name, onFire) {
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port, enableOfflineQueue: false } });
  queue.on('error', (err) => console.error(`queue error: ${err.message}`));
  await queue.waitUntilReady();
  const makeWorker = async () => {
    const w = new Worker(name, async (job) => onFire(job.id), { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null }, concurrency: CONCURRENCY });
    w.on('error', (err) => console.error(`worker error: ${err.message}`));
    await w.waitUntilReady();
    return w;
  };
  let worker = await makeWorker();
  return {
    add: (id, due) => {
      const timestamp = Date.now();
      return queue.add('due', { id }, { jobId: id, timestamp, delay: Math.max(0, due - timestamp), attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } });
    },
    pause: () => worker.close(),
    resume: async () => {
      worker = await makeWorker();
    },
    stop: async () => {
      await worker.close();
      await queue.close();
    },
  };
}

/** Record of one run: lateness of each deadline's first firing, and how often each fired. */
function recorder() {
  const due = new Map();
  const count = new Map();
  const late = [];
  return {
    due,
    count,
    late,
    onFire(id) {
      const now = Date.now();
      const c = (count.get(id) ?? 0) + 1;
      count.set(id, c);
      if (c === 1) late.push({ id, late: now - due.get(id), at: now });
    },
    twice: () => [...count.values()].filter((c) => c > 1).length,
  };
}
async function waitAll(rec, n, untilMs) {
  while (rec.count.size < n && Date.now() < untilMs) await sleep(50);
  await sleep(500); // a second firing would show here
}

const results = [];
function report(name, rec, n, extra = '') {
  const l = rec.late.map((x) => x.late);
  const row = { name, n, fired: rec.count.size, twice: rec.twice(), min: pct(l, 0), p50: pct(l, 50), p95: pct(l, 95), p99: pct(l, 99), max: pct(l, 100) };
  results.push(row);
  const f = (v) => `${v}`.padStart(5);
  console.log(`${name.padEnd(34)} n=${String(n).padStart(4)} fired ${String(row.fired).padStart(4)} twice ${row.twice}  lateness ms: p50 ${f(row.p50)}  p95 ${f(row.p95)}  p99 ${f(row.p99)}  max ${f(row.max)}  min ${f(row.min)}${extra}`);
}

/** SPREAD_S seconds of deadlines at `rate` a second, each due 0.1–10 s after it is set. */
async function spreadRun(mechanism, rate, port, admin, redisPid) {
  await admin.flushall();
  const rnd = mulberry32(rate * 7919);
  const n = Math.round(rate * SPREAD_S);
  const plan = Array.from({ length: n }, (_, i) => ({ id: `cb-${i}-due-1`, at: (i * 1000) / rate, delay: Math.round(MIN_DELAY_MS + rnd() * (MAX_DELAY_MS - MIN_DELAY_MS)), dup: rnd() < DUP_SHARE }));
  const rec = recorder();
  const m = mechanism === 'timers' ? await timerSet(port, `sbbench-${rate}`, rec.onFire) : await bull(port, `sbbench-${rate}`, rec.onFire);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const rcpu0 = procCpuMs(redisPid);
  const t0 = Date.now();
  const pending = [];
  let addErrors = 0;
  let next = 0;
  await new Promise((resolve) => {
    const iv = setInterval(() => {
      const el = Date.now() - t0;
      while (next < n && plan[next].at <= el) {
        const p = plan[next++];
        const due = Date.now() + p.delay;
        rec.due.set(p.id, due);
        pending.push(m.add(p.id, due).catch(() => addErrors++));
        if (p.dup) pending.push(m.add(p.id, due).catch(() => addErrors++));
      }
      if (next >= n) {
        clearInterval(iv);
        resolve();
      }
    }, Math.max(1, Math.min(50, Math.floor(1000 / rate))));
  });
  await Promise.all(pending);
  await waitAll(rec, n, Date.now() + MAX_DELAY_MS + 5000);
  const secs = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rcpu = procCpuMs(redisPid) - rcpu0;
  loop.disable();
  await m.stop();
  const name = mechanism === 'timers' ? `timer set (poll ${POLL_MS} ms), ${rate}/s` : `BullMQ delayed jobs, ${rate}/s`;
  report(name, rec, n, `  | add errors ${addErrors}, event loop p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, CPU node ${((cpu.user + cpu.system) / 1000 / secs).toFixed(0)} ms/s, redis ${(rcpu / secs).toFixed(0)} ms/s`);
}

/** Consumer away for GAP_MS (a graceful restart): deadlines due meanwhile fire when it is back, once. */
async function restartRun(mechanism, port, admin) {
  const N = 1000;
  const STOP_AT = 1000;
  const GAP_MS = 2000;
  await admin.flushall();
  const rnd = mulberry32(4242);
  const rec = recorder();
  const m = mechanism === 'timers' ? await timerSet(port, 'sbbench-restart', rec.onFire) : await bull(port, 'sbbench-restart', rec.onFire);
  const t0 = Date.now();
  // N deadlines due between 0.5 s and 4.5 s from now, set at once.
  await Promise.all(Array.from({ length: N }, (_, i) => { const due = t0 + 500 + Math.round(rnd() * 4000); rec.due.set(`cb-${i}-due-1`, due); return m.add(`cb-${i}-due-1`, due); }));
  await sleep(t0 + STOP_AT - Date.now());
  await m.pause();
  const stopped = Date.now();
  await sleep(GAP_MS);
  const restarted = Date.now();
  await m.resume();
  await waitAll(rec, N, Date.now() + 10_000);
  await m.stop();
  const inGap = rec.late.filter((x) => rec.due.get(x.id) > stopped && rec.due.get(x.id) <= restarted);
  const after = rec.late.filter((x) => rec.due.get(x.id) > restarted + 200);
  const caughtUp = Math.max(...inGap.map((x) => x.at)) - restarted;
  const name = mechanism === 'timers' ? 'timer set, consumer restarted' : 'BullMQ, worker restarted';
  report(name, rec, N, `  | ${inGap.length} due while away, all fired ${caughtUp} ms after the restart; due after it: p50 ${pct(after.map((x) => x.late), 50)}, p99 ${pct(after.map((x) => x.late), 99)} ms`);
}

async function main() {
  const { port, admin } = await startRedis();
  const info = await admin.info('server');
  const hz = (await admin.config('GET', 'hz'))[1];
  const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`Redis ${/redis_version:(\S+)/.exec(info)?.[1]} on 127.0.0.1:${port} (own, noeviction, hz ${hz}); node ${process.version}; BullMQ ${require('bullmq/package.json').version}; ${os.cpus().length} cores; load ${load0}`);
  console.log(`deadlines set for ${SPREAD_S} s at ${RATES.join(', ')}/s, each due ${MIN_DELAY_MS / 1000}–${MAX_DELAY_MS / 1000} s after it is set, ${DUP_SHARE * 100} % set twice; worker concurrency ${CONCURRENCY}`);
  try {
    for (const rate of RATES) {
      await spreadRun('timers', rate, port, admin, server.pid);
      await spreadRun('bullmq', rate, port, admin, server.pid);
    }
    if (RESTART) {
      await restartRun('timers', port, admin);
      await restartRun('bullmq', port, admin);
    }
  } finally {
    admin.disconnect();
    killServer();
  }
  console.log(`load ${load0} -> ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (results.some((r) => r.twice > 0 || r.fired < r.n)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  killServer();
  process.exitCode = 1;
});
