// Callback records in Redis: one versioned JSON document each, saved only if unchanged since it was
// read (scripts/save-4.lua), with an index that holds the one pending callback per number and
// queue. Finished records (connected, failed, cancelled) are kept for a retention, then expire.
import type Redis from 'ioredis';
import { z } from 'zod';
import { LuaScript } from '../platform/redis/lua';
import type { Keys } from '../platform/redis/keys';
import { isTerminal } from './domain/lifecycle';
import type { Callback } from './domain/model';

export interface VersionedCallback {
  v: number;
  d: Callback;
}

export type SaveResult = { ok: true; v: number } | { ok: false; conflict: true } | { ok: false; taken: string };

const SAVE = LuaScript.load(__dirname, 'save-4.lua');
/** How many records a listing reads at most (newest first). */
const LIST_LIMIT = 1000;

// What Redis holds is checked as it is read: a record from an older or broken writer is skipped, not trusted.
const FailureSchema = z.object({ attempt: z.number(), reason: z.enum(['no-answer', 'busy', 'rejected', 'unreachable', 'agent-hangup', 'failed']), at: z.number() });
const CallbackSchema = z.object({
  id: z.string(),
  queue: z.string(),
  number: z.string(),
  origin: z.enum(['in-queue', 'scheduled']),
  state: z.enum(['requested', 'waiting', 'offering', 'dialling', 'connected', 'retry-wait', 'failed', 'cancelled']),
  requestedAt: z.number(),
  dueAt: z.number(),
  enqueuedAt: z.number(),
  priority: z.number(),
  preferredAgent: z.string().optional(),
  note: z.string().optional(),
  nameRecording: z.string().optional(),
  createdBy: z.string(),
  attempt: z.number(),
  agentId: z.string().optional(),
  connectedAt: z.number().optional(),
  failures: z.array(FailureSchema),
  updatedAt: z.number(),
});
const StoredSchema = z.object({ v: z.number().int().positive(), d: CallbackSchema });

export class CallbackStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly retentionS = 30 * 86_400,
  ) {}

  async get(id: string): Promise<VersionedCallback | undefined> {
    return this.parse(await this.redis.get(this.keys.callback(id)));
  }

  /** The pending callback for this number in this queue, if there is one. */
  async pendingFor(queue: string, number: string): Promise<VersionedCallback | undefined> {
    const id = await this.redis.get(this.keys.callbackOpen(queue, number));
    return id ? this.get(id) : undefined;
  }

  /** Newest first; records that expired are dropped from the list as they are found. */
  async list(): Promise<Callback[]> {
    const ids = await this.redis.zrevrange(this.keys.callbacks(), 0, LIST_LIMIT - 1);
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(ids.map((id) => this.keys.callback(id)));
    const gone = ids.filter((_, i) => raw[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.keys.callbacks(), ...gone);
    return raw.flatMap((r) => this.parse(r)?.d ?? []);
  }

  /** A new callback (`cur` undefined) or a change to one read at version `cur.v`. */
  async save(next: Callback, cur?: VersionedCallback): Promise<SaveResult> {
    const before = cur?.d ?? next;
    const r = (await SAVE.run(
      this.redis,
      [this.keys.callback(next.id), this.keys.callbackOpen(before.queue, before.number), this.keys.callbackOpen(next.queue, next.number), this.keys.callbacks()],
      [String(cur?.v ?? 0), JSON.stringify(next), next.id, isTerminal(next) ? '1' : '0', String(next.requestedAt), String(this.retentionS)],
    )) as [string, string];
    if (r[0] === 'ok') return { ok: true, v: Number(r[1]) };
    if (r[0] === 'taken') return { ok: false, taken: r[1] };
    return { ok: false, conflict: true };
  }

  private parse(raw: string | null): VersionedCallback | undefined {
    if (raw === null) return undefined;
    const r = StoredSchema.safeParse(JSON.parse(raw));
    return r.success ? (r.data as VersionedCallback) : undefined;
  }
}
