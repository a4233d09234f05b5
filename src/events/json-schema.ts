// The events as JSON Schema (for the consumers of the journal, the event stream and webhooks),
// generated from the same zod definitions the code uses; committed as schema/events.schema.json
// (regenerate: `npm run build && node scripts/gen-schema.js`; a unit test fails when it is stale).
import { z } from 'zod';
import { SwitchboardEventSchema } from './catalogue';

export function eventsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SwitchboardEventSchema, { target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<string, unknown>;
}

/** The committed file's exact text: two-space indentation, trailing newline. */
export function eventsJsonSchemaText(): string {
  return `${JSON.stringify(eventsJsonSchema(), null, 2)}\n`;
}
