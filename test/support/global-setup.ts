// Brings the test stack (Asterisk 22 + Redis, profile "test") up when it is not up, and notes
// that it did, so the teardown leaves the machine as it found it.
import { stack } from './stack';

export default async function globalSetup(): Promise<void> {
  if (process.env.SB_TEST_NO_STACK === '1') return; // the caller brings its own Redis (SB_TEST_REDIS_URL)
  if (process.env.SB_TEST_STACK_CHECKED) return; // integration and e2e share one stack
  process.env.SB_TEST_STACK_CHECKED = '1';
  const wasUp = (await stack('status', 'test')).code === 0;
  // Also when it runs: "up" installs the repository's current Asterisk configuration and reloads it.
  const up = await stack('up', 'test');
  if (up.code !== 0) throw new Error(`could not bring the test stack up:\n${up.out}`);
  if (!wasUp) process.env.SB_TEST_STACK_STARTED = '1';
}
