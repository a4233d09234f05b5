#!/usr/bin/env node
// Writes schema/routing.schema.json from the compiled zod schema (run `npm run build` first).
// `node scripts/gen-schema.js --check` exits 1 when the committed file is stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'config', 'json-schema.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write(`gen-schema: ${compiled} is missing; run \`npm run build\` first\n`);
  process.exit(2);
}
const { routingFileJsonSchemaText } = require(compiled);
const target = path.join(root, 'schema', 'routing.schema.json');
const text = routingFileJsonSchemaText();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    process.stderr.write(`${path.relative(root, target)} is stale: run \`npm run build && node scripts/gen-schema.js\`\n`);
    process.exit(1);
  }
  process.stdout.write(`${path.relative(root, target)} is up to date\n`);
} else {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  process.stdout.write(`wrote ${path.relative(root, target)}\n`);
}
