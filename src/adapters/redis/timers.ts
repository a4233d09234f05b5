// Deadlines (ring timeouts, wrap-up ends, requirement steps, announcements, maximum waits) kept
// in Redis, so a restarted or second instance fires them; polled and claimed atomically.
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../../app/ports';
import type { Keys } from './keys';
import { loadScript } from './scripts';

const CLAIM = loadScript('claim-timers-2.lua');

export class RedisTimers<P> {
  private poller: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Sets the timer `id` to fire at `due` (ms), replacing any earlier setting of it. */
  async set(id: string, due: number, payload: P): Promise<void> {
    await this.redis.multi().hset(this.keys.timerPayloads(), id, JSON.stringify(payload)).zadd(this.keys.timers(), due, id).exec();
  }

  async cancel(id: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.timers(), id).hdel(this.keys.timerPayloads(), id).exec();
  }

  async due(id: string): Promise<number | undefined> {
    const score = await this.redis.zscore(this.keys.timers(), id);
    return score === null ? undefined : Number(score);
  }

  /** Claims and returns the timers due now (each is returned to exactly one caller). */
  async claimDue(max = 100): Promise<Array<{ id: string; payload: P }>> {
    const flat = (await this.redis.eval(CLAIM, 2, this.keys.timers(), this.keys.timerPayloads(), String(this.clock.now()), String(max))) as string[];
    const out: Array<{ id: string; payload: P }> = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i]!, payload: JSON.parse(flat[i + 1]!) as P });
    return out;
  }

  /** Polls every `everyMs` and hands each due timer to `fire`, one at a time, in due order. */
  start(fire: (id: string, payload: P) => Promise<void>, everyMs = 100): void {
    const tick = async () => {
      if (this.polling) return;
      this.polling = true;
      try {
        for (const t of await this.claimDue()) {
          try {
            await fire(t.id, t.payload);
          } catch (err) {
            this.logger.error({ err, timer: t.id }, 'timer handler failed');
          }
        }
      } catch (err) {
        this.logger.debug({ err }, 'timer poll failed (Redis away?)');
      } finally {
        this.polling = false;
      }
    };
    this.poller = setInterval(() => void tick(), everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.poller);
    while (this.polling) await new Promise((r) => setImmediate(r));
  }
}
