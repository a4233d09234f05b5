// Asterisk's own account of each bridge: the AMI BridgeEnter events, with Asterisk's time
// (timestampevents = yes), read with the asterisk-manager package over the bench profile's AMI
// (config/asterisk/bench/manager.conf: loopback, call events, filtered to BridgeEnter).
import AsteriskManager from 'asterisk-manager';
import { deadline } from './procs';

export interface BridgeEnter {
  /** Asterisk's time of the event, ms since the epoch. */
  t: number;
  bridge: string;
  channel: string;
  callerNum: string;
  channelsInBridge: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');

export class BridgeWatch {
  private readonly ami: InstanceType<typeof AsteriskManager>;
  private events: BridgeEnter[] = [];
  private missingTimestamps = 0;

  constructor(private readonly port: number, user: string, password: string) {
    this.ami = new AsteriskManager(undefined, '127.0.0.1', user, password, true);
    this.ami.on('bridgeenter', (e) => {
      const ts = Number(str(e.timestamp));
      if (!Number.isFinite(ts) || ts <= 0) {
        this.missingTimestamps++;
        return;
      }
      this.events.push({ t: ts * 1000, bridge: str(e.bridgeuniqueid), channel: str(e.channel), callerNum: str(e.calleridnum), channelsInBridge: Number(str(e.bridgenumchannels)) });
    });
  }

  /** Connects and logs in (deadline 10 s). */
  async open(): Promise<void> {
    await deadline(`AMI connection to 127.0.0.1:${this.port}`, new Promise<void>((resolve) => this.ami.connect(this.port, '127.0.0.1', () => resolve())), 10_000);
    await deadline(
      'AMI login',
      new Promise<void>((resolve, reject) => this.ami.login((err) => (err ? reject(new Error(`AMI login refused: ${str(err.message)}`)) : resolve()))),
      10_000,
    );
  }

  /** The events since the last take (and forgets them). Throws if Asterisk sent them without a time. */
  take(): BridgeEnter[] {
    if (this.missingTimestamps > 0) throw new Error(`${this.missingTimestamps} BridgeEnter events came without a Timestamp: is timestampevents = yes in manager.conf?`);
    const out = this.events;
    this.events = [];
    return out;
  }

  close(): void {
    this.ami.disconnect();
  }
}

/**
 * When each caller was bridged with an agent: the time the second channel entered a bridge that
 * holds the caller's channel (PJSIP/trunk-…), keyed by the caller's number.
 */
export function bridgedAt(events: readonly BridgeEnter[]): Map<string, number> {
  const members = new Map<string, { count: number; caller?: string }>();
  const out = new Map<string, number>();
  for (const e of events) {
    const b = members.get(e.bridge) ?? { count: 0 };
    b.count++;
    if (e.channel.startsWith('PJSIP/trunk-')) b.caller = e.callerNum;
    members.set(e.bridge, b);
    if (b.caller !== undefined && Math.max(b.count, e.channelsInBridge) >= 2 && !out.has(b.caller)) out.set(b.caller, e.t);
  }
  return out;
}
