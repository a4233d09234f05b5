// The ACD service on in-memory ports and a fake clock: who gets rung, what happens on answer,
// no answer, abandon, wrap-up, overflow and lease expiry, and what reaches the queue_log.
import { req } from '../support/acd-fixtures';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

describe('AcdService', () => {
  it('rings the longest-idle eligible agent, bridges on answer, wraps up after the call', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 }), agent('x', { tv: 5 })]);
    await t.online('a2');
    await t.advance(1000);
    await t.online('a1', 'x');
    t.tel.take();
    await t.call('c1', 'sales');
    expect(t.tel.take()).toEqual(['moh c1 default', 'originate PJSIP/a2 c1-leg-1']);
    expect((await t.state('a2'))?.status).toBe('reserved');
    await t.acd.legAnswered('c1-leg-1');
    expect(t.tel.take()).toEqual(['moh-stop c1', 'bridge c1-bridge c1,c1-leg-1']);
    expect((await t.state('a2'))?.status).toBe('on-call');
    await t.advance(60_000);
    await t.acd.callerLeft('c1');
    expect(t.tel.take()).toEqual(['hangup c1-leg-1', 'destroy c1-bridge']);
    expect((await t.state('a2'))?.status).toBe('wrap-up');
    await t.advance(4_999);
    expect((await t.state('a2'))?.status).toBe('wrap-up');
    await t.advance(1);
    expect((await t.state('a2'))?.status).toBe('available');
    // x (tv only) serves no queue here: no membership line for it.
    expect(t.events()).toEqual(['ADDMEMBER a2', 'ADDMEMBER a1', 'ENTERQUEUE c1', 'CONNECT a2 c1', 'COMPLETECALLER a2 c1']);
    expect(t.qlog.find((l) => l.event === 'COMPLETECALLER')?.data).toEqual([0, 60, 1]);
  });

  it('an unreachable (unregistered) agent is never rung', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.acd.agentCommand('a1', 'login');
    await t.call('c1', 'sales');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual([]);
    await t.acd.setReachable('a1', true);
    expect(t.tel.take()).toEqual(['originate PJSIP/a1 c1-leg-1']);
  });

  it('no answer: the call goes to the next agent, and the agent is paused after N misses in a row', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 })]);
    await t.online('a1');
    await t.advance(10);
    await t.online('a2');
    await t.call('c1', 'sales');
    await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 19 });
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 c1-leg-1', 'originate PJSIP/a2 c1-leg-2']);
    expect(await t.state('a1')).toMatchObject({ status: 'available', missed: 1 });
    // a2 misses too; a1 is not offered c1 again within a ring timeout of its own miss, so c1 waits.
    await t.acd.legEnded('c1-leg-2', { kind: 'destroyed', cause: 17 });
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual([]);
    await t.advance(15_000);
    await t.acd.sweep();
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 c1-leg-3']);
    await t.acd.legEnded('c1-leg-3', { kind: 'destroyed', cause: 19 });
    expect(await t.state('a1')).toMatchObject({ status: 'paused', pauseReason: 'no-answer', missed: 2 });
    expect(t.events().filter((e) => /RINGNOANSWER|PAUSE/.test(e))).toEqual(['RINGNOANSWER a1 c1', 'RINGNOANSWER a2 c1', 'RINGNOANSWER a1 c1', 'PAUSEALL a1', 'PAUSE a1']);
    // a2's own miss is a ring timeout old by now: the call goes back to a2, never to the paused a1.
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-4']);
  });

  it('abandon while waiting and while ringing', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.call('w', 'sales');
    await t.acd.callerLeft('w');
    expect(await t.store.getEntry('w')).toBeUndefined();
    await t.online('a1');
    await t.call('r', 'sales');
    t.tel.take();
    await t.acd.callerLeft('r');
    expect(t.tel.take()).toEqual(['hangup r-leg-1']);
    expect(await t.state('a1')).toMatchObject({ status: 'available', missed: 0 });
    expect(t.events().filter((e) => e.startsWith('ABANDON'))).toEqual(['ABANDON w', 'ABANDON r']);
    // The agent leg's late answer finds nobody: it is hung up.
    await t.acd.legAnswered('r-leg-1');
    expect(t.tel.take()).toEqual(['hangup r-leg-1']);
  });

  it('an agent who becomes available takes the oldest call across its queues, priority first', async () => {
    const t = setup([queue('sales'), queue('billing')], [agent('a1', { sales: 5, billing: 5 })]);
    await t.call('b-old', 'billing');
    await t.advance(1000);
    await t.call('s-new', 'sales');
    await t.advance(1000);
    await t.call('s-vip', 'sales', 5);
    await t.online('a1');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 s-vip-leg-1']);
  });

  it('requirement steps relax over time and a final step overflows to another queue', async () => {
    const t = setup(
      [queue('billing', { steps: [{ afterS: 0, requirement: req('billing', 5) }, { afterS: 30, requirement: req('billing', 1) }, { afterS: 60, overflowTo: 'sales' }] }), queue('sales')],
      [agent('junior', { billing: 2 }), agent('seller', { sales: 5 }, {})],
    );
    await t.online('junior');
    await t.acd.agentCommand('junior', 'pause', 'break');
    await t.online('seller');
    await t.call('c1', 'billing');
    await t.advance(29_999);
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual([]);
    await t.acd.agentCommand('junior', 'ready');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual([]); // still needs billing ≥ 5
    await t.acd.agentCommand('junior', 'pause', 'break');
    await t.advance(30_001); // 60 s: overflow to sales
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/seller c1-leg-1']);
    expect(t.events().filter((e) => /ENTERQUEUE|EXITWITHTIMEOUT/.test(e))).toEqual(['ENTERQUEUE c1', 'EXITWITHTIMEOUT c1', 'ENTERQUEUE c1']);
    expect((await t.store.getEntry('c1'))?.d.queue).toBe('sales');
  });

  it('a full queue sends the caller to its exit; a maximum wait ends in its exit', async () => {
    const t = setup([queue('sales', { maxWaiting: { count: 1, exit: { kind: 'hangup' } }, maxWait: { seconds: 60, exit: { kind: 'queue', queue: 'billing' } } }), queue('billing')], []);
    await t.call('c1', 'sales');
    await t.call('c2', 'sales');
    expect(t.tel.take()).toEqual(['moh c1 default', 'hangup c2']);
    await t.advance(60_000);
    expect((await t.store.getEntry('c1'))?.d.queue).toBe('billing');
    // Refused at the door: written as an entry and its exit (app_queue writes nothing; docs/acd.md).
    expect(t.events()).toEqual(['ENTERQUEUE c1', 'ENTERQUEUE c2', 'EXITWITHTIMEOUT c2', 'EXITWITHTIMEOUT c1', 'ENTERQUEUE c1']);
    // The exit to billing keeps the caller's place: the original enqueue time.
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ enqueuedAt: 1_000_000, queuedAt: 1_060_000 });
  });

  it('a reservation whose lease ran out (its instance died) is released: agent free, call offered again', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 })]);
    await t.online('a1');
    await t.call('c1', 'sales');
    // Simulate a dead instance: the ring-timeout timer and the leg never report back.
    t.timers.timers.clear();
    await t.advance(15_000 + 10_000);
    await t.online('a2');
    t.tel.take();
    expect(await t.acd.releaseExpiredLeases()).toBe(1);
    // An instance that died is not the agent's doing: no strike.
    expect(await t.state('a1')).toMatchObject({ status: 'available', missed: 0 });
    expect(t.tel.take()).toEqual(['hangup c1-leg-1', 'moh c1 default', 'originate PJSIP/a2 c1-leg-2']);
    expect(await t.store.expiredLeases(t.now() + 1e9)).toEqual(['a2']);
  });

  it('an endpoint Asterisk does not know: the offer is released without a strike and the agent marked unreachable', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.online('a1');
    t.tel.originateOutcome = 'unknown-endpoint';
    await t.call('c1', 'sales');
    expect(await t.state('a1')).toMatchObject({ status: 'available', missed: 0, reachable: false });
    expect((await t.store.getEntry('c1'))?.d.state).toBe('waiting');
  });

  it('pause with an unknown reason is refused; agent commands journal PAUSE/UNPAUSE', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.online('a1');
    await expect(t.acd.agentCommand('a1', 'pause', 'nap')).rejects.toThrow('unknown pause reason "nap"');
    // no-answer is the system's, set by missed offers only.
    await expect(t.acd.agentCommand('a1', 'pause', 'no-answer')).rejects.toThrow('pause reason "no-answer" is reserved for the automatic pause after missed offers');
    await expect(t.acd.agentCommand('zz', 'login')).rejects.toThrow('unknown agent "zz"');
    await t.acd.agentCommand('a1', 'pause', 'break');
    await t.acd.agentCommand('a1', 'ready');
    await t.acd.agentCommand('a1', 'logout');
    expect(t.events()).toEqual(['ADDMEMBER a1', 'PAUSEALL a1', 'PAUSE a1', 'UNPAUSEALL a1', 'UNPAUSE a1', 'REMOVEMEMBER a1']);
  });

  it('refreshing endpoints: unknown to Asterisk → unreachable (warned once); busy outside Switchboard → not offered', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 })]);
    await t.acd.agentCommand('a1', 'login');
    await t.acd.agentCommand('a2', 'login');
    t.tel.endpoints.set('PJSIP/a2', { online: true, busy: true });
    await t.acd.refreshEndpoints();
    await t.acd.refreshEndpoints();
    expect(t.logs.filter((l) => /does not know this endpoint/.test(l.msg))).toHaveLength(1);
    expect(await t.state('a1')).toMatchObject({ status: 'available', reachable: false });
    expect(await t.state('a2')).toMatchObject({ status: 'available', reachable: false });
    await t.call('c1', 'sales');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual([]);
    // The outside call ends: a2 is offered the waiting call.
    t.tel.endpoints.set('PJSIP/a2', { online: true, busy: false });
    await t.acd.endpointChanged('PJSIP/a2');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-1']);
  });

  it('an endpoint change applies the state the event carried (no question to Asterisk)', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.acd.agentCommand('a1', 'login');
    t.tel.endpoints.set('PJSIP/a1', { online: true, busy: false }); // what Asterisk would say if asked
    await t.acd.endpointChanged('PJSIP/a1', { online: true, busy: true });
    expect(await t.state('a1')).toMatchObject({ reachable: false });
    await t.acd.endpointChanged('PJSIP/a1', { online: false, busy: false });
    expect(await t.state('a1')).toMatchObject({ reachable: false });
    await t.acd.endpointChanged('PJSIP/a1', { online: true, busy: false });
    expect(await t.state('a1')).toMatchObject({ reachable: true });
  });

  describe('review findings', () => {
    it('a maximum wait that comes due while an agent rings still ends the wait after the miss', async () => {
      const t = setup([queue('sales', { maxWait: { seconds: 10, exit: { kind: 'hangup' } } })], [agent('a1', { sales: 5 })]);
      await t.call('c1', 'sales');
      await t.advance(8_000);
      await t.online('a1'); // rung at 8 s
      await t.advance(3_000); // max wait (10 s) comes due while ringing: skipped
      await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 19 });
      await t.advance(0); // armed again, already due
      expect(t.tel.take()).toContain('hangup c1');
      expect(t.events().filter((e) => e.startsWith('EXIT'))).toEqual(['EXITWITHTIMEOUT c1']);
    });

    it('hold music comes back when an announcement ends while the agent rings', async () => {
      const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
      await t.online('a1');
      await t.call('c1', 'sales'); // offered at once
      t.tel.take();
      await t.acd.playbackFinished('c1', 'c1-ann-1');
      expect(t.tel.take()).toEqual(['moh c1 default']);
    });

    it('queue exits that loop are cut after a few hops', async () => {
      const t = setup(
        [queue('a', { whenNoAgents: { kind: 'queue', queue: 'b' } }), queue('b', { whenNoAgents: { kind: 'queue', queue: 'a' } })],
        [],
      );
      await t.call('c1', 'a');
      expect(t.tel.take()).toEqual(['hangup c1']);
      expect(t.events().filter((e) => e === 'EXITEMPTY c1').length).toBe(6);
    });

    it('a failed hang-up after a call still starts (and ends) the wrap-up; a lost wrap-up timer is ended by the sweep', async () => {
      const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
      await t.online('a1');
      await t.call('c1', 'sales');
      await t.acd.legAnswered('c1-leg-1');
      t.tel.hangup = async () => {
        throw new Error('Asterisk went away');
      };
      await t.acd.callerLeft('c1');
      expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
      expect(t.events()).toContain('COMPLETECALLER a1 c1');
      t.timers.timers.clear(); // lost
      await t.advance(5_000 + 5_001);
      await t.acd.sweep();
      expect(await t.state('a1')).toMatchObject({ status: 'available' });
    });

    it('an overflow found by the sweep is journaled and the new queue takes over', async () => {
      const t = setup([queue('billing', { steps: [{ afterS: 0, requirement: req('billing', 5) }, { afterS: 30, overflowTo: 'sales' }] }), queue('sales', { maxWait: { seconds: 600, exit: { kind: 'hangup' } } })], [agent('s', { sales: 1 })]);
      await t.online('s');
      await t.acd.agentCommand('s', 'pause', 'break');
      await t.call('c1', 'billing');
      t.timers.timers.clear(); // the step timer is lost; the sweep sees the overflow first
      await t.advance(30_000);
      await t.acd.agentCommand('s', 'ready');
      await t.acd.sweep();
      expect(t.events().filter((e) => /ENTERQUEUE|EXITWITHTIMEOUT/.test(e))).toEqual(['ENTERQUEUE c1', 'EXITWITHTIMEOUT c1', 'ENTERQUEUE c1']);
      expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/s c1-leg-1']);
    });

    it('a caller who left while the agent leg was being originated: the leg is hung up', async () => {
      const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
      await t.online('a1');
      const originate = t.tel.originate.bind(t.tel);
      t.tel.originate = async (o) => {
        const r = await originate(o);
        await t.acd.callerLeft('c1'); // lands while the originate is under way
        return r;
      };
      await t.call('c1', 'sales');
      expect(t.tel.take().filter((l) => l.startsWith('hangup'))).toEqual(['hangup c1-leg-1', 'hangup c1-leg-1']);
      expect(await t.state('a1')).toMatchObject({ status: 'available' });
    });

    it('a caller gone without our hearing of it (events lost): when the agent answers, the call is an abandon and the agent is free', async () => {
      const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
      await t.call('c1', 'sales');
      t.tel.gone.add('c1');
      await t.online('a1');
      expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 c1-leg-1']);
      await t.acd.legAnswered('c1-leg-1');
      expect(t.tel.take()).toContain('hangup c1-leg-1');
      expect(await t.state('a1')).toMatchObject({ status: 'available', missed: 0, callsTaken: 0 });
      expect(await t.store.getEntry('c1')).toBeUndefined();
      expect(t.events().filter((e) => /CONNECT|ABANDON/.test(e))).toEqual(['ABANDON a1 c1']);
    });
  });

  it('announces position and a skill-aware wait estimate while the caller waits', async () => {
    const t = setup(
      [queue('sales', { announcements: { position: true, estimatedWait: true, positionOnlyWhenImproved: true, firstAfterS: 10, everyS: 20 } })],
      [agent('a1', { sales: 5 }), agent('a2', { sales: 5 }), agent('x', { tv: 5 })],
    );
    await t.online('a1', 'a2', 'x');
    // Both sales agents are busy on other calls: staffed, eligible, not free.
    await t.call('busy1', 'sales');
    await t.call('busy2', 'sales');
    await t.acd.legAnswered('busy1-leg-1');
    await t.acd.legAnswered('busy2-leg-1');
    await t.call('c1', 'sales');
    await t.call('c2', 'sales');
    t.tel.take();
    await t.advance(10_000);
    const plays = t.tel.take().filter((l) => l.startsWith('play'));
    // c1: first in line; 2 eligible agents, AHT 185 s (180 s talk + 5 s wrap-up): 92.5 s → 2 min.
    expect(plays).toContainEqual('play c1 c1-ann-1 sound:queue-youarenext,sound:queue-holdtime,number:2,sound:queue-minutes');
    // c2: one caller ahead: 185 s → 3 min.
    expect(plays).toContainEqual('play c2 c2-ann-1 sound:queue-thereare,number:1,sound:queue-callswaiting,sound:queue-holdtime,number:3,sound:queue-minutes');
    // The next round, positions unchanged: no position (only when improved), the estimate again.
    await t.advance(20_000);
    expect(t.tel.take().filter((l) => l.startsWith('play c2'))).toEqual(['play c2 c2-ann-2 sound:queue-holdtime,number:3,sound:queue-minutes']);
  });

  it('a queue with a survey: when the agent hangs up first, the caller is not hung up but handed to the survey', async () => {
    const started: string[] = [];
    const t = setup([queue('sales', { survey: 'rate-us' })], [agent('a1', { sales: 5 })], { afterCall: async (c) => void started.push(`${c.callId} ${c.flow}`) });
    await t.online('a1');
    await t.call('c1', 'sales');
    await t.acd.legAnswered('c1-leg-1');
    t.tel.take();
    await t.acd.legEnded('c1-leg-1', { kind: 'hangup-requested' });
    expect(t.tel.take()).toEqual(['destroy c1-bridge']);
    expect(started).toEqual(['c1 rate-us']);
    expect(t.events()).toContain('COMPLETEAGENT a1 c1');
    // When the caller hangs up first there is no survey.
    await t.advance(5000);
    await t.call('c2', 'sales');
    await t.acd.legAnswered('c2-leg-1');
    await t.acd.callerLeft('c2');
    expect(started).toEqual(['c1 rate-us']);
  });
});

describe('strikes count only the agent not answering', () => {
  it('offers that fail for the system (congestion, an originate that failed, our own ring deadline, a lost leg) never pause the agent', async () => {
    const t = setup([queue('sales', { maxMissedOffers: 2 })], [agent('a1', { sales: 5 })]);
    await t.online('a1');
    const failures = [
      () => t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 34 }), // no circuit (e.g. no RTP port)
      () => t.acd.legEnded('c2-leg-1', { kind: 'destroyed', cause: 41 }), // temporary failure
      () => t.acd.legEnded('c3-leg-1', { kind: 'failed' }),
      () => t.acd.onTimer({ kind: 'ring-timeout', callId: 'c4', legId: 'c4-leg-1' }),
    ];
    for (const [i, fail] of failures.entries()) {
      await t.advance(20_000); // past the previous call's ring timeout
      await t.call(`c${i + 1}`, 'sales');
      expect((await t.state('a1'))?.status).toBe('reserved');
      await fail();
      expect(await t.state('a1')).toMatchObject({ status: 'available', missed: 0 });
      await t.acd.callerLeft(`c${i + 1}`);
    }
    const causes = t.published.filter((e) => e.type === 'queue.ring-no-answer').map((e) => (e as { cause: string }).cause);
    expect(causes).toEqual(['cause 34', 'cause 41', 'failed', 'ring-timeout']);
  });

  it('no answer, busy and decline are strikes; a hang-up request waits for the cause that follows it', async () => {
    const t = setup([queue('sales', { maxMissedOffers: 3 })], [agent('a1', { sales: 5 })]);
    await t.online('a1');
    for (const [i, cause] of [19, 17, 21].entries()) {
      await t.advance(20_000);
      await t.call(`c${i + 1}`, 'sales');
      await t.acd.legEnded(`c${i + 1}-leg-1`, { kind: 'hangup-requested' });
      expect((await t.state('a1'))?.status).toBe('reserved'); // the cause is not known yet
      await t.acd.legEnded(`c${i + 1}-leg-1`, { kind: 'destroyed', cause });
      await t.acd.callerLeft(`c${i + 1}`);
    }
    expect(await t.state('a1')).toMatchObject({ status: 'paused', pauseReason: 'no-answer', missed: 3 });
  });
});
