// The routing-file format as JSON Schema, for editors (yaml-language-server: a
// "# yaml-language-server: $schema=…" first line) and other tools. Generated from the zod schema
// the loader uses, so the two cannot drift; committed as schema/routing.schema.json
// (regenerate: `npm run build && node scripts/gen-schema.js`; a unit test fails when it is stale).
// Cross-file rules (known skills, queues, languages, sounds, expressions) are not expressible
// here: `switchboard validate` checks them.
import { z } from 'zod';
import { RoutingFileSchema } from './routing';

export function routingFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RoutingFileSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<string, unknown>;
}

/** The committed file's exact text: two-space indentation, trailing newline. */
export function routingFileJsonSchemaText(): string {
  return `${JSON.stringify(routingFileJsonSchema(), null, 2)}\n`;
}
