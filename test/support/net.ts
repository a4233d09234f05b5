import dgram from 'node:dgram';

/**
 * Ports handed out for a SIPp to bind a moment later, and until when. The OS may hand a port it
 * just released to the next bind(0) (a SIP port landed on the media base once: SIPp exited with
 * "Unable to bind audio RTP socket ... Address already in use"), so this process never hands the
 * same port out twice in that time, and its own listeners (test ears) stay off them.
 */
const handedOut = new Map<number, number>();
const HELD_MS = 15_000;

/** Handed to a SIPp that may not have bound it yet. */
export function handedOutForSipp(port: number): boolean {
  const until = handedOut.get(port);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  handedOut.delete(port);
  return false;
}

function handOut(ports: number[]): void {
  const until = Date.now() + HELD_MS;
  for (const p of ports) handedOut.set(p, until);
}

/** A free UDP port on loopback for a SIPp to bind (bound then released, and not handed out again for a while). */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    const { port } = s.address();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    if (!handedOutForSipp(port)) {
      handOut([port]);
      return port;
    }
    if (attempt >= 50) throw new Error('no free UDP port for SIPp');
  }
}

/**
 * A base for SIPp's media ports: SIPp binds four from it (audio RTP and RTCP, video RTP and RTCP,
 * base to base + 3), and a base whose + 2 another process held made SIPp exit at start ("Unable to
 * bind video RTP socket ... Address already in use"). All four are bound together to check them,
 * then released, and not handed out again for a while (see handedOut).
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
    const ports = [base, base + 1, base + 2, base + 3];
    if (bound.every(Boolean) && base + 3 <= 65535 && !ports.some(handedOutForSipp)) {
      handOut(ports);
      return base;
    }
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
