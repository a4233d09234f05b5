#!/usr/bin/env node
// Writes the JSON Schemas generated from the compiled zod schemas (run `npm run build` first):
// schema/routing.schema.json (routing files) and schema/events.schema.json (the event journal).
// `node scripts/gen-schema.js --check` exits 1 when a committed file is stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const schemas = [
  { module: path.join(root, 'dist', 'config', 'json-schema.js'), text: 'routingFileJsonSchemaText', target: path.join(root, 'schema', 'routing.schema.json') },
  { module: path.join(root, 'dist', 'events', 'json-schema.js'), text: 'eventsJsonSchemaText', target: path.join(root, 'schema', 'events.schema.json') },
];
let stale = false;
for (const s of schemas) {
  if (!fs.existsSync(s.module)) {
    process.stderr.write(`gen-schema: ${s.module} is missing; run \`npm run build\` first\n`);
    process.exit(2);
  }
  const text = require(s.module)[s.text]();
  const name = path.relative(root, s.target);
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(s.target) ? fs.readFileSync(s.target, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${name} is stale: run \`npm run build && node scripts/gen-schema.js\`\n`);
      stale = true;
    } else process.stdout.write(`${name} is up to date\n`);
  } else {
    fs.mkdirSync(path.dirname(s.target), { recursive: true });
    fs.writeFileSync(s.target, text);
    process.stdout.write(`wrote ${name}\n`);
  }
}
process.exit(stale ? 1 : 0);
