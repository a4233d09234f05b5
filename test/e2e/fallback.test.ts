// With Switchboard down, the dialplan's fallback still answers: an apology, then a hang-up.
import { AriObserver } from '../support/ari-observer';
import { RtpSink } from '../support/rtp';
import { callerScenario, placeCall } from '../support/sipp';
import { ariUrl, TEST } from '../support/stack';

jest.setTimeout(60_000);

test('a call while the application is not connected hears the apology and is hung up', async () => {
  const observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
  const ear = await RtpSink.open();
  try {
    const res = await placeCall(`127.0.0.1:${TEST.SIP_PORT}`, '5000', callerScenario({ callerNumber: '15550301', byeTimeoutMs: 30_000 }), { rtpPort: ear.port });
    expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
    expect(ear.audibleSeconds).toBeGreaterThan(1);
    // Asterisk recorded that Stasis() failed for this call.
    await observer.waitFor('STASISSTATUS=FAILED', (e) => e.type === 'ChannelVarset' && e.variable === 'STASISSTATUS' && e.value === 'FAILED');
  } finally {
    await ear.close();
    observer.close();
  }
});
