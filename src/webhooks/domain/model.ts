// A webhook as the running configuration holds it (built by ../config.ts from the routing files).

export interface Webhook {
  id: string;
  /** http:// or https:// URL the events are POSTed to. */
  url: string;
  /** Event types and globs as written in the file ("queue.*"). */
  events: readonly string[];
  /** Every event type `events` matches, expanded at load from the catalogue (matching is a set lookup). */
  types: ReadonlySet<string>;
  /** Name of the environment variable holding the HMAC secret: the secret itself is never in the configuration. */
  secretEnv: string;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the first retry, seconds; doubled for each one after. */
  backoffS: number;
  /** Seconds one request may take (connect, send, answer). */
  timeoutS: number;
  /** Only events whose `queue` field is one of these; undefined: every event. */
  queues?: ReadonlySet<string>;
}
