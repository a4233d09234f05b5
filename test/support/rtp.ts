// Stands in for a caller's ear: receives the RTP Asterisk sends to the caller and measures it,
// so a test can check that the caller heard sound, not only that signalling went through.
import dgram from 'node:dgram';

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
  /** Arrival time (ms since the epoch) and peak |sample| of each PCMU packet. */
  private readonly arrivals: { at: number; peak: number }[] = [];
  private readonly socket = dgram.createSocket('udp4');

  static async open(): Promise<RtpSink> {
    const sink = new RtpSink();
    await new Promise<void>((resolve) => sink.socket.bind(0, '127.0.0.1', () => resolve()));
    sink.socket.on('message', (msg) => sink.onPacket(msg));
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

  private onPacket(msg: Buffer): void {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    this.payloadTypes.add(pt);
    this.packets++;
    if (pt !== 0) return;
    const cc = msg[0]! & 0x0f;
    let loud = 0;
    let peak = 0;
    for (let i = 12 + 4 * cc; i < msg.length; i++) {
      this.samples++;
      const v = Math.abs(ulawToLinear(msg[i]!));
      if (v > 500) loud++;
      if (v > peak) peak = v;
    }
    this.arrivals.push({ at: Date.now(), peak });
    this.loudSamples += loud;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
