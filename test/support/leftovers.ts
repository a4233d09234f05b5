// The property every fault test checks at its end: the fault left nothing behind. No channel or
// bridge in Asterisk, and in Redis no queue entry, waiting index member, timer, reservation
// lease, active call, or agent still reserved, on a call or in wrap-up.
import type Redis from 'ioredis';
import { waitFor } from './net';
import { ariUrl, TEST } from './stack';

export async function ariGet<T>(path: string): Promise<T> {
  const res = await fetch(`${ariUrl()}/ari${path}`, { headers: { Authorization: `Basic ${Buffer.from(`${TEST.ARI_USER}:${TEST.ARI_PASSWORD}`).toString('base64')}` } });
  if (!res.ok) throw new Error(`ARI GET ${path}: ${res.status}`);
  return (await res.json()) as T;
}

/** Hangs up every channel and destroys every bridge in the test Asterisk: what an earlier failed test left must not steer this one. */
export async function clearAsterisk(): Promise<void> {
  const auth = { Authorization: `Basic ${Buffer.from(`${TEST.ARI_USER}:${TEST.ARI_PASSWORD}`).toString('base64')}` };
  for (const c of await ariGet<Array<{ id: string }>>('/channels')) await fetch(`${ariUrl()}/ari/channels/${encodeURIComponent(c.id)}`, { method: 'DELETE', headers: auth });
  for (const b of await ariGet<Array<{ id: string }>>('/bridges')) await fetch(`${ariUrl()}/ari/bridges/${encodeURIComponent(b.id)}`, { method: 'DELETE', headers: auth });
  await waitFor('no channel left', async () => (await ariGet<unknown[]>('/channels')).length === 0, 5_000);
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

/** What is still there; empty when nothing is. */
export async function leftovers(redis: Redis, prefix: string, app = TEST.ARI_APP): Promise<string[]> {
  const found: string[] = [];
  const channels = await ariGet<Array<{ id: string; name: string }>>('/channels');
  for (const c of channels) found.push(`channel ${c.id} (${c.name})`);
  const bridges = await ariGet<Array<{ id: string; channels: string[] }>>('/bridges');
  for (const b of bridges) found.push(`bridge ${b.id} [${b.channels.join(', ')}]`);
  for (const k of await scanKeys(redis, `${prefix}:acd:entry:*`)) found.push(`queue entry ${k}`);
  for (const q of await redis.smembers(`${prefix}:acd:queues`)) {
    const waiting = await redis.zrange(`${prefix}:acd:queue:${q}:waiting`, '0', '-1');
    if (waiting.length) found.push(`waiting in ${q}: ${waiting.join(', ')}`);
  }
  const timers = await redis.zrange(`${prefix}:timers`, '0', '-1');
  if (timers.length) found.push(`timers ${timers.join(', ')}`);
  if ((await redis.hlen(`${prefix}:timer-payloads`)) > 0) found.push('timer payloads');
  const leases = await redis.zrange(`${prefix}:leases`, '0', '-1');
  if (leases.length) found.push(`leases ${leases.join(', ')}`);
  const active = await redis.smembers(`${prefix}:calls:active:${app}`);
  if (active.length) found.push(`active calls ${active.join(', ')}`);
  for (const id of await redis.smembers(`${prefix}:acd:agents`)) {
    const raw = await redis.get(`${prefix}:acd:agent:${id}`);
    const d = raw ? (JSON.parse(raw) as { d: { status: string; callId?: string } }).d : undefined;
    if (d && (d.status === 'reserved' || d.status === 'on-call' || d.status === 'wrap-up')) found.push(`agent ${id} ${d.status} (${d.callId ?? '-'})`);
  }
  return found;
}

/** Waits (with a deadline) until nothing is left behind; fails listing what still is. */
export async function expectNothingLeftBehind(redis: Redis, prefix: string, timeoutMs = 15_000): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor('nothing left behind', async () => {
      last = await leftovers(redis, prefix);
      return last.length === 0;
    }, timeoutMs, 200);
  } catch {
    throw new Error(`left behind after ${timeoutMs} ms:\n  ${last.join('\n  ')}`);
  }
}
