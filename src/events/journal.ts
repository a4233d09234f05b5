// The journal: every event, in order, in one Redis stream (`<prefix>:journal`), kept for a
// retention period (events older than it are trimmed as new ones arrive). Each entry holds the
// event's type and the event as JSON (docs/events.md).
import type Redis from 'ioredis';
import type { Clock } from '../platform/clock';
import type { Keys } from '../platform/redis/keys';
import type { SwitchboardEvent } from './catalogue';
import type { JournalWriter } from './notifier';

const DAY_MS = 86_400_000;

export class RedisJournal implements JournalWriter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly retentionDays: number,
  ) {}

  async append(event: SwitchboardEvent): Promise<string> {
    // Approximate trimming (~): Redis drops whole old blocks cheaply as it goes.
    const oldest = Math.max(0, this.clock.now() - this.retentionDays * DAY_MS);
    const id = await this.redis.xadd(this.keys.journal(), 'MINID', '~', String(oldest), '*', 'type', event.type, 'event', JSON.stringify(event));
    return id ?? '';
  }

  /** Events after journal id `after` (exclusive; '-' for the oldest kept), oldest first. */
  async read(after = '-', count = 1000): Promise<Array<{ id: string; event: SwitchboardEvent }>> {
    const start = after === '-' ? '-' : `(${after}`;
    const rows = await this.redis.xrange(this.keys.journal(), start, '+', 'COUNT', count);
    return rows.map(([id, fields]) => ({ id, event: JSON.parse(fields[fields.indexOf('event') + 1] ?? '{}') as SwitchboardEvent }));
  }
}
