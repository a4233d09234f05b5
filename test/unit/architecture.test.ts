// The functional core stays pure: no I/O, no clock, no timers, no adapters.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const domain = files(path.join(__dirname, '..', '..', 'src', 'domain'));

describe('src/domain', () => {
  it('has files to check', () => expect(domain.length).toBeGreaterThan(0));
  it.each(domain.map((f) => [path.relative(process.cwd(), f), f]))('%s imports nothing impure and reads no clock', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
    for (const spec of imports) expect(spec).not.toMatch(/^(node:|ioredis|bullmq|ws|express|pino)|adapters\//);
    expect(text).not.toMatch(/Date\.now\(|new Date\(\)|setTimeout\(|setInterval\(|Math\.random\(/);
  });
});
