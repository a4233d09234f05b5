// Value formats shared by the configuration files' schemas (names, sounds, languages, durations).
// Each feature builds its own entries from these; the messages are the ones the files' readers see.
import { z } from 'zod';

/** An Asterisk sound name: a plain name or a sub-path, no extension, no "..". */
export const soundName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be a sound name like "hello-world" or "digits/1" (no extension, no "..")');

/** An Asterisk endpoint a configured phone is rung on: from configuration only, never from callers. */
export const asteriskEndpoint = z.string().regex(/^(PJSIP|SIP|IAX2)\/[A-Za-z0-9_.-]+$/, 'must be an Asterisk endpoint like "PJSIP/agent1"');

/** A PJSIP endpoint used as an outbound trunk: numbers are dialled as PJSIP/<number>@<trunk>. */
export const trunkName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a PJSIP endpoint name like "carrier"');

/** A regular expression numbers must match as a whole before they are dialled. */
export const dialPattern = z
  .string()
  .default('^[0-9]{3,15}$')
  .refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');

/** The name of something a file defines (an agent, a queue, a flow, a step…). */
export const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must start with a letter and use only letters, digits, "-" and "_"');

export const languageCode = z.string().regex(/^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?$/, 'must be a language code like "en", "es" or "pt_BR"');

/** The name of a call attribute (call.NAME in requirement expressions). */
export const attributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a name of letters, digits and "_"');

export const seconds = (what: string) => z.number({ error: `${what} must be a number of seconds` });
export const positiveSeconds = (what: string) => seconds(what).positive(`${what} must be more than 0 seconds`);
export const nonNegativeSeconds = (what: string) => seconds(what).min(0, `${what} must be 0 or more seconds`);
export const positiveInt = (what: string) => z.number().int(`${what} must be a whole number`).positive(`${what} must be at least 1`);

/** For refinements: exactly one of `keys` is set. */
export const exactlyOne = (keys: readonly string[]) => (o: Record<string, unknown>) => keys.filter((k) => o[k] !== undefined).length === 1;

/** "unknown skill "x" (known: a, b)", or "(the skills list is empty)". */
export function notInCatalog(noun: string, name: string, catalog: ReadonlySet<string>): string {
  return `unknown ${noun} "${name}"${catalog.size ? ` (known: ${[...catalog].join(', ')})` : ` (the ${noun}s list is empty)`}`;
}

/** An http:// or https:// URL with a host (lookups, webhooks). */
export const isHttpUrl = (u: string): boolean => {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
};
