// Statistics in Redis: raw counters in one HASH per (generation, queue or agent, local date) with
// fields `<slot>:<metric>`, a SET per (generation, scope, date) of the ids that have counters, and
// the projector's cursor: the last journal id applied, its state and the generation.
//
// A batch is applied by one script (scripts/apply.lua) only if the cursor is still what the
// caller read, so runners on several instances never count an event twice nor skip one. A
// rebuild starts a new generation (scripts/reset-1.lua): counters live under their generation,
// so a runner that is still busy with the old one cannot write into the new one.
//
// Each day's keys expire `retentionDays` after the end of that date (EXPIREAT, re-set on every
// write), so a rebuild from an old journal does not keep old days longer than their retention.
import type Redis from 'ioredis';
import type { Keys } from '../platform/redis/keys';
import { LuaScript } from '../platform/redis/lua';
import { initialState, isMax, type CounterBook, type ProjectorState, type Scope } from './domain';

const APPLY = LuaScript.load(__dirname, 'apply.lua');
const RESET = LuaScript.load(__dirname, 'reset-1.lua');
const DAY_S = 86_400;

export interface Cursor {
  readonly gen: number;
  /** Last journal id applied ('0-0': none yet). */
  readonly id: string;
  /** Events applied in this generation. */
  readonly n: number;
  readonly state: ProjectorState;
}

export interface Batch {
  readonly lastId: string;
  readonly events: number;
  readonly state: ProjectorState;
  readonly counters: CounterBook;
}

/** One day's counters of one id, by slot. */
export type SlotCounters = Map<number, Record<string, number>>;

export class StatsStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly retentionDays: number,
  ) {}

  async cursor(): Promise<Cursor> {
    const [gen, id, n, state] = await this.redis.hmget(this.keys.statsCursor(), 'gen', 'id', 'n', 'state');
    return { gen: Number(gen ?? 0), id: id ?? '0-0', n: Number(n ?? 0), state: parseState(state ?? null) };
  }

  async generation(): Promise<number> {
    return Number((await this.redis.hget(this.keys.statsCursor(), 'gen')) ?? 0);
  }

  /** Applies a batch read at `from`; false when the cursor moved meanwhile (nothing was applied). */
  async apply(from: Cursor, batch: Batch): Promise<boolean> {
    const keys = [this.keys.statsCursor()];
    const days: string[] = [];
    let count = 0;
    for (const day of batch.counters.days.values()) {
      const sums: string[] = [];
      const maxima: string[] = [];
      for (const [slot, counters] of day.slots) {
        for (const [metric, value] of Object.entries(counters)) (isMax(metric) ? maxima : sums).push(`${slot}:${metric}`, String(value));
      }
      keys.push(this.keys.statsDay(from.gen, day.scope, day.date, day.id), this.keys.statsIndex(from.gen, day.scope, day.date));
      days.push(day.id, String(this.expireAt(day.date)), String(sums.length / 2), String(maxima.length / 2), ...sums, ...maxima);
      count++;
    }
    const args = [String(from.gen), from.id, batch.lastId, String(batch.events), JSON.stringify(batch.state), String(count), ...days];
    const r = (await APPLY.run(this.redis, keys, args)) as [string, ...string[]];
    return r[0] === 'ok';
  }

  /** Starts a new generation from the beginning of the journal; returns it. */
  async reset(): Promise<number> {
    return Number(await RESET.run(this.redis, [this.keys.statsCursor()], []));
  }

  /** Deletes the counters of the generations before `current` (never a newer one: another
   *  instance may have started a rebuild since); returns how many keys went. */
  async dropOlderGenerations(current: number): Promise<number> {
    const start = this.keys.statsCountersPattern().slice(0, -1);
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', this.keys.statsCountersPattern(), 'COUNT', 1000);
      cursor = next;
      const old = found.filter((k) => {
        const gen = Number(k.slice(start.length, k.indexOf(':', start.length)));
        return Number.isInteger(gen) && gen < current;
      });
      if (old.length > 0) deleted += await this.redis.unlink(...old);
    } while (cursor !== '0');
    return deleted;
  }

  /** The ids with counters on `date`, sorted. */
  async ids(gen: number, scope: Scope, date: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.statsIndex(gen, scope, date))).sort();
  }

  /** Counters of each id on `date` (ids without counters are left out). */
  async days(gen: number, scope: Scope, date: string, ids: readonly string[]): Promise<Map<string, SlotCounters>> {
    const out = new Map<string, SlotCounters>();
    if (ids.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.statsDay(gen, scope, date, id));
    const results = (await pipe.exec()) ?? [];
    ids.forEach((id, i) => {
      const [err, raw] = results[i] ?? [];
      if (err) throw err;
      const slots = parseDay(raw as Record<string, string>);
      if (slots.size > 0) out.set(id, slots);
    });
    return out;
  }

  /** When a date's counters expire (unix s): its end, give or take the zone's offset, plus the retention. */
  expireAt(date: string): number {
    const [y, m, d] = date.split('-').map(Number);
    return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) / 1000 + (this.retentionDays + 2) * DAY_S;
  }
}

function parseDay(raw: Record<string, string>): SlotCounters {
  const slots: SlotCounters = new Map();
  for (const [field, value] of Object.entries(raw)) {
    const sep = field.indexOf(':');
    const slot = Number(field.slice(0, sep));
    if (sep < 0 || !Number.isInteger(slot)) continue;
    let c = slots.get(slot);
    if (!c) slots.set(slot, (c = {}));
    c[field.slice(sep + 1)] = Number(value);
  }
  return new Map([...slots].sort((a, b) => a[0] - b[0]));
}

/** The saved projector state; a missing or unreadable one starts afresh (only in-flight calls and statuses are lost). */
function parseState(raw: string | null): ProjectorState {
  if (!raw) return initialState();
  try {
    const s = JSON.parse(raw) as Partial<ProjectorState>;
    if (s.v === 1 && typeof s.agents === 'object' && s.agents !== null && typeof s.calls === 'object' && s.calls !== null) return s as ProjectorState;
  } catch {
    // fall through
  }
  return initialState();
}
