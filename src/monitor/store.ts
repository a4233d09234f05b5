// Monitoring sessions in Redis: one document per session, a claim per supervisor phone (SET NX:
// two instances never put one phone in two sessions), and indexes by call and overall. A session
// lives while its phone rings or is connected; a day's expiry catches one whose end was lost.
import type Redis from 'ioredis';
import { LuaScript } from '../platform/redis/lua';
import type { Keys } from '../platform/redis/keys';
import type { MonitorMode } from './domain/decide';
import { jsonDocs } from '../platform/redis/json-docs';

const KEEP_S = 86_400;
const END = LuaScript.load(__dirname, 'end-4.lua');

export interface MonitorSession {
  /** Also the supervisor leg's channel id. */
  id: string;
  callId: string;
  agentId: string;
  queue: string;
  /** The agent's leg the snoop listens on. */
  agentLeg: string;
  supervisor: string;
  endpoint: string;
  mode: MonitorMode;
  state: 'ringing' | 'active';
  /** Snoop channels made so far (one per mode taken). */
  snoops: number;
  /** Who asked: the API key id. */
  by: string;
  createdAt: number;
  startedAt?: number;
}

export class MonitorStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Claims the phone and stores the session; false when the phone is in another session. */
  async create(s: MonitorSession): Promise<boolean> {
    const k = this.keys;
    if ((await this.redis.set(k.monitorPhone(s.supervisor), s.id, 'EX', KEEP_S, 'NX')) !== 'OK') return false;
    await this.redis.multi().set(k.monitorSession(s.id), JSON.stringify(s), 'EX', KEEP_S).sadd(k.monitorsOfCall(s.callId), s.id).expire(k.monitorsOfCall(s.callId), KEEP_S).sadd(k.monitors(), s.id).exec();
    return true;
  }

  async phoneInUse(supervisor: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.monitorPhone(supervisor))) === 1;
  }

  async get(id: string): Promise<MonitorSession | undefined> {
    const raw = await this.redis.get(this.keys.monitorSession(id));
    return raw ? (JSON.parse(raw) as MonitorSession) : undefined;
  }

  /** Replaces the document if the session still exists (XX). */
  async update(s: MonitorSession): Promise<boolean> {
    return (await this.redis.set(this.keys.monitorSession(s.id), JSON.stringify(s), 'EX', KEEP_S, 'XX')) === 'OK';
  }

  async ofCall(callId: string): Promise<MonitorSession[]> {
    return this.many(await this.redis.smembers(this.keys.monitorsOfCall(callId)));
  }

  async all(): Promise<MonitorSession[]> {
    return this.many(await this.redis.smembers(this.keys.monitors()));
  }

  /** Removes the session; true for the one caller that removed it (it announces the end). */
  async end(s: Pick<MonitorSession, 'id' | 'callId' | 'supervisor'>): Promise<boolean> {
    const k = this.keys;
    return (await END.run(this.redis, [k.monitorSession(s.id), k.monitorPhone(s.supervisor), k.monitorsOfCall(s.callId), k.monitors()], [s.id])) === 1;
  }

  private many(ids: string[]): Promise<MonitorSession[]> {
    return jsonDocs<MonitorSession>(this.redis, ids.map((id) => this.keys.monitorSession(id)));
  }
}
