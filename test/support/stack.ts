// Test access to the "test" stack profile (config/stack/test.env) and its scripts.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(__dirname, '..', '..');
export const STACK = path.join(ROOT, 'scripts', 'stack.sh');
const execFileP = promisify(execFile);

const PROFILE_KEYS = ['SIP_PORT', 'ARI_PORT', 'REDIS_PORT', 'HTTP_PORT', 'ARI_APP', 'ARI_USER', 'ARI_PASSWORD', 'CARRIER_PORT'] as const;
export type Profile = Record<(typeof PROFILE_KEYS)[number], string>;

export function profile(name = 'test'): Profile {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path.join(ROOT, 'config', 'stack', `${name}.env`), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  for (const k of PROFILE_KEYS) if (!out[k]) throw new Error(`config/stack/${name}.env has no ${k}`);
  return out as Profile;
}

export const TEST = profile('test');

export async function stack(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await execFileP('bash', [STACK, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

export const redisUrl = (): string => process.env.SB_TEST_REDIS_URL || `redis://127.0.0.1:${TEST.REDIS_PORT}/0`;
export const ariUrl = (): string => `http://127.0.0.1:${TEST.ARI_PORT}`;
