// The "bench" stack profile (config/stack/bench.env) through scripts/stack.sh, and what the
// benchmark asks of it directly: the pids of Asterisk and Redis, ARI's channel list, Redis FLUSHDB.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchProfile } from './options';
import { run, waitFor } from './procs';

export const REPO = path.resolve(__dirname, '..', '..', '..');
const STACK = path.join(REPO, 'scripts', 'stack.sh');
export const PROFILE = 'bench';

/** Runs `scripts/stack.sh <cmd> bench`; throws with its output when it fails. */
export async function stack(cmd: string, timeoutMs = 600_000): Promise<string> {
  const r = await run('bash', [STACK, cmd, PROFILE], { timeoutMs });
  if (r.code !== 0) throw new Error(`scripts/stack.sh ${cmd} ${PROFILE} failed:\n${r.out}`);
  return r.out;
}

/** The service's SWITCHBOARD_* variables for the profile (`stack.sh env`). */
export async function serviceEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const line of (await stack('env')).split('\n')) {
    const m = /^(SWITCHBOARD_[A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}

/** Asterisk's and Redis's pids, from the pid files the stack records in its state folder. */
export async function stackPids(): Promise<{ asterisk: number; redis: number }> {
  const stateDir = /^state dir:\s+(.*)$/m.exec(await stack('logs'))?.[1]?.trim();
  if (!stateDir) throw new Error('scripts/stack.sh logs bench named no state dir');
  const pid = (file: string): number => {
    const n = Number(readFileSync(path.join(stateDir, file), 'utf8').trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`no pid in ${path.join(stateDir, file)}`);
    return n;
  };
  return { asterisk: pid('asterisk.pid'), redis: pid(path.join('redis', 'redis.pid')) };
}

export class Ari {
  private readonly base: string;
  private readonly auth: string;

  constructor(p: BenchProfile) {
    this.base = `http://127.0.0.1:${p.ariPort}/ari`;
    this.auth = `Basic ${Buffer.from(`${p.ariUser}:${p.ariPassword}`).toString('base64')}`;
  }

  async channels(): Promise<string[]> {
    const res = await fetch(`${this.base}/channels`, { headers: { Authorization: this.auth }, signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`ARI GET /channels answered ${res.status}`);
    return ((await res.json()) as Array<{ id: string }>).map((c) => c.id);
  }

  async hangup(id: string): Promise<void> {
    await fetch(`${this.base}/channels/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { Authorization: this.auth }, signal: AbortSignal.timeout(5000) });
  }

  /**
   * Waits until Asterisk has no channel left from an earlier step (deadline `timeoutMs`); what is
   * still there then is hung up. Resolves with how many channels had to be hung up.
   */
  async waitIdle(timeoutMs: number): Promise<number> {
    try {
      await waitFor('Asterisk to have no channels left', async () => (await this.channels()).length === 0, timeoutMs, 200);
      return 0;
    } catch {
      const left = await this.channels();
      for (const id of left) await this.hangup(id);
      await waitFor('Asterisk to have no channels after hanging up the leftovers', async () => (await this.channels()).length === 0, 15_000, 200);
      return left.length;
    }
  }
}

/** Empties the bench profile's Redis (Switchboard's state), so each Switchboard step starts alike. */
export async function flushRedis(port: number): Promise<void> {
  const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'FLUSHDB']);
  if (r.code !== 0 || !/OK/.test(r.out)) throw new Error(`redis-cli FLUSHDB on port ${port} failed: ${r.out}`);
}
