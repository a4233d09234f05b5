import { stack } from './stack';

export default async function globalTeardown(): Promise<void> {
  if (process.env.SB_TEST_STACK_STARTED !== '1') return;
  delete process.env.SB_TEST_STACK_STARTED;
  const down = await stack('down', 'test');
  if (down.code !== 0) throw new Error(`could not take the test stack down:\n${down.out}`);
}
