// tsc does not copy the Redis Lua scripts; this does, keeping their place below src/ (each feature
// keeps its scripts beside the code that runs them), into <outDir> (dist for the build,
// dist-bench/src for the benchmarks).
const fs = require('node:fs');
const path = require('node:path');

const out = process.argv[2] ?? 'dist';
const src = path.join(__dirname, '..', 'src');
function copy(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) copy(from);
    else if (entry.name.endsWith('.lua')) {
      const to = path.join(out, path.relative(src, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}
copy(src);
