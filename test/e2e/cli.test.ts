// The built `switchboard` command: bad input at start gives one clear line and no tight loop.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../support/net';
import { ariUrl, redisUrl, ROOT, TEST } from '../support/stack';

jest.setTimeout(60_000);
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number>;
}

function run(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  return { child, out: () => out, exited };
}

const base = {
  SWITCHBOARD_ARI_URL: ariUrl(),
  SWITCHBOARD_ARI_USER: TEST.ARI_USER,
  SWITCHBOARD_ARI_PASSWORD: TEST.ARI_PASSWORD,
  SWITCHBOARD_ARI_APP: 'sb-cli-test',
  SWITCHBOARD_REDIS_URL: redisUrl(),
  SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'config', 'demo'),
  SWITCHBOARD_HTTP_PORT: '0',
};

/** The HTTP port the service logged (it listens on port 0, chosen by the OS). */
function httpPort(r: Run): Promise<number> {
  return waitFor('the HTTP listening line', () => {
    const m = /"port":(\d+),"msg":"HTTP listening"/.exec(r.out());
    return m ? Number(m[1]) : undefined;
  });
}

async function readyz(port: number): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

async function stop(r: Run): Promise<number> {
  r.child.kill('SIGTERM');
  return r.exited;
}

test('a missing configuration folder: its name and the reason, exit non-zero', async () => {
  const r = run(['start'], { ...base, SWITCHBOARD_CONFIG_DIR: '/nonexistent/switchboard-config' });
  expect(await r.exited).toBe(1);
  expect(r.out()).toContain('/nonexistent/switchboard-config: cannot read configuration folder: ENOENT');
});

test('wrong ARI credentials: a clear error, not ready, and no tight retry loop', async () => {
  const r = run(['start'], { ...base, SWITCHBOARD_ARI_PASSWORD: 'wrong-password' });
  const port = await httpPort(r).catch(() => 0);
  try {
    await waitFor('the credentials error', () => r.out().includes('rejected the credentials'), 10_000);
    const { status, body } = await readyz(port);
    expect(status).toBe(503);
    // The next try is 30 s away: no tight loop.
    expect(body.checks.ari).toEqual({ ok: false, detail: expect.stringMatching(/^credentials rejected \(HTTP 401.*\); next try in 30 s$/) });
    expect(body.checks.redis!.ok).toBe(true);
    expect(r.out().split('rejected the credentials').length - 1).toBe(1);
    expect(r.out()).not.toContain('wrong-password');
  } finally {
    expect(await stop(r)).toBe(0);
  }
});

test('Redis unreachable at start: one line naming the URL, not ready, and it keeps trying', async () => {
  const r = run(['start'], { ...base, SWITCHBOARD_REDIS_URL: 'redis://127.0.0.1:1/0' });
  const port = await httpPort(r).catch(() => 0);
  try {
    await waitFor('the Redis error', () => r.out().includes('cannot reach Redis at redis://127.0.0.1:1/0'), 10_000);
    const { status, body } = await readyz(port);
    expect(status).toBe(503);
    expect(body.checks.redis).toEqual({ ok: false, detail: expect.stringContaining('redis://127.0.0.1:1/0') });
    expect(r.out().split('cannot reach Redis').length - 1).toBe(1);
  } finally {
    expect(await stop(r)).toBe(0);
  }
});

test('healthz answers and an unknown route gets a problem-details 404', async () => {
  const r = run(['start'], { ...base });
  const port = await httpPort(r).catch(() => 0);
  try {
    await waitFor('ready', async () => (await readyz(port).catch(() => undefined))?.status === 200, 15_000);
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
    const res = await fetch(`http://127.0.0.1:${port}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ type: 'urn:switchboard:problem:not_found', title: 'Not Found', status: 404, code: 'not_found', detail: 'no such route' });
  } finally {
    expect(await stop(r)).toBe(0);
  }
});
