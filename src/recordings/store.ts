// Recording metadata in Redis: one JSON document per recording, ZSETs of them by start time
// (listing) and by expiry (retention), and the recording running on each call (pause and resume
// by call). The
// audio is Asterisk's stored recording of the same name.
import type Redis from 'ioredis';
import type { Keys } from '../platform/redis/keys';
import type { RecordingMeta } from './domain/decide';
import { jsonDocs } from '../platform/redis/json-docs';

/** A call's pointer to its running recording outlives no call. */
const CALL_KEEP_S = 86_400;

export class RecordingStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async started(r: RecordingMeta): Promise<void> {
    const k = this.keys;
    await this.redis.multi().set(k.recording(r.id), JSON.stringify(r)).zadd(k.recordings(), r.startedAt, r.id).zadd(k.recordingExpiry(), r.expiresAt, r.id).set(k.recordingOfCall(r.callId), r.id, 'EX', CALL_KEEP_S).exec();
  }

  async get(id: string): Promise<RecordingMeta | undefined> {
    const raw = await this.redis.get(this.keys.recording(id));
    return raw ? (JSON.parse(raw) as RecordingMeta) : undefined;
  }

  async ofCall(callId: string): Promise<RecordingMeta | undefined> {
    const id = await this.redis.get(this.keys.recordingOfCall(callId));
    return id ? this.get(id) : undefined;
  }

  /** Changes a recording's document (a read-modify-write: one writer per recording, its call's). */
  async update(id: string, change: (r: RecordingMeta) => RecordingMeta): Promise<RecordingMeta | undefined> {
    const cur = await this.get(id);
    if (!cur) return undefined;
    const next = change(cur);
    await this.redis.set(this.keys.recording(id), JSON.stringify(next), 'XX');
    if (next.state === 'done' || next.state === 'failed') await this.redis.del(this.keys.recordingOfCall(next.callId));
    return next;
  }

  /** Newest first. */
  async list(limit: number, offset: number): Promise<RecordingMeta[]> {
    const ids = await this.redis.zrevrange(this.keys.recordings(), offset, offset + limit - 1);
    return jsonDocs<RecordingMeta>(this.redis, ids.map((id) => this.keys.recording(id)));
  }

  /** Ids whose retention ended by `now`, the first to expire first. */
  async expired(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.recordingExpiry(), '-inf', now, 'LIMIT', 0, limit);
  }

  async remove(id: string): Promise<boolean> {
    const k = this.keys;
    const res = await this.redis.multi().del(k.recording(id)).zrem(k.recordings(), id).zrem(k.recordingExpiry(), id).exec();
    return res?.[0]?.[1] === 1;
  }
}
