// The service's environment, validated once at start. Defaults bind everything to loopback.
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const EnvSchema = z.object({
  SWITCHBOARD_ARI_URL: z.url().default('http://127.0.0.1:8088'),
  SWITCHBOARD_ARI_USER: z.string().min(1).default('switchboard'),
  SWITCHBOARD_ARI_PASSWORD: z.string().min(1, 'is required (the ARI user password from ari.conf)'),
  /** How requests reach ARI: over WebSockets (falls back to HTTP when Asterisk lacks it), or HTTP only. */
  SWITCHBOARD_ARI_TRANSPORT: z.enum(['websocket', 'http']).default('websocket'),
  /** Connections carrying ARI requests (WebSockets, or concurrent HTTP requests). */
  SWITCHBOARD_ARI_CONNECTIONS: z.coerce.number().int().min(1).max(32).default(4),
  SWITCHBOARD_ARI_APP: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('switchboard'),
  SWITCHBOARD_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6390/0'),
  SWITCHBOARD_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_:.-]+$/).default('sb'),
  SWITCHBOARD_HTTP_HOST: z.string().default('127.0.0.1'),
  SWITCHBOARD_HTTP_PORT: port.default(8080),
  SWITCHBOARD_CONFIG_DIR: z.string().default('config/demo'),
  SWITCHBOARD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `masked`: callers' numbers in the service log keep only their last two digits. */
  SWITCHBOARD_LOG_CALLER_NUMBERS: z.enum(['full', 'masked']).default('full'),
  /** Asterisk's queue_log format is also written here (the Redis stream always gets it). */
  SWITCHBOARD_QUEUE_LOG: z.string().optional(),
  /** The queue_log's agent field: the agent's id, its endpoint, or a template with {id} (e.g. Agent/{id}). */
  SWITCHBOARD_QUEUE_LOG_AGENT: z.string().regex(/^(id|endpoint|[^|\s]*\{id\}[^|\s]*)$/, 'id, endpoint, or a template containing {id} (no "|" or spaces)').default('id'),
  /** Days the event journal keeps events (older ones are trimmed as new ones arrive). */
  SWITCHBOARD_JOURNAL_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** The IANA time zone of the statistics' dates and 15-minute intervals (docs/statistics.md). */
  SWITCHBOARD_STATS_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Paris or UTC').default('UTC'),
  /** Days the statistics keep each day's counters after that day. */
  SWITCHBOARD_STATS_RETENTION_DAYS: z.coerce.number().int().positive().default(400),
  /** Asterisk's sounds folder: when set, routing files may only name prompts that exist there. */
  SWITCHBOARD_SOUNDS_DIR: z.string().optional(),
  /** "role:token[:agentId]" items, comma-separated (see docs/api.md); hashed keys go in the routing files' apiKeys. */
  SWITCHBOARD_API_TOKENS: z.string().optional(),
  /** Requests one API key may make per minute, shared by every instance (0: no limit). */
  SWITCHBOARD_API_RATE_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** Failed authentications one client address may make per minute before it gets 429. */
  SWITCHBOARD_API_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Admission control (docs/capacity.md): calls in progress in this instance (0: no cap). */
  SWITCHBOARD_MAX_CALLS: z.coerce.number().int().min(0).default(0),
  /** New calls are refused while the event-loop delay p99 of the last half second is above this. */
  SWITCHBOARD_OVERLOAD_LOOP_DELAY_MS: z.coerce.number().positive().default(150),
  /** … while an ARI request has waited longer than this for its answer, */
  SWITCHBOARD_OVERLOAD_ARI_MS: z.coerce.number().positive().default(250),
  /** … while more ARI requests than this wait for a connection, */
  SWITCHBOARD_OVERLOAD_ARI_WAITING: z.coerce.number().int().min(0).default(100),
  /** … or while Redis takes longer than this to answer a PING. */
  SWITCHBOARD_OVERLOAD_REDIS_MS: z.coerce.number().positive().default(100),
  /** Watch the routing folder and reload on change (SIGHUP and the API reload always work). */
  SWITCHBOARD_WATCH_CONFIG: z.enum(['true', 'false']).default('true'),
});

export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {}

export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}
