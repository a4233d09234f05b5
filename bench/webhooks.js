// What webhooks cost the publisher: EventBus.publish() time, event-loop delay and Node CPU while
// events are published at a steady rate, with 0 hooks, with a hook to a fast receiver, and with a
// hook to a receiver that never answers (docs/webhooks.md, docs/benchmarks.md "Webhooks").
//   npm run build && SB_BENCH_REDIS_URL=redis://127.0.0.1:6690/0 node bench/webhooks.js
// Plain JS on dist/ (SB_BENCH_DIST names another build folder). The service's side runs as main.ts
// runs it: one connectRedis connection for the journal, RedisJournal, EventBus, WebhookDelivery
// (its own BullMQ connections, worker concurrency 8) in this process. The receivers run in a
// child process, so their CPU is not counted. Every key is written under a fresh prefix, deleted
// at the end. Knobs: SB_BENCH_RATE (events a second, default 200), SB_BENCH_SECONDS (default 10),
// SB_BENCH_BURST (events published back to back after the steady part, default 1000).
/* eslint-disable */
'use strict';
const { fork } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

// ---- the receivers (child process) ----
if (process.argv[2] === '--receiver') {
  const hang = process.argv[3] === 'hang';
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (hang) return; // never answers
      const { event } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      process.send({ lagMs: Date.now() - event.at, steady: event.type === 'queue.entered' });
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
  return;
}

const DIST = path.resolve(process.env.SB_BENCH_DIST ?? path.join(__dirname, '..', 'dist'));
const Redis = require('ioredis').default ?? require('ioredis');
const { Queue } = require('bullmq');
const { EventBus, RedisJournal, EVENT_TYPES } = require(path.join(DIST, 'events'));
const { WebhookDelivery } = require(path.join(DIST, 'webhooks'));
const { typesMatching } = require(path.join(DIST, 'webhooks', 'domain'));
const { connectRedis } = require(path.join(DIST, 'platform', 'redis', 'connection.js'));
const { Keys } = require(path.join(DIST, 'platform', 'redis', 'keys.js'));
const { systemClock } = require(path.join(DIST, 'platform', 'clock.js'));

const URL_ = process.env.SB_BENCH_REDIS_URL;
if (!URL_) {
  console.error('set SB_BENCH_REDIS_URL (a Redis of your own: every key is written under a fresh prefix and deleted)');
  process.exit(2);
}
const RATE = Number(process.env.SB_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.SB_BENCH_SECONDS ?? 10);
const BURST = Number(process.env.SB_BENCH_BURST ?? 1000);
const SECRET = 'bench-secret-0123456789abcdef';

const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {}, fatal() {}, child() { return quiet; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function pct(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const us = (ms) => `${Math.round(ms * 1000)}`;

async function startReceiver(kind) {
  const child = fork(__filename, ['--receiver', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const lags = [];
  const steady = [];
  const port = await new Promise((resolve) =>
    child.on('message', (m) => {
      if (m.port) return resolve(m.port);
      lags.push(m.lagMs);
      if (m.steady) steady.push(m.lagMs);
    }),
  );
  return { url: `http://127.0.0.1:${port}/hook`, lags, steady, stop: () => child.kill('SIGKILL') };
}

function hook(url) {
  return { id: 'bench', url, events: ['*'], types: new Set(typesMatching('*', EVENT_TYPES)), secretEnv: 'SB_BENCH_SECRET', maxAttempts: 8, backoffS: 2, timeoutS: 5 };
}

async function usedMemory(admin) {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
}

async function scenario(name, receiverKind, admin) {
  const prefix = `sbbench-wh-${process.pid}-${name}`;
  const keys = new Keys(prefix);
  const receiver = receiverKind ? await startReceiver(receiverKind) : undefined;
  const hooks = new Map(receiver ? [['bench', hook(receiver.url)]] : []);
  const redis = connectRedis(URL_, quiet);
  await new Promise((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', resolve)));
  const events = new EventBus(new RedisJournal(redis, keys, systemClock, 1), quiet);
  const delivery = new WebhookDelivery({ url: URL_, prefix: keys.bullPrefix(), hooks: () => hooks, clock: systemClock, logger: quiet, env: { SB_BENCH_SECRET: SECRET } });
  await delivery.ready();
  events.subscribe('webhooks', delivery.subscriber);
  delivery.start();
  await sleep(500); // connections settle
  const mem0 = await usedMemory(admin);

  // Steady: RATE events a second, in 10 ms ticks, for SECONDS.
  const cost = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    // As many as are due by now (timers drift; the rate must not).
    const due = Math.floor((RATE * (performance.now() - t0)) / 1000);
    for (; n < due; ) {
      const s = performance.now();
      void events.publish({ type: 'queue.entered', at: Date.now(), callId: `c-${n}`, queue: 'sales', callerId: '15550100', position: 1 + (n % 5), priority: 0 });
      cost.push(performance.now() - s);
      n++;
    }
    await sleep(10);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const drain0 = performance.now();
  await events.drained();
  const drainMs = performance.now() - drain0;

  // Burst: BURST events back to back (a reload or a reconnect announcing many changes at once).
  const burst = [];
  const b0 = performance.now();
  for (let i = 0; i < BURST; i++) {
    const s = performance.now();
    void events.publish({ type: 'agent.state-changed', at: Date.now(), agentId: `a${i}`, from: 'available', to: 'paused' });
    burst.push(performance.now() - s);
  }
  const burstMs = performance.now() - b0;
  await events.drained();
  const total = n + BURST;

  let delivered = '';
  if (receiverKind === 'fast') {
    const until = Date.now() + 60_000;
    while (receiver.lags.length < total && Date.now() < until) await sleep(50);
    const lags = [...receiver.steady].sort((a, b) => a - b);
    const all = [...receiver.lags].sort((a, b) => a - b);
    delivered = `; delivered ${receiver.lags.length}/${total}; publish to receipt ms, steady part p50 ${pct(lags, 50)} p99 ${pct(lags, 99)} max ${lags.at(-1)}, last of the burst ${all.at(-1)}`;
  } else if (receiverKind === 'hang') {
    const q = new Queue('webhooks', { connection: new Redis(URL_, { maxRetriesPerRequest: null }), prefix: keys.bullPrefix() });
    const c = await q.getJobCounts('waiting', 'active', 'delayed');
    await q.close();
    const mem = (await usedMemory(admin)) - mem0;
    delivered = `; jobs waiting ${c.waiting}, active ${c.active}, delayed ${c.delayed}; Redis memory +${(mem / 1024 / 1024).toFixed(1)} MiB (${Math.round(mem / total)} B per queued event)`;
  }
  cost.sort((a, b) => a - b);
  burst.sort((a, b) => a - b);
  const ms = (v) => (v / 1e6).toFixed(1);
  console.log(
    `${name.padEnd(8)} ${n} events in ${(wall / 1000).toFixed(1)} s: publish() µs p50 ${us(pct(cost, 50))} p99 ${us(pct(cost, 99))} max ${us(cost.at(-1))}; ` +
      `loop delay ms p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)}; ` +
      `Node CPU ${Math.round((cpu.user + cpu.system) / 1000 / (wall / 1000))} ms/s; drained ${Math.round(drainMs)} ms after; ` +
      `burst of ${BURST}: ${burstMs.toFixed(1)} ms (p99 ${us(pct(burst, 99))} µs, max ${us(burst.at(-1))} µs)${delivered}`,
  );

  await delivery.stop(1000);
  redis.disconnect();
  receiver?.stop();
  let cursor = '0';
  do {
    const [next, found] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await admin.del(...found);
  } while (cursor !== '0');
}

(async () => {
  const admin = new Redis(URL_);
  admin.on('error', () => {});
  const info = await admin.info('server');
  const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`Redis ${/redis_version:(\S+)/.exec(info)?.[1]} at ${URL_}; node ${process.version}; BullMQ ${require('bullmq/package.json').version}; ${os.cpus().length} cores; load ${load0}`);
  console.log(`${RATE} events/s for ${SECONDS} s (queue.entered), then a burst of ${BURST}; hooks want every event; worker concurrency 8, timeout 5 s`);
  await scenario('0 hooks', undefined, admin);
  await scenario('fast', 'fast', admin);
  await scenario('hanging', 'hang', admin);
  console.log(`load ${load0} -> ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  admin.disconnect();
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
