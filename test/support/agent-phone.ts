// SIPp plays agent softphones for end-to-end tests of the ACD.
//
// One AgentPhone = one answering SIPp (UAS) listening on a free loopback port, plus short-lived
// SIPp REGISTER runs (digest auth) whose Contact points at that port. Asterisk then sends
// INVITEs for `PJSIP/agentN` to the UAS, which answers them according to a Behaviour. The UAS
// scenario is generated per behaviour (SIPp takes pauses and timeouts as literal numbers only)
// and handles up to `maxCalls` calls in sequence. Every SIP message goes to a -trace_msg file,
// which invites()/answered()/callEnds() parse (SIPp flushes it per message).
//
// What Asterisk 22 (profile "test") reports for calls originated over ARI to a phone
// (POST /ari/channels?endpoint=PJSIP/agentN&app=...&timeout=5&channelId=...), measured with
// test/e2e/agent-phone.test.ts, which asserts these numbers — the ACD maps them:
//   answered                     StasisStart for the channel id, channel.state "Up"
//   no answer (originate timeout) Asterisk CANCELs; ChannelDestroyed cause 19
//                                "User alerting, no answer", tech_cause 480, ~5.0 s after the POST
//   busy (486 Busy Here)         ChannelDestroyed cause 17 "User busy", tech_cause 486
//   reject (603 Decline)         ChannelDestroyed cause 21 "Call Rejected", tech_cause 603
//   agent not registered         POST /ari/channels answers HTTP 500 {"error":"Allocation failed"};
//                                no channel, no events
//   phone registered but its UAS gone (e.g. maxCalls used up)
//                                looks like no answer: ChannelDestroyed cause 19, tech_cause 480
//   agent hangs up (plain BYE)   ChannelHangupRequest without a cause field, StasisEnd, then
//                                ChannelDestroyed cause 0 "Unknown" (not 16!)
//   ARI DELETE /channels/{id}    ChannelHangupRequest cause 32 soft=true, StasisEnd, ChannelDestroyed
//                                cause 16 "Normal Clearing"; the phone gets a BYE
// Endpoint state (GET /ari/endpoints/PJSIP/agentN): {"technology":"PJSIP","resource":"agentN",
// "state":"online"|"offline","channel_ids":[...]}; online once registered, offline after an
// unregister. An app subscribed to endpoint:PJSIP/agentN gets EndpointStateChange,
// PeerStatusChange (peer_status "Reachable"/"Unreachable") and ContactStatusChange
// (contact_status "NonQualified"/"Removed") on register/unregister; an unsubscribed app gets none.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeMediaPorts, freeUdpPort, waitFor } from './net';

export type Behaviour =
  /** 180 Ringing, then 200 OK after `afterMs` (a CANCEL meanwhile is accepted: 200 + 487).
   *  `hangupAfterMs`: the agent sends BYE that long after the ACK (a re-INVITE restarts the wait);
   *  without it the phone waits for the far end's BYE. `refer`: `afterMs` after the ACK the phone
   *  sends a blind-transfer REFER to `to` and expects it refused with `expect`, then stays in the call. */
  | { kind: 'answer'; afterMs: number; hangupAfterMs?: number; refer?: { afterMs: number; to: string; expect: number } }
  /** 180 Ringing until the far end CANCELs. */
  | { kind: 'no-answer' }
  /** 486 Busy Here. */
  | { kind: 'busy' }
  /** 603 Decline. */
  | { kind: 'reject' };

export interface AgentPhoneOptions {
  /** SIP user and auth username, e.g. "agent1". */
  agent: string;
  password: string;
  /** Asterisk's SIP address, e.g. "127.0.0.1:5160". */
  target: string;
  behaviour: Behaviour;
  /** Calls the UAS handles before it exits (SIPp -m). Default 1000. */
  maxCalls?: number;
  /** What the phone sends as audio once it answers: nothing (default), an echo of what it
   *  receives (SIPp -rtp_echo), or /usr/share/sip-tester/g711a.pcap (answered as PCMA). */
  audio?: 'silence' | 'echo' | 'pcap';
  /** Register at start (default true). */
  register?: boolean;
  /** Listen on this SIP port instead of a free one (the demo carrier's customer phone: CARRIER_PORT). */
  port?: number;
  /** Announce this RTP port in the SDP (an RtpSink's, to hear and speak the call) instead of SIPp's own. */
  rtpPort?: number;
}

/** One call as the phone saw it (from the message trace). */
export interface PhoneCall {
  callId: string;
  /** The INVITE arrived. */
  invited: boolean;
  /** 200 OK to the INVITE sent and its ACK received. */
  answered: boolean;
  /** How it ended, if it did: BYE received/sent, CANCEL received, or our final error response (486/603). */
  end?: 'bye-received' | 'bye-sent' | 'cancel-received' | 'busy' | 'rejected';
  /** After a CANCEL: the far end acknowledged our 487 (a malformed one is dropped and never ACKed). */
  cancelAcked?: boolean;
}

export const AGENT_PCAP = '/usr/share/sip-tester/g711a.pcap';

const cdata = (s: string): string => `<![CDATA[\n${s}\n]]>`;

function sdp(codec: 'PCMU' | 'PCMA', rtpPort?: number): string {
  const pt = codec === 'PCMU' ? 0 : 8;
  return `v=0
o=agent 1 1 IN IP4 [media_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio ${rtpPort ?? '[media_port]'} RTP/AVP ${pt} 101
a=rtpmap:${pt} ${codec}/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv`;
}

/** The UAS scenario for one behaviour (exported so tests can look at it). */
export function agentScenario(agent: string, b: Behaviour, audio: AgentPhoneOptions['audio'] = 'silence', rtpPort?: number): string {
  const tag = ';tag=[pid]SIPpTag01[call_number]';
  const contact = `Contact: <sip:${agent}@[local_ip]:[local_port]>`;
  const response = (status: string, opts: { toTag?: boolean; body?: string; cseq?: string } = {}): string =>
    `SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:]${opts.toTag === false ? '' : tag}
[last_Call-ID:]
${opts.cseq ?? '[last_CSeq:]'}
${contact}
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, UPDATE
${opts.body ? 'Content-Type: application/sdp\n' : ''}Content-Length: [len]
${opts.body ? `\n${opts.body}` : ''}`;
  const codec = audio === 'pcap' ? 'PCMA' : 'PCMU';
  const parts: string[] = [];
  // Jumps go on the element itself (<send next>, <recv next>), never on a following <nop next>:
  // a message that arrives before SIPp runs the nop is "unexpected" and aborts the call.
  // The INVITE: keep what a BYE of our own and a 487 after a CANCEL need.
  parts.push(`<recv request="INVITE">
  <action>
    <ereg regexp="&lt;sip:([^&gt;]*)&gt;" search_in="hdr" header="Contact:" assign_to="c0,peer_contact"/>
    <ereg regexp="[^ \t].*" search_in="hdr" header="From:" assign_to="peer_from"/>
    <ereg regexp="[^ \t].*" search_in="hdr" header="To:" assign_to="my_to"/>
    <ereg regexp="([0-9]+)" search_in="hdr" header="CSeq:" assign_to="c1,invite_cseq"/>
  </action>
</recv>`);
  // Not every behaviour uses every capture; tell SIPp that is fine.
  parts.push('<Reference variables="c0,c1,peer_contact,peer_from,my_to,invite_cseq"/>');
  const trying = `<send>${cdata(response('100 Trying', { toTag: false }))}</send>`;
  const ringing = `<send>${cdata(response('180 Ringing'))}</send>`;
  // A CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, then its ACK; the call ends.
  const cancelled = `<label id="cancelled"/>
<send>${cdata(response('200 OK', { toTag: false }))}</send>
<send retrans="500">${cdata(`SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
To: [$my_to]${tag}
[last_Call-ID:]
CSeq: [$invite_cseq] INVITE
${contact}
Content-Length: 0
`)}</send>
<recv request="ACK" next="end"/>`;
  const finalError = (status: string) =>
    `<send retrans="500">${cdata(response(status))}</send>\n<recv request="ACK" next="end"/>`;

  switch (b.kind) {
    case 'busy':
      parts.push(trying, finalError('486 Busy Here'));
      break;
    case 'reject':
      parts.push(trying, finalError('603 Decline'));
      break;
    case 'no-answer':
      parts.push(trying, ringing, '<recv request="CANCEL"/>', cancelled);
      break;
    case 'answer': {
      parts.push(trying, ringing);
      if (b.afterMs > 0) {
        // Wait afterMs for a CANCEL without <pause> (a message during a pause aborts the call).
        parts.push(`<recv request="CANCEL" timeout="${Math.round(b.afterMs)}" ontimeout="answer" next="cancelled"/>`);
      }
      parts.push('<label id="answer"/>');
      parts.push(`<send retrans="500">${cdata(response('200 OK', { body: sdp(codec, rtpPort) }))}</send>`);
      // A CANCEL that crossed our 200 gets its 200 (RFC 3261 9.2); the ACK and a BYE follow.
      parts.push('<recv request="CANCEL" optional="true" next="latecancel"/>');
      parts.push('<label id="acked"/>');
      // (The pcap starts from the ACK's own action: a <nop> after it could abort on a quick BYE.)
      parts.push(audio === 'pcap' ? `<recv request="ACK"><action><exec play_pcap_audio="${AGENT_PCAP}"/></action></recv>` : '<recv request="ACK"/>');
      if (b.refer) {
        // Wait afterMs in the call (answering re-INVITEs), then REFER and expect it refused.
        const r = ` timeout="${Math.max(1, Math.round(b.refer.afterMs))}" ontimeout="refer"`;
        parts.push('<label id="prerefer"/>');
        parts.push(`<recv request="INVITE" optional="true" next="prereinvite"${r}/>`);
        parts.push(`<recv request="BYE"${r} next="byein"/>`);
        parts.push('<label id="prereinvite"/>');
        parts.push(`<send retrans="500">${cdata(response('200 OK', { toTag: false, body: sdp(codec, rtpPort) }))}</send>`);
        parts.push('<recv request="ACK" next="prerefer"/>');
        parts.push('<label id="refer"/>');
        parts.push(`<send retrans="500">${cdata(`REFER sip:[$peer_contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$my_to]${tag}
To: [$peer_from]
Call-ID: [call_id]
CSeq: 2 REFER
${contact}
Refer-To: <sip:${b.refer.to}@[remote_ip]:[remote_port]>
Referred-By: <sip:${agent}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
`)}</send>`);
        parts.push(`<recv response="${b.refer.expect}"/>`);
      }
      // In the call: answer re-INVITEs, wait for the far end's BYE or hang up after hangupAfterMs.
      const t = b.hangupAfterMs !== undefined ? ` timeout="${Math.max(1, Math.round(b.hangupAfterMs))}" ontimeout="hangup"` : '';
      parts.push('<label id="incall"/>');
      parts.push(`<recv request="INVITE" optional="true" next="reinvite"${t}/>`);
      parts.push(`<recv request="BYE"${t}/>`);
      parts.push('<label id="byein"/>');
      parts.push(`<send next="end">${cdata(response('200 OK', { toTag: false }))}</send>`);
      parts.push('<label id="reinvite"/>');
      parts.push(`<send retrans="500">${cdata(response('200 OK', { toTag: false, body: sdp(codec, rtpPort) }))}</send>`);
      parts.push('<recv request="ACK" next="incall"/>');
      parts.push('<label id="latecancel"/>');
      parts.push(`<send next="acked">${cdata(response('200 OK', { toTag: false }))}</send>`);
      if (b.hangupAfterMs !== undefined) {
        parts.push('<label id="hangup"/>');
        parts.push(`<send retrans="500">${cdata(`BYE sip:[$peer_contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$my_to]${tag}
To: [$peer_from]
Call-ID: [call_id]
CSeq: ${b.refer ? 3 : 2} BYE
${contact}
Max-Forwards: 70
Content-Length: 0
`)}</send>`);
        // The 200 to our BYE, or (their BYE crossed ours) their BYE, which we answer.
        parts.push('<recv response="200" optional="true" next="end"/>');
        parts.push('<recv request="BYE"/>');
        parts.push(`<send next="end">${cdata(response('200 OK', { toTag: false }))}</send>`);
      }
      parts.push(cancelled);
      break;
    }
  }
  parts.push('<label id="end"/>');
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="switchboard agent ${agent} ${b.kind}">\n${parts.filter(Boolean).join('\n')}\n</scenario>\n`;
}

/** REGISTER (401 challenge, digest, 200) binding `contact` for `expires` seconds; contact "*" with expires 0 clears all bindings. */
export function registerScenario(agent: string, contact: string, expires: number): string {
  const req = (cseq: number, auth: boolean) => `REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${agent}@[remote_ip]:[remote_port]>;tag=[pid]reg[call_number]
To: <sip:${agent}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: ${cseq} REGISTER
Contact: ${contact === '*' ? '*' : `<${contact}>`}
Expires: ${expires}
${auth ? '[authentication]\n' : ''}Max-Forwards: 70
User-Agent: SIPp-switchboard-agent
Content-Length: 0
`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="switchboard agent register">
<send retrans="500">${cdata(req(1, false))}</send>
<recv response="401" auth="true"/>
<send retrans="500">${cdata(req(2, true))}</send>
<recv response="200"/>
</scenario>
`;
}

/** Runs one SIPp REGISTER; resolves on the 200 OK, rejects with SIPp's output otherwise. */
export async function sippRegister(o: { agent: string; password: string; target: string; contact: string; expires: number; timeoutS?: number }): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-agent-reg-'));
  try {
    const sf = path.join(dir, 'register.xml');
    await writeFile(sf, registerScenario(o.agent, o.contact, o.expires));
    const port = await freeUdpPort();
    const args = [o.target, '-sf', sf, '-m', '1', '-i', '127.0.0.1', '-p', String(port), '-au', o.agent, '-ap', o.password,
      '-timeout', `${o.timeoutS ?? 10}s`, '-timeout_error', '-nostdin', '-trace_err', '-error_file', path.join(dir, 'errors.log')];
    const { code, output } = await run('sipp', args, dir);
    if (code !== 0) {
      const errors = await readFile(path.join(dir, 'errors.log'), 'utf8').catch(() => '');
      throw new Error(`REGISTER ${o.agent} (contact ${o.contact}, expires ${o.expires}) failed, sipp exit ${code}:\n${output.slice(-1500)}${errors.slice(-1500)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (c) => resolve({ code: c ?? 1, output }));
  });
}

/** True while something (SIPp) holds the UDP port. */
async function portBusy(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

interface TraceMsg {
  dir: 'in' | 'out';
  firstLine: string;
  callId: string;
  cseqMethod: string;
}

/** Splits a SIPp -trace_msg file into messages. */
export function parseTrace(text: string): TraceMsg[] {
  const out: TraceMsg[] = [];
  for (const block of text.split(/^-{10,} \d{4}-\d\d-\d\d [\d:.]+\n/m)) {
    const m = /^UDP message (sent|received)[^\n]*\n\n([^\n]*)\n([\s\S]*)$/.exec(block);
    if (!m) continue;
    const headers = m[3] ?? '';
    out.push({
      dir: m[1] === 'sent' ? 'out' : 'in',
      firstLine: (m[2] ?? '').trim(),
      callId: /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(headers)?.[1] ?? '',
      cseqMethod: /^CSeq\s*:\s*\d+\s+(\S+)/im.exec(headers)?.[1] ?? '',
    });
  }
  return out;
}

/** Calls, in order of arrival, from trace messages. Retransmissions and re-INVITEs fold into their call. */
export function callsFromTrace(msgs: TraceMsg[]): PhoneCall[] {
  const calls = new Map<string, PhoneCall & { ok200: boolean }>();
  for (const m of msgs) {
    const isReq = !m.firstLine.startsWith('SIP/2.0');
    const method = isReq ? m.firstLine.split(' ')[0] : '';
    const status = isReq ? 0 : Number(m.firstLine.split(' ')[1]);
    let c = calls.get(m.callId);
    if (!c) {
      if (!(isReq && method === 'INVITE' && m.dir === 'in')) continue; // e.g. out-of-call OPTIONS
      c = { callId: m.callId, invited: true, answered: false, ok200: false };
      calls.set(m.callId, c);
    }
    if (m.dir === 'out' && status === 200 && m.cseqMethod === 'INVITE') c.ok200 = true;
    if (m.dir === 'in' && method === 'ACK' && c.ok200) c.answered = true;
    if (m.dir === 'in' && method === 'ACK' && c.end === 'cancel-received') c.cancelAcked = true;
    if (!c.end) {
      if (method === 'BYE') c.end = m.dir === 'in' ? 'bye-received' : 'bye-sent';
      else if (method === 'CANCEL' && m.dir === 'in' && !c.ok200) c.end = 'cancel-received'; // one crossing our 200 ends nothing
      else if (m.dir === 'out' && m.cseqMethod === 'INVITE' && status === 486) c.end = 'busy';
      else if (m.dir === 'out' && m.cseqMethod === 'INVITE' && status === 603) c.end = 'rejected';
    }
  }
  return [...calls.values()].map(({ ok200: _ok, ...c }) => c);
}

export class AgentPhone {
  readonly agent: string;
  /** The port the answering SIPp listens on (the registered Contact). */
  readonly port: number;
  readonly mediaPort: number;
  private behaviour: Behaviour;
  private uas?: ChildProcess;
  private uasExit?: Promise<void>;
  private uasOutput = '';
  private uasGen = 0;
  private readonly traceFiles: string[] = [];
  private registered = false;

  private constructor(
    private readonly opts: AgentPhoneOptions,
    private readonly dir: string,
    port: number,
    mediaPort: number,
  ) {
    this.agent = opts.agent;
    this.behaviour = opts.behaviour;
    this.port = port;
    this.mediaPort = mediaPort;
  }

  /**
   * Starts the answering SIPp on a free port, then REGISTERs with Contact at that port; resolves
   * after the 200 OK. A port found free can be taken by another process before SIPp binds it
   * (seen once: "Unable to bind main socket ... Address already in use"): then another port.
   */
  static async start(opts: AgentPhoneOptions): Promise<AgentPhone> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await AgentPhone.startOnce(opts);
      } catch (err) {
        const taken = err instanceof Error && /Unable to bind main socket/.test(err.message);
        if (!taken || opts.port !== undefined || attempt >= 3) throw err;
      }
    }
  }

  private static async startOnce(opts: AgentPhoneOptions): Promise<AgentPhone> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `sb-agent-${opts.agent}-`));
    const phone = new AgentPhone(opts, dir, opts.port ?? (await freeUdpPort()), await freeMediaPorts());
    try {
      await phone.startUas();
      if (opts.register !== false) await phone.register();
    } catch (err) {
      await phone.stop().catch(() => undefined);
      throw err;
    }
    return phone;
  }

  /** Removes every registration of `agent` (REGISTER Contact: * Expires: 0), e.g. left in astdb by a crashed run. */
  static clearRegistrations(o: { agent: string; password: string; target: string }): Promise<void> {
    return sippRegister({ ...o, contact: '*', expires: 0 });
  }

  get contact(): string {
    return `sip:${this.agent}@127.0.0.1:${this.port}`;
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** REGISTER (Expires 3600) with Contact at the UAS port; resolves on the 200 OK. */
  async register(expires = 3600): Promise<void> {
    await sippRegister({ agent: this.agent, password: this.opts.password, target: this.opts.target, contact: this.contact, expires });
    this.registered = expires > 0;
  }

  /** REGISTER with Expires: 0 for our Contact; resolves on the 200 OK. */
  async unregister(): Promise<void> {
    await sippRegister({ agent: this.agent, password: this.opts.password, target: this.opts.target, contact: this.contact, expires: 0 });
    this.registered = false;
  }

  /** Every call the phone has seen (all behaviours so far). */
  calls(): PhoneCall[] {
    return callsFromTrace(parseTrace(this.traceFiles.map((f) => readTrace(f)).join('')));
  }

  /** INVITEs received so far (initial INVITEs, one per call; retransmissions and re-INVITEs not counted). */
  invites(): number {
    return this.calls().length;
  }

  /** Calls answered: 200 OK sent and the ACK received. */
  answered(): number {
    return this.calls().filter((c) => c.answered).length;
  }

  /** Calls ended: BYE received or sent, CANCEL received, or refused with 486/603. */
  callEnds(): number {
    return this.calls().filter((c) => c.end).length;
  }

  /** Waits until `n` INVITEs in total have arrived (default 1). */
  async waitForInvite(n = 1, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${this.agent}: INVITE #${n} (seen ${this.invites()})`, () => this.invites() >= n, timeoutMs);
  }

  /** Waits until `n` calls in total have ended (default 1). */
  async waitForCallEnd(n = 1, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${this.agent}: end of call #${n} (ended ${this.callEnds()})`, () => this.callEnds() >= n, timeoutMs);
  }

  /** Every SIP message the UAS sent and received so far (for failure messages). */
  trace(): string {
    return this.traceFiles.map((f) => readTrace(f)).join('');
  }

  /** Swaps the answering scenario (same port, registration kept). Refuses while a call is up. */
  async setBehaviour(b: Behaviour): Promise<void> {
    const open = this.calls().filter((c) => !c.end);
    if (open.length) throw new Error(`${this.agent}: setBehaviour during a call (${open.map((c) => c.callId).join(', ')})`);
    await this.killUas();
    this.behaviour = b;
    await this.startUas();
  }

  /** Unregisters if registered, stops the UAS, removes temporary files. */
  async stop(): Promise<void> {
    try {
      if (this.registered) await this.unregister();
    } finally {
      await this.killUas();
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private async startUas(): Promise<void> {
    const gen = ++this.uasGen;
    const sf = path.join(this.dir, `uas-${gen}.xml`);
    const mf = path.join(this.dir, `messages-${gen}.log`);
    await writeFile(sf, agentScenario(this.agent, this.behaviour, this.opts.audio, this.opts.rtpPort));
    this.traceFiles.push(mf);
    const args = ['-sf', sf, '-i', '127.0.0.1', '-p', String(this.port), '-mi', '127.0.0.1', '-mp', String(this.mediaPort),
      '-m', String(this.opts.maxCalls ?? 1000), '-aa', '-nostdin', '-trace_msg', '-message_file', mf,
      '-trace_err', '-error_file', path.join(this.dir, `errors-${gen}.log`)];
    if (this.opts.audio === 'echo') args.push('-rtp_echo');
    const child = spawn('sipp', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.uasOutput = (this.uasOutput + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.uas = child;
    let exited = false;
    this.uasExit = new Promise((resolve) => child.on('exit', () => ((exited = true), resolve())));
    try {
      await waitFor(`${this.agent}: SIPp listening on ${this.port}`, async () => {
        if (exited) throw new Error(`${this.agent}: SIPp UAS exited at start:\n${this.uasOutput}`);
        return portBusy(this.port);
      }, 5_000);
    } catch (err) {
      await this.killUas();
      throw err;
    }
  }

  private async killUas(): Promise<void> {
    const child = this.uas;
    if (!child) return;
    this.uas = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await this.uasExit;
    }
    // The port is free again once the process is gone (SIPp binds nothing else there).
    await waitFor(`${this.agent}: port ${this.port} released`, async () => !(await portBusy(this.port)), 2_000).catch(() => undefined);
  }
}

function readTrace(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}
