// Reading many JSON documents at once: one MGET, documents in key order, keys that hold nothing
// (expired, deleted meanwhile) left out. The stores' lists all read this way.
import type Redis from 'ioredis';

export async function jsonDocs<T>(redis: Redis, keys: readonly string[]): Promise<T[]> {
  if (keys.length === 0) return [];
  const raws = await redis.mget([...keys]);
  return raws.flatMap((r) => (r === null ? [] : [JSON.parse(r) as T]));
}
