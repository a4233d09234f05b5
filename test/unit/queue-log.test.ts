// The queue_log, replayed: a scripted day (answered, abandoned while waiting, abandoned while
// ringing, no answer then answered, overflow, full queue, pause and unpause) on the ACD with a fake
// clock, and the file compared line by line with what app_queue writes for the same sequence
// (docs/acd.md has each line's fields and the app_queue source they were checked against).
import { formatQueueLog } from '../../src/acd/queue-log';
import { req } from '../support/acd-fixtures';
import { acdHarness, agent, queue } from '../support/acd-harness';

test('a scripted sequence writes the lines app_queue writes', async () => {
  const t = acdHarness(
    [
      queue('sales', { ringTimeoutS: 15, wrapUpS: 0, maxMissedOffers: 3 }),
      queue('billing', { steps: [{ afterS: 0, requirement: req('billing', 1) }, { afterS: 60, overflowTo: 'sales' }], wrapUpS: 0, maxWaiting: { count: 1, exit: { kind: 'hangup' } } }),
    ],
    [agent('a1', { sales: 5 }), agent('a2', { sales: 5 })],
  );
  const file = () => t.qlog.map(formatQueueLog);
  const at = (s: number) => t.advance(1_000_000 + s * 1000 - t.now());

  // 1000: a1 logs in (sales only: it serves no other queue).
  await t.online('a1');
  // c1 answered: rung at once, answers 2 s later, talks 30 s, the caller hangs up.
  await t.call('c1', 'sales');
  await at(2);
  await t.acd.legAnswered('c1-leg-1');
  await at(32);
  await t.acd.callerLeft('c1');
  // c2 abandons while waiting: a1 paused, c2 waits 10 s in sales and hangs up.
  await t.acd.agentCommand('a1', 'pause', 'break');
  await t.call('c2', 'sales');
  await at(42);
  await t.acd.callerLeft('c2');
  // c3 abandons while a1 rings: a1 ready, c3 arrives, hangs up after 4 s of ringing.
  await t.acd.agentCommand('a1', 'ready');
  await t.call('c3', 'sales');
  await at(46);
  await t.acd.callerLeft('c3');
  // c4: no answer from a1 (Asterisk's ring timeout ends the leg, cause 19), then a2 answers.
  await t.call('c4', 'sales');
  await at(61);
  t.tel.channels.delete('c4-leg-1');
  await t.acd.legEnded('c4-leg-1', { kind: 'destroyed', cause: 19 });
  await t.online('a2'); // a2 logs in and is offered c4
  await at(62);
  await t.acd.legAnswered('c4-leg-2');
  await at(72);
  await t.acd.legEnded('c4-leg-2', { kind: 'destroyed', cause: 16 }); // the agent hangs up
  // c5 waits in billing (nobody serves it); c6 finds billing full; c5 overflows to sales after 60 s and a1 takes it.
  await t.acd.agentCommand('a1', 'pause', 'break');
  await t.acd.agentCommand('a2', 'pause', 'break');
  await t.call('c5', 'billing');
  await t.call('c6', 'billing');
  await at(132);
  await t.acd.agentCommand('a1', 'ready');
  await at(133);
  await t.acd.legAnswered('c5-leg-1');
  await at(143);
  await t.acd.callerLeft('c5');

  expect(file()).toEqual([
    // ADDMEMBER: one line per queue the member joins; call id MANAGER (added from outside a call), data "" (not paused).
    '1000|MANAGER|sales|a1|ADDMEMBER|',
    // ENTERQUEUE|url|callerid|position
    '1000|c1|sales|NONE|ENTERQUEUE||555|1',
    // CONNECT|holdtime s|member channel uniqueid|ringtime s
    '1002|c1|sales|a1|CONNECT|2|c1-leg-1|2',
    // COMPLETECALLER|holdtime|calltime|origposition
    '1032|c1|sales|a1|COMPLETECALLER|2|30|1',
    // Pausing in every queue: PAUSEALL (queue NONE) first, then PAUSE per queue; call id NONE, data = reason.
    '1032|NONE|NONE|a1|PAUSEALL|break',
    '1032|NONE|sales|a1|PAUSE|break',
    '1032|c2|sales|NONE|ENTERQUEUE||555|1',
    // ABANDON|position|origposition|waittime (agent NONE)
    '1042|c2|sales|NONE|ABANDON|1|1|10',
    // UNPAUSE carries the reason given to the unpause (none), not the old pause reason.
    '1042|NONE|NONE|a1|UNPAUSEALL|',
    '1042|NONE|sales|a1|UNPAUSE|',
    '1042|c3|sales|NONE|ENTERQUEUE||555|1',
    // RINGCANCELED|elapsed ms, for the member still ringing; then the ABANDON.
    '1046|c3|sales|a1|RINGCANCELED|4000',
    '1046|c3|sales|NONE|ABANDON|1|1|4',
    '1046|c4|sales|NONE|ENTERQUEUE||555|1',
    // RINGNOANSWER|ring ms
    '1061|c4|sales|a1|RINGNOANSWER|15000',
    '1061|MANAGER|sales|a2|ADDMEMBER|',
    '1062|c4|sales|a2|CONNECT|16|c4-leg-2|1',
    '1072|c4|sales|a2|COMPLETEAGENT|16|10|1',
    '1072|NONE|NONE|a1|PAUSEALL|break',
    '1072|NONE|sales|a1|PAUSE|break',
    '1072|NONE|NONE|a2|PAUSEALL|break',
    '1072|NONE|sales|a2|PAUSE|break',
    '1072|c5|billing|NONE|ENTERQUEUE||555|1',
    // Refused at the door (queue full): app_queue writes nothing (QUEUESTATUS only); written as an entry and its exit.
    '1072|c6|billing|NONE|ENTERQUEUE||555|2',
    '1072|c6|billing|NONE|EXITWITHTIMEOUT|2|2|0',
    // Overflow after 60 s: EXITWITHTIMEOUT from billing, ENTERQUEUE in sales (waits counted from there).
    '1132|c5|billing|NONE|EXITWITHTIMEOUT|1|1|60',
    '1132|c5|sales|NONE|ENTERQUEUE||555|1',
    '1132|NONE|NONE|a1|UNPAUSEALL|',
    '1132|NONE|sales|a1|UNPAUSE|',
    '1133|c5|sales|a1|CONNECT|1|c5-leg-1|1',
    '1143|c5|sales|a1|COMPLETECALLER|1|10|1',
  ]);
  // Every line has app_queue's field count for its event (after the 5 fixed fields).
  const fields: Record<string, number> = { ADDMEMBER: 1, ENTERQUEUE: 3, CONNECT: 3, COMPLETECALLER: 3, COMPLETEAGENT: 3, ABANDON: 3, EXITWITHTIMEOUT: 3, RINGNOANSWER: 1, RINGCANCELED: 1, PAUSE: 1, PAUSEALL: 1, UNPAUSE: 1, UNPAUSEALL: 1 };
  for (const line of file()) expect({ line, data: line.split('|').length - 5 }).toEqual({ line, data: fields[line.split('|')[4]!] });
});

test('events with no data end with the "|" Asterisk always writes; agent names as configured', () => {
  expect(formatQueueLog({ at: 1_000_500, callId: 'NONE', queue: 'NONE', agent: 'NONE', event: 'QUEUESTART', data: [] })).toBe('1000|NONE|NONE|NONE|QUEUESTART|');
  expect(formatQueueLog({ at: 1_000_000, callId: 'c|1', queue: 'q', agent: 'a\n', event: 'SYSCOMPAT', data: [] })).toBe('1000|c_1|q|a_|SYSCOMPAT|');
});
