// After every (re)connect to Asterisk: ARI replays nothing, so compare what Asterisk has with
// what Redis says and settle the difference.
import type { Logger } from 'pino';
import type { CallController } from './controller';
import type { Clock } from '../platform/clock';
import type { CallRepository, Telephony } from './ports';

export interface ReconcileReport {
  asteriskRestarted: boolean;
  resumed: number;
  endedWhileAway: number;
  adopted: number;
}

export async function reconcile(deps: {
  telephony: Telephony;
  calls: CallRepository;
  controller: CallController;
  clock: Clock;
  logger: Logger;
  /** Channels another part reconciles itself (the ACD's agent legs): not callers, never adopted. */
  ownedElsewhere?: (channelId: string) => boolean;
}): Promise<ReconcileReport> {
  const { telephony, calls, controller, clock, logger } = deps;
  const identity = await telephony.asteriskIdentity();
  const previous = await calls.swapAsteriskIdentity(identity);
  const asteriskRestarted = previous !== null && previous !== identity;
  if (asteriskRestarted) logger.warn({ previous, identity }, 'Asterisk restarted while we were away: its calls are gone');

  const present = new Map((await telephony.channelsInApp()).filter((c) => !deps.ownedElsewhere?.(c.id)).map((c) => [c.id, c]));
  const known = await calls.activeIds();
  let endedWhileAway = 0;
  let resumed = 0;
  for (const callId of known) {
    const channel = present.get(callId);
    if (channel) {
      resumed++;
      await controller.adopt(channel);
      present.delete(callId);
    } else {
      endedWhileAway++;
      await controller.handle({ type: 'CallVanished', callId, at: clock.now() });
    }
  }
  // Channels in the application that Redis does not list as active (arrived during reconcile,
  // or a call Redis finished but Asterisk still holds).
  for (const channel of present.values()) await controller.adopt(channel);
  const report = { asteriskRestarted, resumed, endedWhileAway, adopted: present.size };
  logger.info(report, 'reconciled with Asterisk');
  return report;
}
