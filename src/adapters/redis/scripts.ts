// Lua scripts live beside this file as <name>-<numKeys>.lua (copied to dist by the build).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function loadScript(file: string): string {
  return readFileSync(path.join(__dirname, 'scripts', file), 'utf8');
}
