// Voicemail metadata. The recording itself is <id>.wav in Asterisk's recording folder.
import type Redis from 'ioredis';
import type { Keys } from '../platform/redis/keys';
import { jsonDocs } from '../platform/redis/json-docs';

export interface VoicemailRecord {
  id: string;
  callId: string;
  number: string;
  callerId: string;
  mailbox: string;
  durationS: number;
  at: number;
  /** The flow's variables when the message was left (sensitive inputs never become variables). */
  vars: Record<string, string>;
}

export class VoicemailStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async save(v: VoicemailRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.voicemail(v.id), JSON.stringify({ ...v, file: `${v.id}.wav` }))
      .zadd(this.keys.voicemails(), v.at, v.id)
      .exec();
  }

  async list(limit = 100, offset = 0): Promise<Array<VoicemailRecord & { file: string }>> {
    const ids = await this.redis.zrevrange(this.keys.voicemails(), offset, offset + limit - 1);
    return jsonDocs<VoicemailRecord & { file: string }>(this.redis, ids.map((id) => this.keys.voicemail(id)));
  }
}

export interface StoredVoicemail extends VoicemailRecord {
  file: string;
}

/** One voicemail's metadata, or undefined. */
export async function getVoicemail(redis: Redis, keys: Keys, id: string): Promise<StoredVoicemail | undefined> {
  const raw = await redis.get(keys.voicemail(id));
  return raw ? (JSON.parse(raw) as StoredVoicemail) : undefined;
}

/** Forgets a voicemail's metadata (the caller deletes the audio); false when it was not there. */
export async function forgetVoicemail(redis: Redis, keys: Keys, id: string): Promise<boolean> {
  const [[, removed] = [null, 0]] = ((await redis.multi().del(keys.voicemail(id)).zrem(keys.voicemails(), id).exec()) ?? []) as Array<[Error | null, number]>;
  return removed === 1;
}
