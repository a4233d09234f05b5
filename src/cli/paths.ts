import os from 'node:os';
import path from 'node:path';

/** The package root, whether running from src/ (tests) or dist/ (installed). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
export const STACK_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'stack.sh');

export function stateDir(profile: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SWITCHBOARD_STATE_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'switchboard');
  return path.join(base, profile);
}
