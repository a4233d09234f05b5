// The ACD's share of ARI events: the agent legs it originates (appArgs "agent-leg"), the
// announcements and exit prompts it plays to waiting callers, and agents' endpoints. Work for a
// call runs in that call's queue (after its earlier events), as the call flow's does.
import type { Logger } from 'pino';
import { callIdOf } from '../kernel/ids';
import { KeyedChain } from '../kernel/keyed-chain';
import type { AriRouter } from '../platform/ari/router';
import { endpointReach } from './ari-telephony';
import type { AcdService } from './service/acd-service';

export interface AcdAriDeps {
  acd: AcdService;
  /** Runs work in the call's own queue (the call flow's controller). */
  serialize(callId: string, what: string, work: () => Promise<void>): void;
  logger: Logger;
}

export function registerAcdAriHandlers(router: AriRouter, { acd, serialize, logger }: AcdAriDeps): void {
  router.onChannels('agent-leg', ['agent-leg'], (ev) => {
    const legId = ev.channel.id;
    const callId = callIdOf(legId);
    if (ev.type === 'StasisStart') serialize(callId, 'leg answered', () => acd.legAnswered(legId));
    else if (ev.type === 'ChannelDestroyed') serialize(callId, 'leg ended', () => acd.legEnded(legId, { kind: 'destroyed', cause: ev.cause ?? 0 }));
    else if (ev.type === 'StasisEnd' || ev.type === 'ChannelHangupRequest') serialize(callId, 'leg ending', () => acd.legEnded(legId, { kind: 'hangup-requested' }));
  });
  router.onChannels('consult-leg', ['consult-leg'], (ev) => {
    const legId = ev.channel.id;
    const callId = callIdOf(legId);
    if (ev.type === 'StasisStart') serialize(callId, 'consultation answered', () => acd.consultAnswered(legId));
    else if (ev.type === 'ChannelDestroyed') serialize(callId, 'consultation leg ended', () => acd.consultLegEnded(legId, { kind: 'destroyed', cause: ev.cause ?? 0 }));
    else if (ev.type === 'StasisEnd' || ev.type === 'ChannelHangupRequest') serialize(callId, 'consultation leg ending', () => acd.consultLegEnded(legId, { kind: 'hangup-requested' }));
  });
  const playbackEnded = (ev: { playback: { id: string; target_uri: string } }) => {
    const callId = ev.playback.target_uri.replace(/^channel:/, '');
    serialize(callId, 'announcement finished', () => acd.playbackFinished(callId, ev.playback.id));
  };
  router.onPlaybacks('announcement', playbackEnded);
  router.onPlaybacks('exit-prompt', playbackEnded);
  // The state the event carries, applied in the order the events came (one chain per endpoint):
  // no request to Asterisk per change, and a later change is never overtaken by an earlier one.
  const endpoints = new KeyedChain();
  router.onEndpoints((ev) => {
    const endpoint = `${ev.endpoint.technology}/${ev.endpoint.resource}`;
    const reach = endpointReach(ev.endpoint);
    void endpoints.run(endpoint, () => acd.endpointChanged(endpoint, reach), (err) => logger.error({ err, endpoint }, 'endpoint update failed'));
  });
}
