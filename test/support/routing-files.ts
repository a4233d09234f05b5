// Routing-file folders for tests: write files to a fresh temp folder, and collect the problems
// loadRoutingDir reports (file names relative to that folder).
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadRoutingDir, type LoadOptions } from '../../src/config/routing';

export async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-cfg-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

export async function problems(files: Record<string, string>, opts?: LoadOptions): Promise<string[]> {
  const dir = await dirWith(files);
  try {
    await loadRoutingDir(dir, opts);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').map((l) => l.replace(dir + path.sep, ''));
    throw err;
  }
  throw new Error('expected a ConfigError');
}
