// The ACD's telephony port over ARI.
import type { AcdTelephony, EndpointReach, OriginateOutcome } from './ports';
import { AriHttpError } from '../platform/ari/errors';
import type { AriRest } from '../platform/ari/rest';
import type { AriEndpoint } from '../platform/ari/types';
import { channelKind } from '../kernel/ids';

function gone(err: unknown): boolean {
  return err instanceof AriHttpError && err.notFound;
}

function splitEndpoint(endpoint: string): [string, string] {
  const i = endpoint.indexOf('/');
  return [endpoint.slice(0, i), endpoint.slice(i + 1)];
}

export class AriAcdTelephony implements AcdTelephony {
  constructor(
    private readonly rest: AriRest,
    private readonly app: string,
  ) {}

  originate(o: { endpoint: string; legId: string; callId: string; callerId: string; timeoutS: number; variables: Record<string, string>; consult?: boolean }): Promise<OriginateOutcome> {
    // A 409 (this leg was originated already: a retried command) counts as done.
    return this.rest.originateOutcome({ endpoint: o.endpoint, channelId: o.legId, app: this.app, appArgs: [o.consult ? 'consult-leg' : 'agent-leg', o.callId], callerId: o.callerId, timeoutS: o.timeoutS, variables: o.variables });
  }

  hangup(channelId: string): Promise<void> {
    return this.rest.hangupQuietly(channelId);
  }

  startMoh(channelId: string, mohClass: string): Promise<void> {
    return this.rest.startMoh(channelId, mohClass);
  }

  stopMoh(channelId: string): Promise<void> {
    return this.rest.stopMohQuietly(channelId);
  }

  play(channelId: string, playbackId: string, media: string[]): Promise<void> {
    return this.rest.playOnce(channelId, playbackId, media);
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.rest.stopPlaybackQuietly(playbackId);
  }

  playbackActive(playbackId: string): Promise<boolean> {
    return this.rest.playbackExists(playbackId);
  }

  async bridgeMembers(bridgeId: string): Promise<string[] | undefined> {
    return (await this.rest.bridgeOrNone(bridgeId))?.channels;
  }

  async bridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.rest.createBridgeOnce(bridgeId); // exists already (a retry): reuse it
    await this.rest.addToBridge(bridgeId, channelIds);
  }

  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.rest.removeFromBridge(bridgeId, channelIds);
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.rest.destroyBridgeQuietly(bridgeId);
  }

  async channelState(channelId: string): Promise<string | undefined> {
    return (await this.rest.channelOrNone(channelId))?.state;
  }

  async channelExists(channelId: string): Promise<boolean> {
    return (await this.rest.channelOrNone(channelId)) !== undefined;
  }

  async endpointState(endpoint: string): Promise<{ online: boolean; busy: boolean } | undefined> {
    const [tech, resource] = splitEndpoint(endpoint);
    try {
      return endpointReach(await this.rest.endpoint(tech, resource));
    } catch (err) {
      if (gone(err)) return undefined;
      throw err;
    }
  }

  async watchEndpoint(endpoint: string): Promise<void> {
    try {
      await this.rest.subscribe(this.app, `endpoint:${endpoint}`);
    } catch (err) {
      if (!(err instanceof AriHttpError && (err.status === 404 || err.status === 422))) throw err;
    }
  }
}

/** What an ARI endpoint says of an agent's phone. Channels on it that are not our agent legs: busy outside Switchboard. */
export function endpointReach(ep: AriEndpoint): EndpointReach {
  return { online: ep.state === 'online', busy: ep.channel_ids.some((id) => channelKind(id) !== 'agent-leg') };
}
