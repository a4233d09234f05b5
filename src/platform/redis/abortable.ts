// A blocking read (XREAD BLOCK) that a stop can end at once. ioredis rejects a queued command
// when its client is disconnected, except while it is between reconnection attempts: then the
// command is never settled, and a stop waiting for it would wait forever (seen with Redis killed
// and restarted under a running reader). So the reader waits for the command or the stop,
// whichever comes first.

export const STOPPED = Symbol('stopped');

export function unlessStopped<T>(command: Promise<T>, signal: AbortSignal): Promise<T | typeof STOPPED> {
  command.catch(() => undefined); // if the stop wins, a late rejection is nobody's
  if (signal.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const onStop = (): void => resolve(STOPPED);
    signal.addEventListener('abort', onStop, { once: true });
    command.then(
      (v) => {
        signal.removeEventListener('abort', onStop);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onStop);
        reject(err);
      },
    );
  });
}
