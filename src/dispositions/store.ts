// Dispositions in Redis: each connected call's queue and agent (recorded from queue.connected,
// so a disposition can be checked after the queue entry is gone), and the disposition itself,
// notes included (free text stays out of the journal). Both expire after a week.
import type Redis from 'ioredis';
import type { Keys } from '../platform/redis/keys';

const KEEP_S = 7 * 86_400;

export interface StoredDisposition {
  callId: string;
  queue: string;
  agentId: string;
  resolved: boolean;
  reason: string;
  notes?: string;
  followUpCallbackId?: string;
  by: string;
  at: number;
}

export class DispositionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async connected(callId: string, queue: string, agentId: string): Promise<void> {
    await this.redis.set(this.keys.dispositionCall(callId), JSON.stringify({ queue, agentId }), 'EX', KEEP_S);
  }

  async call(callId: string): Promise<{ queue: string; agentId: string } | undefined> {
    const raw = await this.redis.get(this.keys.dispositionCall(callId));
    return raw ? (JSON.parse(raw) as { queue: string; agentId: string }) : undefined;
  }

  async get(callId: string): Promise<StoredDisposition | undefined> {
    const raw = await this.redis.get(this.keys.disposition(callId));
    return raw ? (JSON.parse(raw) as StoredDisposition) : undefined;
  }

  /** Stores it unless the call already has one (SET NX): false when another got there first. */
  async save(d: StoredDisposition): Promise<boolean> {
    return (await this.redis.set(this.keys.disposition(d.callId), JSON.stringify(d), 'EX', KEEP_S, 'NX')) === 'OK';
  }
}
