// switchboard stats rebuild: recounts the statistics from the event journal (docs/statistics.md),
// with the same environment as the service. Safe while the service runs.
import pino from 'pino';
import { ConfigError, loadRoutingDir } from '../config/routing';
import { EnvError, parseEnv } from '../platform/config/env';
import { createLogger } from '../platform/logging';
import { connectRedis, storeHealth } from '../platform/redis/connection';
import { Keys } from '../platform/redis/keys';
import { createStats, settingsFromQueues } from '../stats';

export const STATS_USAGE = `  stats rebuild              recount the statistics from the event journal (SWITCHBOARD_* as for start)
`;

export async function cmdStats(args: string[], usage: string): Promise<number> {
  if (args.length !== 1 || args[0] !== 'rebuild') {
    process.stderr.write(usage);
    return 2;
  }
  let env;
  try {
    env = parseEnv(process.env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    process.stderr.write(`switchboard: ${err.message}\n`);
    return 2;
  }
  let routing;
  try {
    // The queues' thresholds, short-abandon limits and formulas come from the routing files.
    routing = await loadRoutingDir(env.SWITCHBOARD_CONFIG_DIR, { soundsDir: env.SWITCHBOARD_SOUNDS_DIR });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`switchboard: configuration error:\n${err.message}\n`);
    return 1;
  }
  // Logs to stderr: stdout carries the result.
  const logger = createLogger(env.SWITCHBOARD_LOG_LEVEL === 'info' ? 'warn' : env.SWITCHBOARD_LOG_LEVEL, pino.destination(2));
  const redis = connectRedis(env.SWITCHBOARD_REDIS_URL, logger);
  try {
    if (!(await storeHealth(redis).whenUp(10_000))) {
      process.stderr.write('switchboard: cannot reach Redis\n');
      return 1;
    }
    if (env.SWITCHBOARD_JOURNAL_RETENTION_DAYS < env.SWITCHBOARD_STATS_RETENTION_DAYS) {
      process.stderr.write(
        `note: the journal keeps ${env.SWITCHBOARD_JOURNAL_RETENTION_DAYS} days of events, the statistics ${env.SWITCHBOARD_STATS_RETENTION_DAYS}: days older than the journal will be empty after the rebuild\n`,
      );
    }
    const queues = routing.queues;
    const stats = createStats({ redis, keys: new Keys(env.SWITCHBOARD_KEY_PREFIX), logger, retentionDays: env.SWITCHBOARD_STATS_RETENTION_DAYS, settings: () => settingsFromQueues(env.SWITCHBOARD_STATS_TIMEZONE, () => queues) });
    const r = await stats.runner.rebuild();
    process.stdout.write(`statistics rebuilt: ${r.events} event(s) projected (generation ${r.generation}, ${r.dropped} key(s) of the previous generations deleted)\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
