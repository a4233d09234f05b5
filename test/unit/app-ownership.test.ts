// Ownership of the ARI application: proven by an echoed probe, lost on ApplicationReplaced or
// silence; taken back from ghosts of our own, never fought over with another Switchboard.
import pino from 'pino';
import { AppOwnership, type AppOwnershipOptions } from '../../src/platform/ari/app-ownership';

jest.useFakeTimers();

function harness(over: Partial<AppOwnershipOptions> = {}) {
  const sent: string[] = [];
  const reclaims: number[] = [];
  let holder: string | undefined = 'me';
  let redisDown = false;
  let owned = 0;
  const o = new AppOwnership({
    instanceId: 'me',
    logger: pino({ level: 'silent' }),
    sendProbe: async (nonce) => void sent.push(nonce),
    reclaim: (ms) => void reclaims.push(ms),
    claimant: async () => {
      if (redisDown) throw new Error('Stream isn\'t writeable');
      return holder;
    },
    claim: async () => {
      holder = 'me';
    },
    onOwned: () => void owned++,
    probeEveryMs: 5000,
    probeTimeoutMs: 3000,
    now: () => Date.now(),
    ...over,
  });
  return {
    o,
    sent,
    reclaims,
    owned: () => owned,
    setHolder: (h: string | undefined) => (holder = h),
    setRedisDown: (d: boolean) => (redisDown = d),
    echoLast: () => o.echo(sent.at(-1)!),
  };
}

const settle = () => jest.advanceTimersByTimeAsync(0);

test('ours only once a probe sent after the connect comes back on the socket', async () => {
  const h = harness();
  h.o.opened();
  expect(h.o.state.status).toBe('unproven');
  h.o.echo('not-the-nonce');
  expect(h.o.state.status).toBe('unproven');
  h.echoLast();
  expect(h.o.state.status).toBe('owned');
  expect(h.owned()).toBe(1);
  // Probed again every 5 s; each echo keeps it ours.
  await jest.advanceTimersByTimeAsync(5000);
  expect(h.sent).toHaveLength(2);
  h.echoLast();
  expect(h.o.state.status).toBe('owned');
  expect(h.owned()).toBe(1);
});

test('a probe that never comes back: the socket is deaf, connect again', async () => {
  const h = harness();
  h.o.opened();
  h.echoLast();
  await jest.advanceTimersByTimeAsync(5000 + 3000);
  expect(h.o.state).toMatchObject({ status: 'lost' });
  expect(h.reclaims).toEqual([1000]);
});

test('replaced by a ghost of our own (the claim is still ours): taken back at once', async () => {
  const h = harness();
  h.o.opened();
  h.echoLast();
  h.o.replaced();
  await settle();
  expect(h.o.state).toMatchObject({ status: 'lost', detail: expect.stringMatching(/taking the application back/) });
  expect(h.reclaims).toEqual([1000]);
});

test('Redis away when replaced: treated as a ghost, taken back', async () => {
  const h = harness();
  h.o.opened();
  h.setRedisDown(true);
  h.o.replaced();
  await settle();
  expect(h.reclaims).toEqual([1000]);
});

test('replaced by another Switchboard: stand by, not ready, until its claim lapses', async () => {
  const h = harness();
  h.o.opened();
  h.echoLast();
  h.setHolder('other-host:42:abc');
  h.o.replaced();
  await settle();
  expect(h.o.state).toMatchObject({ status: 'lost', detail: expect.stringMatching(/taken by Switchboard instance other-host:42:abc/) });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(h.reclaims).toEqual([]);
  expect(h.sent).toHaveLength(1); // no probes while standing by
  h.setHolder(undefined);
  await jest.advanceTimersByTimeAsync(5000);
  expect(h.reclaims).toEqual([0]);
});

test('an unknown client that keeps taking the application is not fought over', async () => {
  const h = harness();
  for (let i = 0; i < 3; i++) {
    h.o.opened();
    h.o.replaced();
    await settle();
    h.o.closed();
  }
  expect(h.reclaims).toEqual([1000, 1000, 1000]);
  h.o.opened();
  h.o.replaced();
  await settle();
  expect(h.o.state).toMatchObject({ status: 'lost', detail: expect.stringMatching(/keeps taking/) });
  expect(h.reclaims).toHaveLength(3);
  await jest.advanceTimersByTimeAsync(30_000);
  expect(h.reclaims).toEqual([1000, 1000, 1000, 0]);
});

test('a closed socket is not ours, and events for it are ignored', async () => {
  const h = harness();
  h.o.opened();
  const nonce = h.sent.at(-1)!;
  h.o.closed();
  h.o.echo(nonce);
  h.o.replaced();
  await settle();
  expect(h.o.state.status).toBe('unproven');
  expect(h.reclaims).toEqual([]);
});

test('a probe Asterisk answers late (a loaded machine) is not silence: the echo is awaited from the answer', async () => {
  let answer: () => void = () => undefined;
  const h = harness({ sendProbe: (nonce) =>
      new Promise<void>((resolve) => {
        h.sent.push(nonce);
        answer = resolve;
      }),
  });
  h.o.opened();
  h.echoLast();
  expect(h.o.state.status).toBe('owned');
  await jest.advanceTimersByTimeAsync(5000); // the next probe goes out; Asterisk takes 8 s to answer it
  await jest.advanceTimersByTimeAsync(8000);
  expect(h.reclaims).toEqual([]);
  expect(h.o.state.status).toBe('owned');
  answer();
  await settle();
  h.echoLast();
  await jest.advanceTimersByTimeAsync(3000);
  expect(h.reclaims).toEqual([]);
  // Answered, then no echo: the socket is deaf after all.
  await jest.advanceTimersByTimeAsync(2000);
  answer();
  await jest.advanceTimersByTimeAsync(3000);
  expect(h.reclaims).toEqual([1000]);
});
