// Stands in for a caller's ear (and mouth): receives the RTP Asterisk sends to the caller and
// measures it, so a test can check that the caller heard sound, not only that signalling went
// through. It can also speak: a 1 kHz tone sent to Asterisk's RTP address for the call, so a
// phone that echoes it proves media flows both ways through the bridge. Like a real phone it
// speaks from the start: the address is asked of Asterisk rather than learnt from the first packet
// received (a caller connected to an echoing agent before any hold music would otherwise wait for
// the agent, and the agent for the caller).
import dgram from 'node:dgram';
import { handedOutForSipp } from './net';

/** μ-law encoding of a linear sample (G.711). */
function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let sign = 0;
  let s = sample;
  if (s < 0) {
    s = -s;
    sign = 0x80;
  }
  s = Math.min(s, 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One 20 ms PCMU frame of a tone of `hz` (a divisor of 8000): 2·hz/50 zero crossings a frame (40 at 1 kHz). */
const toneFrame = (hz: number): Buffer => Buffer.from(Array.from({ length: 160 }, (_, i) => linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * hz * (i + 0.5)) / 8000)))));
/** A 20 ms PCMU frame of silence. */
const SILENCE_FRAME = Buffer.alloc(160, 0xff);

function ulawToLinear(u: number): number {
  const x = ~u & 0xff;
  const sign = x & 0x80;
  const exponent = (x >> 4) & 0x07;
  const mantissa = x & 0x0f;
  const sample = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -sample : sample;
}

export class RtpSink {
  packets = 0;
  samples = 0;
  loudSamples = 0; // |sample| above a silence threshold
  payloadTypes = new Set<number>();
  /** Arrival time (ms since the epoch), peak |sample| and zero crossings of each PCMU packet. */
  private readonly arrivals: { at: number; peak: number; crossings: number }[] = [];
  private readonly socket = dgram.createSocket('udp4');
  /** Where Asterisk's RTP comes from (symmetric RTP: where it listens for ours). */
  private remote?: { address: string; port: number };
  private toneTimer?: NodeJS.Timeout;
  private frame: Buffer = SILENCE_FRAME;

  static async open(): Promise<RtpSink> {
    const sink = new RtpSink();
    await new Promise<void>((resolve) => sink.socket.bind(0, '127.0.0.1', () => resolve()));
    // Not on a port just handed to a SIPp that has not bound it yet (net.ts).
    if (handedOutForSipp(sink.socket.address().port)) {
      await new Promise<void>((resolve) => sink.socket.close(() => resolve()));
      return RtpSink.open();
    }
    sink.socket.on('message', (msg, rinfo) => {
      sink.remote ??= { address: rinfo.address, port: rinfo.port };
      sink.onPacket(msg);
    });
    return sink;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Seconds of audio received (PCMU: 8000 samples per second). */
  get seconds(): number {
    return this.samples / 8000;
  }

  /** Seconds of audio that were not silence. */
  get audibleSeconds(): number {
    return this.loudSamples / 8000;
  }

  /** PCMU packets that arrived in [fromMs, toMs) of wall-clock time, and how many carried more than near-silence. */
  packetsBetweenTimes(fromMs: number, toMs: number): { packets: number; nonSilent: number } {
    const inWindow = this.arrivals.filter((a) => a.at >= fromMs && a.at < toMs);
    return { packets: inWindow.length, nonSilent: inWindow.filter((a) => a.peak > 16).length };
  }

  /** PCMU packets in [fromMs, toMs) that carry a clean tone of `hz` like the one speak() sends (a mix of two tones is neither). */
  tonePacketsBetweenTimes(fromMs: number, toMs: number, hz = 1000): number {
    const crossings = hz / 25;
    return this.arrivals.filter((a) => a.at >= fromMs && a.at < toMs && a.peak > 1000 && Math.abs(a.crossings - crossings) <= 4).length;
  }

  /** What speak() sends from now on: a tone of `hz`, or silence. */
  say(hz: number | 'silence'): void {
    this.frame = hz === 'silence' ? SILENCE_FRAME : toneFrame(hz);
  }

  /**
   * Sends a frame every 20 ms to Asterisk, a tone of `hz` to begin with (say() changes it): to the
   * address `findPeer` finds (asked every 100 ms until it answers), or where Asterisk's audio
   * comes from, whichever is known first.
   */
  speak(findPeer?: () => Promise<{ address: string; port: number } | undefined>, hz: number | 'silence' = 1000): void {
    this.say(hz);
    let seq = 0;
    const ssrc = 0x5b0a2d01;
    let asking = false;
    let lastAsk = 0;
    this.toneTimer = setInterval(() => {
      if (!this.remote && findPeer && !asking && Date.now() - lastAsk >= 100) {
        asking = true;
        lastAsk = Date.now();
        void findPeer()
          .then((peer) => {
            if (peer) this.remote ??= peer;
          })
          .catch(() => undefined)
          .finally(() => {
            asking = false;
          });
      }
      if (!this.remote) return;
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 0; // PCMU
      header.writeUInt16BE(seq & 0xffff, 2);
      header.writeUInt32BE((seq * 160) >>> 0, 4);
      header.writeUInt32BE(ssrc, 8);
      seq++;
      this.socket.send(Buffer.concat([header, this.frame]), this.remote.port, this.remote.address);
    }, 20);
  }

  private onPacket(msg: Buffer): void {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    this.payloadTypes.add(pt);
    this.packets++;
    if (pt !== 0) return;
    const cc = msg[0]! & 0x0f;
    let loud = 0;
    let peak = 0;
    let crossings = 0;
    let prev = 0;
    for (let i = 12 + 4 * cc; i < msg.length; i++) {
      this.samples++;
      const x = ulawToLinear(msg[i]!);
      const v = Math.abs(x);
      if (v > 500) loud++;
      if (v > peak) peak = v;
      if ((x > 0 && prev < 0) || (x < 0 && prev > 0)) crossings++;
      if (x !== 0) prev = x;
    }
    this.arrivals.push({ at: Date.now(), peak, crossings });
    this.loudSamples += loud;
  }

  close(): Promise<void> {
    clearInterval(this.toneTimer);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
