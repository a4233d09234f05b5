// The callbacks' share of ARI events: the customer legs they originate (appArgs "customer-leg"),
// handled in the callback's own queue after its earlier events, as agent legs are.
import type { AriRouter } from '../platform/ari/router';
import { callIdOf } from '../kernel/ids';
import type { InQueueOffers } from './in-queue';
import type { CallbackService } from './service';

export interface CallbackAriDeps {
  callbacks: CallbackService;
  inQueue: InQueueOffers;
  serialize(callId: string, what: string, work: () => Promise<void>): void;
}

export function registerCallbackAriHandlers(router: AriRouter, { callbacks, inQueue, serialize }: CallbackAriDeps): void {
  router.onChannels('customer-leg', ['customer-leg'], (ev) => {
    const legId = ev.channel.id;
    const callId = callIdOf(legId);
    if (ev.type === 'StasisStart') serialize(callId, 'customer answered', () => callbacks.customerAnswered(callId, legId));
    else if (ev.type === 'ChannelDestroyed') serialize(callId, 'customer leg ended', () => callbacks.customerEnded(callId, legId, ev.cause ?? 0));
  });
  // What the agent hears before the customer answers ends by itself: nothing to do.
  router.onPlaybacks('whisper', () => undefined);
  // A waiting caller's recorded name (the rest of the recordings are the call flow's).
  router.onRecordings((ev) => {
    const callId = ev.recording.target_uri.replace(/^channel:/, '');
    serialize(callId, 'callback name recorded', () => inQueue.nameRecorded(callId, ev.type === 'RecordingFinished'));
  }, 'cbname-');
  // A prompt of a waiting caller's conversation about a callback ended.
  router.onPlaybacks('callback-prompt', (ev) => {
    const callId = ev.playback.target_uri.replace(/^channel:/, '');
    serialize(callId, 'callback prompt finished', () => inQueue.promptFinished(callId, ev.playback.id));
  });
}
