// Deadlines (ring timeouts, wrap-up ends, requirement steps, announcements, maximum waits) kept
// in Redis, so a restarted or second instance fires them; polled and claimed atomically. A claim
// is a lease: a timer whose handler did not finish (crash, error) fires again after the lease.
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { Keys } from '../redis/keys';
import { LuaScript } from '../redis/lua';

const CLAIM = LuaScript.load(__dirname, 'claim-timers-2.lua');
const ACK = LuaScript.load(__dirname, 'ack-timer-2.lua');
/** How long a claimed timer waits for its handler before it is due again. */
const CLAIM_LEASE_MS = 30_000;

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

  /** Claims the timers due now (each to one caller at a time); ack() each once handled. */
  async claimDue(max = 100): Promise<Array<{ id: string; payload: P; lease: string }>> {
    const flat = (await CLAIM.run(this.redis, [this.keys.timers(), this.keys.timerPayloads()], [String(this.clock.now()), String(max), String(CLAIM_LEASE_MS)])) as string[];
    const out: Array<{ id: string; payload: P; lease: string }> = [];
    for (let i = 0; i < flat.length; i += 3) out.push({ id: flat[i]!, payload: JSON.parse(flat[i + 1]!) as P, lease: flat[i + 2]! });
    return out;
  }

  /** The claimed timer was handled: delete it, unless the handler set it again. */
  async ack(id: string, lease: string): Promise<void> {
    await ACK.run(this.redis, [this.keys.timers(), this.keys.timerPayloads()], [id, lease]);
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
            await this.ack(t.id, t.lease);
          } catch (err) {
            this.logger.error({ err, timer: t.id }, 'timer handler failed; it fires again after its lease');
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
