// Voicemail metadata. The recording itself is <id>.wav in Asterisk's recording folder.
import type Redis from 'ioredis';
import type { Keys } from '../platform/redis/keys';

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

  async list(limit = 100): Promise<Array<VoicemailRecord & { file: string }>> {
    const ids = await this.redis.zrevrange(this.keys.voicemails(), 0, limit - 1);
    if (ids.length === 0) return [];
    const docs = await this.redis.mget(...ids.map((id) => this.keys.voicemail(id)));
    return docs.filter((d): d is string => d !== null).map((d) => JSON.parse(d) as VoicemailRecord & { file: string });
  }
}
