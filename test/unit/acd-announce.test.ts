// Announcements keep their schedule: after a restart or reconnect they come when their schedule
// says (a period after the last one), not all at once, and one never queues behind another.
import { acdHarness, agent, queue } from '../support/acd-harness';

const announcing = queue('sales', { announcements: { position: true, estimatedWait: false, positionOnlyWhenImproved: false, firstAfterS: 15, everyS: 30 } });

async function waiting() {
  const t = acdHarness([announcing], [agent('a1', { sales: 5 })]);
  await t.call('c1', 'sales'); // at 1_000_000, nobody logged in
  t.tel.take();
  return t;
}
const plays = (log: string[]) => log.filter((l) => l.startsWith('play'));

describe('announcements', () => {
  it('after a restart the next one comes a period after the last, even if that one still plays', async () => {
    const t = await waiting();
    await t.advance(15_000);
    expect(plays(t.tel.take())).toEqual(['play c1 c1-ann-1 sound:queue-youarenext']);
    t.tel.playing.add('c1-ann-1');
    await t.advance(3_000); // the service restarts while it plays
    await t.acd.reconcile();
    expect(t.timers.timers.get('announce:c1')?.due).toBe(1_000_000 + 15_000 + 30_000);
    expect(plays(t.tel.take())).toEqual([]);
    t.tel.playing.delete('c1-ann-1');
    await t.advance(27_000);
    expect(plays(t.tel.take())).toEqual(['play c1 c1-ann-2 sound:queue-youarenext']);
  });

  it('after a restart a first announcement whose time passed meanwhile comes at once', async () => {
    const t = await waiting();
    t.timers.timers.clear(); // the service was away when it came due
    await t.advance(20_000);
    await t.acd.reconcile();
    expect(t.timers.timers.get('announce:c1')?.due).toBe(t.now());
    await t.advance(0);
    expect(plays(t.tel.take())).toEqual(['play c1 c1-ann-1 sound:queue-youarenext']);
  });

  it('one that comes due while the last still plays is skipped, not queued behind it', async () => {
    const t = await waiting();
    await t.advance(15_000);
    t.tel.playing.add('c1-ann-1');
    t.tel.take();
    await t.advance(30_000);
    expect(t.tel.take()).toEqual([]); // no hold music stopped, nothing queued
    expect(t.timers.timers.get('announce:c1')?.due).toBe(t.now() + 30_000);
  });
});
