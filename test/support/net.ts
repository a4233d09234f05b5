import dgram from 'node:dgram';

/** A free UDP port on loopback (bound then released; the OS does not hand it out again at once). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A base for SIPp's media ports: SIPp binds four from it (audio RTP and RTCP, video RTP and RTCP,
 * base to base + 3), and a base whose + 2 another process held made SIPp exit at start ("Unable to
 * bind video RTP socket ... Address already in use"). All four are bound together to check them,
 * then released (the OS does not hand them out again at once).
 */
export async function freeMediaPorts(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const first = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => first.bind(0, '127.0.0.1', () => resolve()));
    const base = first.address().port;
    const rest = [1, 2, 3].map(() => dgram.createSocket('udp4'));
    const bound = await Promise.all(
      rest.map((sock, i) => new Promise<boolean>((resolve) => {
        sock.once('error', () => resolve(false));
        sock.bind(base + i + 1, '127.0.0.1', () => resolve(true));
      })),
    );
    await Promise.all([first, ...rest].map((sock) => new Promise<void>((resolve) => {
      try {
        sock.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    })));
    if (bound.every(Boolean) && base + 3 <= 65535) return base;
    if (attempt >= 50) throw new Error('no four free UDP ports in a row for SIPp media');
  }
}

/** Polls `check` until it returns a value, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
