// unlessStopped: a stop ends the wait for a command that may never settle (ioredis between
// reconnections), and otherwise the command's own outcome comes through.
import { STOPPED, unlessStopped } from '../../src/platform/redis/abortable';

const never = () => new Promise<string>(() => undefined);

test('a stop ends the wait for a command that never settles', async () => {
  const stop = new AbortController();
  const waiting = unlessStopped(never(), stop.signal);
  stop.abort();
  await expect(waiting).resolves.toBe(STOPPED);
  await expect(unlessStopped(never(), stop.signal)).resolves.toBe(STOPPED); // already stopped
});

test("the command's value or error comes through when it settles first", async () => {
  const stop = new AbortController();
  await expect(unlessStopped(Promise.resolve('row'), stop.signal)).resolves.toBe('row');
  await expect(unlessStopped(Promise.reject(new Error('Connection is closed.')), stop.signal)).rejects.toThrow('Connection is closed.');
});

test('a command that fails after the stop is not an unhandled rejection', async () => {
  const stop = new AbortController();
  let fail!: (e: Error) => void;
  const late = new Promise<string>((_r, reject) => (fail = reject));
  const waiting = unlessStopped(late, stop.signal);
  stop.abort();
  await expect(waiting).resolves.toBe(STOPPED);
  fail(new Error('late'));
  await new Promise((r) => setImmediate(r));
});
