// The Redis connections a BullMQ queue and worker use. BullMQ wants its own (a worker blocks on
// one), with no retry limit per command for the worker; errors are reported by the queue and
// worker, so the connections' own are silenced. Closed together at stop.
import Redis from 'ioredis';

export class BullConnections {
  private readonly open: Redis[] = [];

  constructor(private readonly url: string) {}

  /** `enableOfflineQueue: false` for a producer that must fail fast while Redis is away; `maxRetriesPerRequest: null` for a worker. */
  connect(extra: { enableOfflineQueue?: boolean; maxRetriesPerRequest?: null }): Redis {
    const r = new Redis(this.url, { retryStrategy: (times) => Math.min(200 * times, 5000), ...extra });
    r.on('error', () => undefined); // reported by the queue and worker
    this.open.push(r);
    return r;
  }

  closeAll(): void {
    for (const c of this.open) c.disconnect();
  }
}

/** Waits for `p` at most `ms` (a worker or queue closing at shutdown); a rejection counts as done. */
export async function within(p: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([p.then(() => 'done' as const, () => 'done' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
