// Shared checks of end-to-end tests: SIPp's verdict, the queue_log and agent states in Redis,
// and a caller's ear that speaks a tone (so media both ways can be proven through the bridge).
import type Redis from 'ioredis';
import { ariGet } from './leftovers';
import { RtpSink } from './rtp';
import type { SippResult } from './sipp';

/** SIPp ran the scenario to its end (its output only shown when it did not). */
export const ok = (r: SippResult): void => expect({ code: r.code, out: r.code === 0 ? '' : r.output }).toEqual({ code: 0, out: '' });

interface Service {
  redis: Redis;
  prefix: string;
}

/** queue_log lines from the Redis stream as "EVENT agent" (agent NONE for queue events). */
export async function queueLogEvents(t: Service): Promise<string[]> {
  const rows = await t.redis.xrange(`${t.prefix}:queue_log`, '-', '+');
  return rows.map(([, f]) => f[1]!.split('|')).map((l) => `${l[4]} ${l[3]}`);
}

export async function agentStatus(t: Service, id: string): Promise<string | undefined> {
  const raw = await t.redis.get(`${t.prefix}:acd:agent:${id}`);
  return raw ? (JSON.parse(raw) as { d: { status: string } }).d.status : undefined;
}

/**
 * Asterisk's RTP address on the channel whose audio goes to `earPort` (ARI: CHANNEL(rtp,dest) and
 * CHANNEL(rtp,src) of each channel); undefined until that call exists.
 */
export async function asteriskRtpFor(earPort: number): Promise<{ address: string; port: number } | undefined> {
  const rtp = (id: string, what: 'dest' | 'src') => ariGet<{ value: string }>(`/channels/${encodeURIComponent(id)}/variable?variable=${encodeURIComponent(`CHANNEL(rtp,${what})`)}`).then((r) => r.value, () => '');
  for (const c of await ariGet<Array<{ id: string }>>('/channels')) {
    if (!(await rtp(c.id, 'dest')).endsWith(`:${earPort}`)) continue;
    const m = /^(.+):(\d+)$/.exec(await rtp(c.id, 'src'));
    if (m) return { address: m[1]!, port: Number(m[2]) };
  }
  return undefined;
}

/** Runs `call` with an ear that speaks a 1 kHz tone to Asterisk from the start of the call; closes it afterwards. */
export async function withSpeakingEar<T>(call: (ear: RtpSink) => Promise<T>): Promise<T> {
  const ear = await RtpSink.open();
  try {
    ear.speak(() => asteriskRtpFor(ear.port));
    return await call(ear);
  } finally {
    await ear.close();
  }
}
