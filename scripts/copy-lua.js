// tsc does not copy the Redis Lua scripts; this does, into <outDir>/adapters/redis/scripts
// (outDir: dist for the build, dist-bench/src for the benchmarks).
const fs = require('node:fs');
const path = require('node:path');

const out = process.argv[2] ?? 'dist';
const from = path.join(__dirname, '..', 'src', 'adapters', 'redis', 'scripts');
const to = path.join(out, 'adapters', 'redis', 'scripts');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) if (f.endsWith('.lua')) fs.copyFileSync(path.join(from, f), path.join(to, f));
