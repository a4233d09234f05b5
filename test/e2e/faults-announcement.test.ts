// An agent who answers while the caller hears a queue announcement gets the caller at once: the
// announcement gives way, caller and agent are bridged, media flows both ways, and the queue_log
// says CONNECT. One test per kind of announcement (position, wait estimate, periodic prompt).
import { agentStatus, asteriskRtpFor, ok, queueLogEvents } from '../support/acd-e2e';
import path from 'node:path';
import { AgentPhone } from '../support/agent-phone';
import { AriObserver, type ObservedEvent } from '../support/ari-observer';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ariUrl, ROOT, TEST } from '../support/stack';
import { waitFor } from '../support/net';

jest.setTimeout(90_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
let t: TestService;
let phones: AgentPhone[] = [];

beforeEach(async () => {
  await clearAsterisk();
  for (const agent of ['agent1', 'agent2', 'agent3', 'agent4']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'faults') });
  await waitReady(t);
});

afterEach(async () => {
  for (const p of phones) await p.stop();
  phones = [];
  await t?.stop();
});

const at = (e: ObservedEvent | undefined) => Date.parse(String(e?.timestamp));
const channelOf = (e: ObservedEvent) => (e.channel as { id: string } | undefined)?.id ?? '';

test.each([
  ['position', '5101'],
  ['wait estimate', '5102'],
  ['periodic prompt', '5103'],
])('an agent who answers during the %s announcement gets the caller', async (kind, number) => {
  const observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
  const ear = await RtpSink.open();
  try {
    const agent1 = await AgentPhone.start({ agent: 'agent1', password: 'demo-agent1', target, behaviour: { kind: 'answer', afterMs: 100 }, audio: 'echo' });
    phones.push(agent1);
    await waitFor('agent1 available', async () => (await agentStatus(t, 'agent1')) === 'available');
    await t.service.acd.agentCommand('agent1', 'pause', 'break');
    // The wait estimate needs an eligible agent logged in: agent4 (sales 3), logged in without a phone.
    if (number === '5102') await t.service.acd.agentCommand('agent4', 'login');

    ear.speak(() => asteriskRtpFor(ear.port));
    const caller = placeCall(target, number, callerScenario({ callerNumber: '15550601', hangupAfterMs: 9000 }), { rtpPort: ear.port, timeoutS: 60 });
    const started = await observer.waitFor('the announcement starts', (e) => e.type === 'PlaybackStarted' && /-ann-\d+$/.test(String((e.playback as { id: string }).id)));
    const annId = String((started.playback as { id: string }).id);
    await t.service.acd.agentCommand('agent1', 'ready');

    ok(await caller); // the caller hung up at the end, as planned: nobody hung up on them
    const legUp = observer.events.find((e) => e.type === 'ChannelStateChange' && channelOf(e).includes('-leg-') && (e.channel as { state: string }).state === 'Up');
    const callerId = channelOf(observer.events.find((e) => e.type === 'ChannelEnteredBridge' && !channelOf(e).includes('-leg-'))!);
    const bridged = observer.events.find((e) => e.type === 'ChannelEnteredBridge' && channelOf(e) === callerId);
    const annEnd = observer.events.find((e) => e.type === 'PlaybackFinished' && (e.playback as { id: string }).id === annId);
    expect(legUp && bridged && annEnd).toBeTruthy();
    // The agent answered while the announcement still played; the announcement then gave way and
    // the caller was in the bridge within a second of the answer.
    expect(at(annEnd)).toBeGreaterThan(at(legUp));
    expect(at(bridged) - at(legUp)).toBeLessThan(1000);
    console.log(`${kind}: the agent answered ${at(legUp) - at(started)} ms into the announcement; the caller was in the bridge ${at(bridged) - at(legUp)} ms after the answer`);
    // Media both ways: the caller's tone reached the agent's phone, which echoed it back.
    expect(ear.tonePacketsBetweenTimes(at(bridged) + 500, at(bridged) + 3000)).toBeGreaterThan(60);

    await waitFor('the call completed', async () => (await queueLogEvents(t)).includes('COMPLETECALLER agent1'));
    expect((await queueLogEvents(t)).filter((e) => !/MEMBER|PAUSE/.test(e))).toEqual(['ENTERQUEUE NONE', 'CONNECT agent1', 'COMPLETECALLER agent1']);
    await t.service.acd.agentCommand('agent4', 'logout').catch(() => undefined);
    await expectNothingLeftBehind(t.redis, t.prefix);
  } finally {
    await ear.close();
    observer.close();
  }
});
