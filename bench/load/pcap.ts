// The wire, read back: a libpcap file of SIP over UDP on loopback (tcpdump -i lo: Ethernet link
// type), parsed in Node, and each caller's call put together from it by its caller number.
//
// pcap format: a 24-byte file header (magic a1b2c3d4 = microsecond or a1b23c4d = nanosecond
// timestamps, in the writer's byte order; the link type at offset 20), then per packet a 16-byte
// header (seconds, fraction, captured length, original length) and the captured bytes.

export interface SipMessage {
  /** Capture time, ms since the epoch (fractional). */
  t: number;
  srcPort: number;
  dstPort: number;
  /** Request method, or undefined for a response. */
  method?: string;
  /** Response status, or undefined for a request. */
  status?: number;
  callId: string;
  cseqMethod: string;
  /** The user part of the From URI (the caller's number on both legs). */
  fromUser: string;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

/** Every packet of a pcap file: its time (ms) and its link-layer frame. */
export function* pcapPackets(buf: Buffer): Generator<{ t: number; frame: Buffer; linkType: number }> {
  if (buf.length < 24) return;
  const magicLE = buf.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const magic = le ? magicLE : buf.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('not a pcap file (pcapng is not read: capture with tcpdump -w)');
  const fracPerMs = magic === 0xa1b23c4d ? 1e6 : 1e3;
  const u32 = (off: number) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const linkType = u32(20);
  let off = 24;
  while (off + 16 <= buf.length) {
    const t = u32(off) * 1000 + u32(off + 4) / fracPerMs;
    const incl = u32(off + 8);
    const start = off + 16;
    if (start + incl > buf.length) break; // a truncated last record (capture stopped mid-write)
    yield { t, frame: buf.subarray(start, start + incl), linkType };
    off = start + incl;
  }
}

/** The UDP ports and payload of an IPv4 frame, or undefined for anything else. */
export function udpOf(frame: Buffer, linkType: number): { srcPort: number; dstPort: number; payload: Buffer } | undefined {
  let ip: number;
  if (linkType === LINKTYPE_ETHERNET) {
    if (frame.length < 14 || frame.readUInt16BE(12) !== 0x0800) return undefined;
    ip = 14;
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    if (frame.length < 16 || frame.readUInt16BE(14) !== 0x0800) return undefined;
    ip = 16;
  } else {
    throw new Error(`pcap link type ${linkType} is not read (Ethernet, as on lo, or Linux cooked)`);
  }
  if (frame.length < ip + 20 || frame[ip]! >> 4 !== 4 || frame[ip + 9] !== 17) return undefined;
  const fragment = frame.readUInt16BE(ip + 6) & 0x1fff;
  if (fragment !== 0) return undefined; // not a first fragment: no UDP header
  const udp = ip + (frame[ip]! & 0x0f) * 4;
  if (frame.length < udp + 8) return undefined;
  return { srcPort: frame.readUInt16BE(udp), dstPort: frame.readUInt16BE(udp + 2), payload: frame.subarray(udp + 8) };
}

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from' };

/** The parts of a SIP message the benchmark needs (start line, Call-ID, CSeq, From user). */
export function parseSip(payload: Buffer, t: number, srcPort: number, dstPort: number): SipMessage | undefined {
  const text = payload.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end >= 0 ? text.slice(0, end) : text).split('\r\n');
  const first = lines[0] ?? '';
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    if (headers[name] === undefined) headers[name] = line.slice(colon + 1).trim();
  }
  const callId = headers['call-id'];
  const cseq = headers.cseq?.split(/\s+/)[1];
  if (!callId || !cseq) return undefined;
  const fromUser = /sips?:([^@;>\s]+)@/i.exec(headers.from ?? '')?.[1] ?? '';
  const status = /^SIP\/2\.0 (\d{3})/.exec(first);
  if (status) return { t, srcPort, dstPort, status: Number(status[1]), callId, cseqMethod: cseq.toUpperCase(), fromUser };
  const method = /^([A-Z]+) \S+ SIP\/2\.0$/.exec(first)?.[1];
  return method ? { t, srcPort, dstPort, method, callId, cseqMethod: cseq.toUpperCase(), fromUser } : undefined;
}

/** Every SIP message in a capture, in capture order. */
export function sipMessages(buf: Buffer): SipMessage[] {
  const out: SipMessage[] = [];
  for (const { t, frame, linkType } of pcapPackets(buf)) {
    const udp = udpOf(frame, linkType);
    if (!udp) continue;
    const m = parseSip(udp.payload, t, udp.srcPort, udp.dstPort);
    if (m) out.push(m);
  }
  return out;
}

/** One caller's call as the wire saw it (times in ms since the epoch). */
export interface CallerCall {
  number: string;
  /** The caller's first INVITE. */
  invite: number;
  /** Asterisk's first final answer to it: its status and time. */
  finalStatus?: number;
  answered?: number;
  /** Asterisk's BYE to the caller (the far side hung up). */
  byeFromFar?: number;
  /** The first INVITE to the phone whose From carries this caller's number. */
  agentInvite?: number;
  /** The phone's 200 OK to one of those INVITEs. */
  agentAnswered?: number;
}

export interface Ports {
  asterisk: number;
  caller: number;
  phone: number;
}

/** Puts each caller's call together: the caller leg by Call-ID, the agent leg by caller number. */
export function callerCalls(messages: readonly SipMessage[], ports: Ports): Map<string, CallerCall> {
  const byCallId = new Map<string, CallerCall>();
  const agentLegs = new Map<string, string>(); // agent-leg Call-ID -> caller number
  const byNumber = new Map<string, CallerCall>();
  for (const m of messages) {
    if (m.srcPort === ports.caller && m.dstPort === ports.asterisk && m.method === 'INVITE' && !byCallId.has(m.callId)) {
      const c: CallerCall = { number: m.fromUser, invite: m.t };
      byCallId.set(m.callId, c);
      byNumber.set(m.fromUser, c);
    } else if (m.srcPort === ports.asterisk && m.dstPort === ports.caller) {
      const c = byCallId.get(m.callId);
      if (!c) continue;
      if (m.status !== undefined && m.status >= 200 && m.cseqMethod === 'INVITE' && c.finalStatus === undefined) {
        c.finalStatus = m.status;
        if (m.status < 300) c.answered = m.t;
      } else if (m.method === 'BYE' && c.byeFromFar === undefined) c.byeFromFar = m.t;
    } else if (m.srcPort === ports.asterisk && m.dstPort === ports.phone && m.method === 'INVITE') {
      const c = byNumber.get(m.fromUser);
      if (!c) continue;
      agentLegs.set(m.callId, m.fromUser);
      if (c.agentInvite === undefined) c.agentInvite = m.t;
    } else if (m.srcPort === ports.phone && m.dstPort === ports.asterisk && m.status === 200 && m.cseqMethod === 'INVITE') {
      const number = agentLegs.get(m.callId);
      const c = number === undefined ? undefined : byNumber.get(number);
      if (c && c.agentAnswered === undefined) c.agentAnswered = m.t;
    }
  }
  return byNumber;
}
