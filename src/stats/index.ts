// Statistics (docs/statistics.md): a projector folds the event journal into 15-minute counters
// per queue and agent in Redis, exactly once across instances; queries turn them into figures.
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../platform/redis/keys';
import { statsSettings, type SlFormula, type StatsSettings } from './domain';
import { ProjectorRunner, type ProjectorRunnerDeps } from './projector-runner';
import { StatsQueries } from './queries';
import { StatsStore } from './store';

export { DEFAULT_QUEUE_STATS, SL_FORMULAS, isTimeZone, statsSettings, type QueueStatsSettings, type SlFormula, type StatsSettings } from './domain';
export type { AgentFigures, QueueFigures } from './domain';
export { ProjectorRunner, type RebuildResult } from './projector-runner';
export { StatsQueries, type CurrentServiceLevel, type StatsQuery } from './queries';
export { AGENT_CSV_COLUMNS, AgentStatsRowSchema, QUEUE_CSV_COLUMNS, QueueStatsRowSchema, toCsv, type AgentStatsRow, type QueueStatsRow } from './rows';
export { StatsStore } from './store';

export interface StatsDeps {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly logger: Logger;
  /** SWITCHBOARD_STATS_RETENTION_DAYS */
  readonly retentionDays: number;
  /** Read at every batch and query: follows configuration reloads. */
  readonly settings: () => StatsSettings;
  readonly runner?: Partial<Pick<ProjectorRunnerDeps, 'batchSize' | 'blockMs' | 'errorPauseMs' | 'pause'>>;
}

export interface Stats {
  readonly runner: ProjectorRunner;
  readonly queries: StatsQueries;
  readonly store: StatsStore;
}

/** The statistics wired together (start with `runner.start()`, stop with `runner.stop()`). */
export function createStats(d: StatsDeps): Stats {
  const store = new StatsStore(d.redis, d.keys, d.retentionDays);
  const runner = new ProjectorRunner({ redis: d.redis, keys: d.keys, store, settings: d.settings, logger: d.logger.child({ component: 'stats' }), ...d.runner });
  return { runner, store, queries: new StatsQueries(store, d.settings) };
}

/** What the statistics read of a queue's configuration (QueueConfig from the ACD fits it). */
export interface QueueServiceLevelConfig {
  readonly serviceLevel: { readonly thresholdS: number; readonly shortAbandonS?: number; readonly formula?: SlFormula };
  readonly repeatWindowS?: number;
}

/** Settings from the running configuration's queues (`queues` is called at each use: it follows reloads). */
export function settingsFromQueues(timeZone: string, queues: () => ReadonlyMap<string, QueueServiceLevelConfig>): StatsSettings {
  return statsSettings(timeZone, (id) => {
    const q = queues().get(id);
    const sl = q?.serviceLevel;
    return sl && { thresholdS: sl.thresholdS, ...(sl.shortAbandonS !== undefined ? { shortAbandonS: sl.shortAbandonS } : {}), ...(sl.formula ? { formula: sl.formula } : {}), ...(q.repeatWindowS !== undefined ? { repeatWindowS: q.repeatWindowS } : {}) };
  });
}
export { statsRoutes, type StatsScope } from './http';
