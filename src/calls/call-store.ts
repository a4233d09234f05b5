// Calls in progress, one JSON document per call plus a set per application. Process memory
// is only a cache of this: a restarted Switchboard reads it back and carries on.
import type Redis from 'ioredis';
import type { CallState } from './domain/call';
import type { Keys } from '../platform/redis/keys';
import { jsonDocs } from '../platform/redis/json-docs';

/** Finished calls stay readable this long for inspection, then Redis drops them. */
const ENDED_TTL_S = 24 * 3600;

export class CallStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly app: string,
  ) {}

  async get(callId: string): Promise<CallState | undefined> {
    const raw = await this.redis.get(this.keys.call(callId));
    return raw ? (JSON.parse(raw) as CallState) : undefined;
  }

  async put(state: CallState): Promise<void> {
    const key = this.keys.call(state.callId);
    const tx = this.redis.multi();
    if (state.phase === 'ended') {
      tx.set(key, JSON.stringify(state), 'EX', ENDED_TTL_S);
      tx.srem(this.keys.activeCalls(this.app), state.callId);
    } else {
      tx.set(key, JSON.stringify(state));
      tx.sadd(this.keys.activeCalls(this.app), state.callId);
    }
    await tx.exec();
  }

  /** Every call in progress on this application (one read of the set, one of the documents). */
  async active(): Promise<CallState[]> {
    const ids = await this.activeIds();
    return jsonDocs<CallState>(this.redis, ids.map((id) => this.keys.call(id)));
  }

  async activeIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.activeCalls(this.app));
  }

  /** Returns the previous identity and stores the new one. */
  async swapAsteriskIdentity(identity: string): Promise<string | null> {
    return (await this.redis.set(this.keys.asteriskIdentity(this.app), identity, 'GET')) as string | null;
  }
}
