// Writes made in the same tick leave in one system call. On loopback each write() to a socket
// costs tens of microseconds of CPU (the kernel runs the receiving side too), which was the largest
// part of the service's CPU per call under load (docs/benchmarks.md, "Load"). The data and its
// order are unchanged; it leaves at the end of the tick instead of at once.

/** The part of a socket (net.Socket or any Writable) this needs. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Returns a function to call before each write: the first in a tick corks, the tick's end uncorks. */
export function tickBatcher(socket: Corkable): () => void {
  let corked = false;
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(() => {
      corked = false;
      socket.uncork();
    });
  };
}

/** Makes every write on `socket` part of its tick's batch (for a client library that writes itself). */
export function batchWritesPerTick<S extends Corkable & { write: (...args: never[]) => boolean }>(socket: S): void {
  const batch = tickBatcher(socket);
  const write = socket.write;
  socket.write = function (this: S, ...args: Parameters<S['write']>): boolean {
    batch();
    return write.apply(this, args);
  } as S['write'];
}
