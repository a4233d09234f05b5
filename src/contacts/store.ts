// Contact history in Redis: each call's record (JSON) and each caller number's calls, newest
// first, both kept for 90 days (the window a screen pop looks back over).
import type Redis from 'ioredis';
import type { Keys } from '../platform/redis/keys';
import type { ContactRecord } from './domain/record';
import { jsonDocs } from '../platform/redis/json-docs';

const KEEP_S = 90 * 86_400;
/** Calls kept per number. */
const PER_NUMBER = 50;

export class ContactStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(callId: string): Promise<ContactRecord | undefined> {
    const raw = await this.redis.get(this.keys.contact(callId));
    return raw ? (JSON.parse(raw) as ContactRecord) : undefined;
  }

  /** Writes the record; a new one also goes at the head of its number's list. */
  async save(r: ContactRecord, isNew: boolean): Promise<void> {
    const k = this.keys;
    const m = this.redis.multi().set(k.contact(r.callId), JSON.stringify(r), 'EX', KEEP_S);
    if (isNew && r.callerId) m.lpush(k.contactsOf(r.callerId), r.callId).ltrim(k.contactsOf(r.callerId), 0, PER_NUMBER - 1).expire(k.contactsOf(r.callerId), KEEP_S);
    await m.exec();
  }

  /** The number's last `limit` calls other than `except`, newest first. */
  async recent(callerId: string, limit: number, except?: string): Promise<ContactRecord[]> {
    const ids = (await this.redis.lrange(this.keys.contactsOf(callerId), 0, limit)).filter((id) => id !== except).slice(0, limit);
    return jsonDocs<ContactRecord>(this.redis, ids.map((id) => this.keys.contact(id)));
  }
}
