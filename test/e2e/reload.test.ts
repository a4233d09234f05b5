// Routing files change under a running service: a valid change is swapped in (file watch, the
// API, SIGHUP); an invalid one is refused with its location and the running configuration stays;
// a caller already waiting keeps their place.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ariUrl, redisUrl, ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);

const ADMIN = 'reload-test-admin-token-01';
let t: TestService | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function configCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-reload-'));
  await cp(path.join(ROOT, 'test', 'fixtures', 'acd'), dir, { recursive: true });
  return dir;
}

test('watch and API: a bad edit is refused with its place, a good one is swapped in, a waiting call keeps its place', async () => {
  const dir = await configCopy();
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: dir, SWITCHBOARD_API_TOKENS: `admin:${ADMIN}` });
  await waitReady(t);
  const svc = t.service;
  const api = (p: string) => fetch(`http://127.0.0.1:${svc.httpPort}${p}`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}` } });

  // A caller waits in billing (nobody staffed).
  const waiting = placeCall(`127.0.0.1:${TEST.SIP_PORT}`, '5003', callerScenario({ callerNumber: '15550601', hangupAfterMs: 8000 }), { rtpPort: 9, timeoutS: 60 });
  const entryKey = () => t!.redis.keys(`${t!.prefix}:acd:entry:*`);
  await waitFor('the caller queued', async () => (await entryKey()).length === 1);
  const [key] = await entryKey();
  const before = await t.redis.get(key!);

  // An unknown skill in a requirement: refused, with file, line and column.
  const queues = path.join(dir, 'queues.yaml');
  const good = await readFile(queues, 'utf8');
  await writeFile(queues, good.replace('requires: skill.billing >= 1', 'requires: skill.biling >= 1'));
  await waitFor('the refused reload', () => svc.readiness().checks.config?.ok === false, 10_000);
  expect(svc.readiness().checks.config?.detail).toMatch(/queues\.yaml:\d+:\d+: queues\.billing\.requires: .*biling/);
  expect(svc.readiness().ready).toBe(true); // still serving with the previous configuration
  const refused = await api('/api/config/reload');
  expect(refused.status).toBe(422);
  expect(((await refused.json()) as { detail: string }).detail).toMatch(/queues\.yaml:\d+:\d+/);

  // Fixed, plus a new number: swapped in; the waiting caller is untouched.
  await writeFile(path.join(dir, 'numbers.yaml'), (await readFile(path.join(dir, 'numbers.yaml'), 'utf8')) + '  "5009": { greeting: [hello-world] }\n');
  await writeFile(queues, good);
  await waitFor('the good reload', () => svc.readiness().checks.config?.ok === true, 10_000);
  const ok = await api('/api/config/reload');
  expect(ok.status).toBe(200);
  expect(await t.redis.get(key!)).toBe(before);
  const res = await placeCall(`127.0.0.1:${TEST.SIP_PORT}`, '5009', callerScenario({ callerNumber: '15550602', byeTimeoutMs: 15_000 }), { rtpPort: 9 });
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  const caller = await waiting;
  expect({ code: caller.code, out: caller.code === 0 ? '' : caller.output }).toEqual({ code: 0, out: '' });
});

test('SIGHUP reloads the routing files of a running `switchboard start`', async () => {
  const dir = await configCopy();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      SWITCHBOARD_ARI_URL: ariUrl(),
      SWITCHBOARD_ARI_PASSWORD: TEST.ARI_PASSWORD,
      SWITCHBOARD_ARI_APP: 'sb-reload-test',
      SWITCHBOARD_REDIS_URL: redisUrl(),
      SWITCHBOARD_HTTP_PORT: '0',
      SWITCHBOARD_CONFIG_DIR: dir,
      SWITCHBOARD_WATCH_CONFIG: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  try {
    await waitFor('started', () => out.includes('"msg":"HTTP listening"'), 15_000);
    await writeFile(path.join(dir, 'numbers.yaml'), (await readFile(path.join(dir, 'numbers.yaml'), 'utf8')) + '  "5010": { greeting: [hello-world] }\n');
    child.kill('SIGHUP');
    await waitFor('the reload', () => out.includes('"msg":"routing configuration reloaded"'), 10_000);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
});
