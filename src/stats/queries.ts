// Reading the statistics: rows per queue or agent, for a day or per 15-minute interval, and the
// live service level of a queue (today and the current interval).
import { agentFigures, intervalOf, queueFigures, slotLabel, sumSlots, type Scope, type StatsSettings } from './domain';
import type { AgentStatsRow, QueueStatsRow } from './rows';
import type { SlotCounters, StatsStore } from './store';

export interface StatsQuery {
  /** Local date, YYYY-MM-DD. */
  readonly date: string;
  /** true: one row per 15-minute interval that has data; false: one row for the day. */
  readonly interval: boolean;
  /** Only these ids (e.g. the queues a supervisor may see); all when absent. */
  readonly ids?: ReadonlySet<string>;
}

export interface CurrentServiceLevel {
  readonly queue: string;
  readonly date: string;
  /** Local start of the current interval, HH:MM. */
  readonly intervalStart: string;
  readonly formula: 'sl1' | 'sl2' | 'sl3';
  /** Service level of the day so far (0–1), null without data. */
  readonly today: number | null;
  /** Service level of the current interval (0–1), null without data. */
  readonly interval: number | null;
  readonly offeredToday: number;
  readonly answeredToday: number;
  readonly abandonedToday: number;
  readonly asaTodaySeconds: number | null;
}

export class StatsQueries {
  constructor(
    private readonly store: StatsStore,
    private readonly settings: () => StatsSettings,
  ) {}

  async queues(q: StatsQuery & { readonly queue?: string }): Promise<QueueStatsRow[]> {
    const days = await this.read('queue', q, q.queue);
    const rows: QueueStatsRow[] = [];
    for (const [queue, slots] of days) {
      const formula = this.settings().queue(queue).formula;
      if (!q.interval) rows.push({ queue, date: q.date, ...queueFigures(sumSlots(slots.values()), formula) });
      else for (const [slot, c] of slots) rows.push({ queue, date: q.date, interval: slotLabel(slot), ...queueFigures(c, formula) });
    }
    return rows;
  }

  async agents(q: StatsQuery & { readonly agent?: string }): Promise<AgentStatsRow[]> {
    const days = await this.read('agent', q, q.agent);
    const rows: AgentStatsRow[] = [];
    for (const [agent, slots] of days) {
      if (!q.interval) rows.push({ agent, date: q.date, ...agentFigures(sumSlots(slots.values())) });
      else for (const [slot, c] of slots) rows.push({ agent, date: q.date, interval: slotLabel(slot), ...agentFigures(c) });
    }
    return rows;
  }

  /** The live view of a queue at `now` (epoch ms). */
  async current(queue: string, now: number): Promise<CurrentServiceLevel> {
    const settings = this.settings();
    const { date, slot } = intervalOf(now, settings.timeZone);
    const formula = settings.queue(queue).formula;
    const gen = await this.store.generation();
    const slots = (await this.store.days(gen, 'queue', date, [queue])).get(queue) ?? new Map();
    const today = queueFigures(sumSlots(slots.values()), formula);
    const cur = slots.get(slot);
    return {
      queue,
      date,
      intervalStart: slotLabel(slot),
      formula,
      today: today.serviceLevel,
      interval: cur ? queueFigures(cur, formula).serviceLevel : null,
      offeredToday: today.offered,
      answeredToday: today.answered,
      abandonedToday: today.abandoned,
      asaTodaySeconds: today.asaSeconds,
    };
  }

  private async read(scope: Scope, q: StatsQuery, one: string | undefined): Promise<Map<string, SlotCounters>> {
    const gen = await this.store.generation();
    const ids = (one !== undefined ? [one] : await this.store.ids(gen, scope, q.date)).filter((id) => !q.ids || q.ids.has(id));
    return this.store.days(gen, scope, q.date, ids);
  }
}
