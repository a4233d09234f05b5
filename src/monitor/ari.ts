// Monitoring over ARI: the supervisor's leg (appArgs "monitor-leg", its channel id the session's)
// and the snoop channels (appArgs "snoop"), and the telephony port the service uses.
import { endpointReach } from '../acd/ari-telephony';
import { callIdOf } from '../kernel/ids';
import { AriHttpError } from '../platform/ari/errors';
import type { AriRest } from '../platform/ari/rest';
import type { AriRouter } from '../platform/ari/router';
import type { MonitorService, MonitorTelephony } from './service';

const quietly = async (p: Promise<unknown>): Promise<void> => {
  try {
    await p;
  } catch (err) {
    // Gone already (404), or not in that bridge (422): what was asked is true anyway.
    if (!(err instanceof AriHttpError && (err.notFound || err.status === 422))) throw err;
  }
};

export class AriMonitorTelephony implements MonitorTelephony {
  constructor(
    private readonly rest: AriRest,
    private readonly app: string,
  ) {}

  ring(o: { endpoint: string; channelId: string; callerId: string; timeoutS: number }): Promise<'ok' | 'unknown-endpoint' | 'failed'> {
    return this.rest.originateOutcome({ endpoint: o.endpoint, channelId: o.channelId, app: this.app, appArgs: ['monitor-leg'], callerId: o.callerId, timeoutS: o.timeoutS });
  }

  async snoop(channelId: string, o: { snoopId: string; spy: 'both'; whisper: 'none' | 'out' }): Promise<void> {
    await this.rest.snoop(channelId, { snoopId: o.snoopId, app: this.app, appArgs: ['snoop'], spy: o.spy, whisper: o.whisper });
  }

  async bridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.rest.createBridgeOnce(bridgeId);
    await this.rest.addToBridge(bridgeId, channelIds);
  }

  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return quietly(this.rest.removeFromBridge(bridgeId, channelIds));
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.rest.destroyBridgeQuietly(bridgeId);
  }

  hangup(channelId: string): Promise<void> {
    return this.rest.hangupQuietly(channelId);
  }

  async endpointState(endpoint: string): Promise<{ online: boolean; busy: boolean } | undefined> {
    const i = endpoint.indexOf('/');
    try {
      const ep = await this.rest.endpoint(endpoint.slice(0, i), endpoint.slice(i + 1));
      // Busy: any channel on the phone (a session of ours included).
      return { online: endpointReach(ep).online, busy: ep.channel_ids.length > 0 };
    } catch (err) {
      if (err instanceof AriHttpError && err.notFound) return undefined;
      throw err;
    }
  }
}

export interface MonitorAriDeps {
  monitor: MonitorService;
  /** Runs work in the call's own queue, after its earlier events. */
  serialize(callId: string, what: string, work: () => Promise<void>): void;
}

export function registerMonitorAriHandlers(router: AriRouter, { monitor, serialize }: MonitorAriDeps): void {
  router.onChannels('monitor-leg', ['monitor-leg'], (ev) => {
    const id = ev.channel.id;
    if (ev.type === 'StasisStart') serialize(callIdOf(id), 'supervisor answered', () => monitor.legAnswered(id));
    else if (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd') serialize(callIdOf(id), 'supervisor leg ended', () => monitor.legEnded(id));
  });
  // A snoop lives and dies with its session (the service hangs it up); its own events say nothing new.
  router.onChannels('snoop', ['snoop'], () => undefined);
}
