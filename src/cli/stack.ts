// The CLI's bridge to scripts/stack.sh, which provisions Asterisk, Redis and SIPp.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { STACK_SCRIPT } from './paths';

const execFileP = promisify(execFile);

/** Runs a stack command with its output on our terminal; resolves to the exit code. */
export function runStack(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [STACK_SCRIPT, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The service environment for a stack profile (`stack.sh env <profile>`). */
export async function stackEnv(profile: string): Promise<Record<string, string>> {
  const { stdout } = await execFileP('bash', [STACK_SCRIPT, 'env', profile]);
  const env: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}
