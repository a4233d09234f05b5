// The webhooks' part of the routing files (`webhooks:`): where events are POSTed, which ones, and
// how hard to try. The HMAC secret is named, never written: `secretEnv` names an environment
// variable, checked at load (its value never reaches the configuration, the logs or the jobs).
import { z } from 'zod';
import { didYouMean } from '../acd/domain';
import { EVENT_TYPES } from '../events';
import { identifier, isHttpUrl, positiveInt, positiveSeconds } from '../platform/config/fields';
import { entriesKey, type Section } from '../platform/config/loader';
import { EVENT_PATTERN, typesMatching, type Webhook } from './domain';

/** A secret shorter than this is refused: an HMAC is only as strong as its key. */
export const MIN_SECRET_LENGTH = 16;

const hasCredentials = (u: string): boolean => {
  try {
    const url = new URL(u);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
};

export const WebhookSchema = z.strictObject({
  url: z
    .string()
    .regex(/^https?:\/\//i, { message: 'must be an http:// or https:// URL', abort: true })
    .refine(isHttpUrl, { message: 'must be an http:// or https:// URL', abort: true })
    .refine((u) => !hasCredentials(u), 'must not carry a user or password (secrets never go in routing files)')
    .describe('Where the events are POSTed (http or https)'),
  events: z
    .array(z.string().regex(EVENT_PATTERN, 'must be an event type like "queue.entered" or a glob like "queue.*" or "*"'))
    .min(1, 'needs at least one event type')
    .describe('Event types or globs ("*" stands for any characters): each must match a known type'),
  secretEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the NAME of an environment variable (letters, digits, "_"), never the secret itself')
    .describe('Environment variable holding the HMAC-SHA256 secret (at least 16 characters)'),
  maxAttempts: positiveInt('maxAttempts').max(15, 'maxAttempts must be at most 15').default(8).describe('Attempts in all, the first included, before the delivery is given up'),
  backoff: positiveSeconds('backoff').max(3600, 'backoff must be at most 3600 seconds').default(2).describe('Seconds before the first retry; doubled for each retry after'),
  timeout: positiveSeconds('timeout').max(30, 'timeout must be at most 30 seconds').default(5).describe('Seconds one request may take before it counts as failed'),
  queues: z.array(identifier).min(1, 'needs at least one queue (or leave queues out)').optional().describe('Only events whose queue field is one of these'),
});

const WEBHOOK_KEYS = {
  webhooks: entriesKey(identifier, WebhookSchema, { noun: 'webhook', description: 'Webhook id → where events are POSTed, signed (docs/webhooks.md)' }),
};

export interface WebhooksNeeds {
  /** The environment the secrets are read from (process.env in the service). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface WebhooksConfig {
  webhooks: ReadonlyMap<string, Webhook>;
}

/** Queues are checked by name (defined in any file); event patterns against the catalogue. */
export const webhooksSection: Section<typeof WEBHOOK_KEYS, WebhooksNeeds, WebhooksConfig> = {
  keys: WEBHOOK_KEYS,
  build(files, check, { env }) {
    const webhooks = new Map<string, Webhook>();
    const queues = check.defined('queues');
    for (const { src, data } of files) {
      for (const [id, w] of Object.entries(data.webhooks ?? {})) {
        const base = ['webhooks', id] as const;
        const before = check.count;
        const types = new Set<string>();
        w.events.forEach((pattern, i) => {
          const matched = typesMatching(pattern, EVENT_TYPES);
          if (matched.length === 0) check.at(src, [...base, 'events', i], `"${pattern}" matches no event type${didYouMean(pattern, EVENT_TYPES)}`);
          for (const t of matched) types.add(t);
        });
        const secret = env[w.secretEnv];
        if (secret === undefined || secret === '') check.at(src, [...base, 'secretEnv'], `environment variable ${w.secretEnv} is not set`);
        else if (secret.length < MIN_SECRET_LENGTH) check.at(src, [...base, 'secretEnv'], `environment variable ${w.secretEnv} is shorter than ${MIN_SECRET_LENGTH} characters (use a long random secret)`);
        (w.queues ?? []).forEach((q, i) => {
          if (!queues.has(q)) check.at(src, [...base, 'queues', i], `unknown queue "${q}"${didYouMean(q, queues.keys())}`);
        });
        if (check.count > before) continue;
        webhooks.set(id, {
          id,
          url: w.url,
          events: [...w.events],
          types,
          secretEnv: w.secretEnv,
          maxAttempts: w.maxAttempts,
          backoffS: w.backoff,
          timeoutS: w.timeout,
          ...(w.queues ? { queues: new Set(w.queues) } : {}),
        });
      }
    }
    return { webhooks };
  },
};
