// SIPp plays callers. Scenarios are generated from options because SIPp takes pauses and
// timeouts as literal numbers only (no variables).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeMediaPorts, freeUdpPort } from './net';

export const DTMF_PCAP_DIR = '/usr/share/sip-tester';

function pcapFor(digit: string): string {
  const name = digit === '#' ? 'pound' : digit === '*' ? 'star' : digit;
  return `${DTMF_PCAP_DIR}/dtmf_2833_${name}.pcap`;
}

/**
 * SIPp replays a pcap byte for byte, and each stock DTMF pcap carries the RTP sequence numbers
 * and timestamps of the capture it came from (digit 1 lower than digit 3): a "1" sent after a "3"
 * looks old to Asterisk and is dropped. So every key press of a call gets its own copy, with
 * sequence numbers and timestamps that keep increasing.
 */
export function dtmfPcap(digit: string, press: number): Buffer {
  const src = readFileSync(pcapFor(digit));
  const out = Buffer.from(src);
  let off = 24;
  let i = 0;
  while (off + 16 <= out.length) {
    const incl = out.readUInt32LE(off + 8);
    const rtp = off + 16 + 42; // Ethernet 14 + IPv4 20 + UDP 8
    out.writeUInt16BE((1000 + press * 50 + i) & 0xffff, rtp + 2);
    out.writeUInt32BE(8000 + press * 8000, rtp + 4); // one timestamp per event
    off += 16 + incl;
    i++;
  }
  return out;
}

const KEY_GAP = '<pause milliseconds="350"/>';
const KEY = (d: string, n: number) => `@DTMF:${d === '#' ? 'pound' : d === '*' ? 'star' : d}:${n}@`;

export interface CallerOptions {
  /** Digits sent as RFC 4733 events right after the answer. */
  digits?: string;
  /** Hang up ourselves this long after the answer (after the digits); otherwise wait for the server's BYE. */
  hangupAfterMs?: number;
  /** How long to wait for the server's BYE. */
  byeTimeoutMs?: number;
  /** Expect this final response instead of 200 (e.g. 404 for an unknown number). */
  expectFailure?: number;
  callerNumber?: string;
  /** A display name in the From header (what a carrier sends as CNAM). */
  callerName?: string;
  /** After the answer (and `digits`): pauses, key presses and speech, in order. */
  script?: Array<{ pauseMs: number } | { keys: string } | { speech: true }>;
  /** Offer A-law (needed to play the stock speech recording, g711a.pcap). Default μ-law. */
  codec?: 'pcmu' | 'pcma';
  /** After the answer (and `digits`/`script`): send a blind-transfer REFER to this number and expect
   *  it refused with this status; the call then goes on (hang-up as `hangupAfterMs` says). */
  refer?: { to: string; expect: number };
}

/** The stock SIPp speech sample (A-law) and its length. */
export const SPEECH_PCAP = `${DTMF_PCAP_DIR}/g711a.pcap`;

const sdpFor = (codec: 'pcmu' | 'pcma') => `v=0
o=sipp 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio [rtp_port] RTP/AVP ${codec === 'pcma' ? '8' : '0'} 101
a=rtpmap:${codec === 'pcma' ? '8 PCMA' : '0 PCMU'}/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv`;

export function callerScenario(o: CallerOptions): string {
  const from = o.callerNumber ?? '15550100';
  const invite = `INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: ${o.callerName ? `"${o.callerName}" ` : ''}<sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${sdpFor(o.codec ?? 'pcmu')}
`;
  const ack = (cseq = '1') => `ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: ${cseq} ACK
Contact: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
`;
  const cdata = (s: string) => `<![CDATA[\n${s}\n]]>`;
  const parts: string[] = [`<send retrans="500">${cdata(invite)}</send>`];
  let presses = 0;
  const press = (d: string) => `<nop><action><exec play_pcap_audio="${KEY(d, presses++)}"/></action></nop>`;
  parts.push('<recv response="100" optional="true"/>', '<recv response="180" optional="true"/>', '<recv response="183" optional="true"/>');
  if (o.expectFailure) {
    parts.push(`<recv response="${o.expectFailure}"/>`, `<send>${cdata(ack())}</send>`);
  } else {
    parts.push('<recv response="200" rtd="true"/>', `<send>${cdata(ack())}</send>`);
    // A key press: the stock pcap's events say 280 ms (its RFC 4733 duration), so the next key comes
    // after that: keys closer together than their own duration are presses no phone makes (and
    // make Asterisk report some twice).
    for (const d of o.digits ?? '') parts.push(press(d), KEY_GAP);
    for (const step of o.script ?? []) {
      if ('pauseMs' in step) parts.push(`<pause milliseconds="${step.pauseMs}"/>`);
      else if ('keys' in step) for (const d of step.keys) parts.push(press(d), KEY_GAP);
      else parts.push(`<nop><action><exec play_pcap_audio="${SPEECH_PCAP}"/></action></nop>`, '<pause milliseconds="7500"/>'); // the sample lasts 7.05 s
    }
    // No pause after the last key: the far end may answer it at once (a BYE during a pause aborts the call).
    if (parts.at(-1) === KEY_GAP && o.hangupAfterMs === undefined) parts.pop();
    if (o.refer) {
      parts.push(`<send retrans="500">${cdata(`REFER sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 2 REFER
Contact: <sip:${from}@[local_ip]:[local_port]>
Refer-To: <sip:${o.refer.to}@[remote_ip]:[remote_port]>
Referred-By: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
`)}</send>`);
      parts.push(`<recv response="${o.refer.expect}"/>`);
    }
    if (o.hangupAfterMs !== undefined) {
      parts.push(`<pause milliseconds="${o.hangupAfterMs}"/>`);
      parts.push(`<send retrans="500">${cdata(`BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: ${o.refer ? 3 : 2} BYE
Contact: <sip:${from}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
`)}</send>`);
      parts.push('<recv response="200"/>');
    } else {
      parts.push(`<recv request="BYE" timeout="${o.byeTimeoutMs ?? 30_000}"/>`);
      parts.push(`<send>${cdata(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:${from}@[local_ip]:[local_port]>
Content-Length: 0
`)}</send>`);
    }
  }
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="switchboard caller">\n${parts.join('\n')}\n</scenario>\n`;
}

/** Milliseconds from our INVITE to the 200 OK that answered it, from a SIPp message trace. */
export function answerDelayMs(messages: string): number | undefined {
  let sentAt: number | undefined;
  for (const block of messages.split(/^-{10,} (?=\d{4}-\d\d-\d\d)/m)) {
    const m = /^(\d{4}-\d\d-\d\d) ([\d:.]+)\s*\n(?:UDP message (sent|received)[^\n]*\n\n)([^\n]*)[\s\S]*?^CSeq:\s*\d+\s+(\S+)/m.exec(block);
    if (!m) continue;
    const at = Date.parse(`${m[1]}T${m[2]!.slice(0, 12)}`);
    if (m[3] === 'sent' && m[4]!.startsWith('INVITE ') && sentAt === undefined) sentAt = at;
    if (m[3] === 'received' && m[4]!.startsWith('SIP/2.0 200') && m[5] === 'INVITE' && sentAt !== undefined) return at - sentAt;
  }
  return undefined;
}

async function replaceAsync(text: string, re: RegExp, fn: (m: string, ...groups: string[]) => Promise<string>): Promise<string> {
  const found = [...text.matchAll(re)];
  const values = await Promise.all(found.map((m) => fn(m[0], ...m.slice(1))));
  let i = 0;
  return text.replace(re, () => values[i++]!);
}

export interface SippResult {
  code: number;
  output: string;
  /** Every SIP message sent and received. */
  messages: string;
  elapsedMs: number;
}

/** Places one call with SIPp and resolves when SIPp exits. */
export async function placeCall(target: string, number: string, scenarioXml: string, opts: { rtpPort: number; timeoutS?: number }): Promise<SippResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-sipp-'));
  const sf = path.join(dir, 'scenario.xml');
  const mf = path.join(dir, 'messages.log');
  // Key presses: write this call's DTMF pcaps and point the scenario at them.
  const xml = await replaceAsync(scenarioXml, /@DTMF:([0-9a-z]+):(\d+)@/g, async (_m, name: string, n: string) => {
    const digit = name === 'pound' ? '#' : name === 'star' ? '*' : name;
    const file = path.join(dir, `dtmf-${n}.pcap`);
    await writeFile(file, dtmfPcap(digit, Number(n)));
    return file;
  });
  await writeFile(sf, xml);
  const sipPort = await freeUdpPort();
  const mediaPort = await freeMediaPorts();
  const args = [target, '-sf', sf, '-s', number, '-m', '1', '-l', '1', '-i', '127.0.0.1', '-p', String(sipPort), '-mp', String(mediaPort),
    '-key', 'rtp_port', String(opts.rtpPort), '-timeout', `${opts.timeoutS ?? 60}s`, '-timeout_error', '-nostdin', '-trace_msg', '-message_file', mf, '-trace_err', '-error_file', path.join(dir, 'errors.log')];
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (c) => resolve({ code: c ?? 1, output }));
  });
  const messages = await readFile(mf, 'utf8').catch(() => '');
  const errors = await readFile(path.join(dir, 'errors.log'), 'utf8').catch(() => '');
  return { code, output: output.slice(-3000) + errors, messages, elapsedMs: Date.now() - started };
}
