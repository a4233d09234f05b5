// The event journal: every call transition appended to a Redis stream, for reports, the event
// stream and tests. (The queue_log file format joins it with the ACD.)
import type Redis from 'ioredis';
import type { JournalEntry } from '../calls/domain/commands';
import type { Keys } from '../platform/redis/keys';

const MAX_LEN = 1_000_000;

export class RedisJournal {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async append(entry: JournalEntry): Promise<void> {
    const fields: string[] = [];
    for (const [k, v] of Object.entries(entry)) fields.push(k, String(v));
    await this.redis.xadd(this.keys.journal(), 'MAXLEN', '~', String(MAX_LEN), '*', ...fields);
  }
}
