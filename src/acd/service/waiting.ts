// Callers waiting in queues: joining (or being refused at the door), their deadlines (requirement
// steps, maximum wait, announcements), hold music and announcements, and the exits a queue's
// rules send them to.
import { announceMinutes, estimatedWaitS } from '../domain/ewt';
import { movedEntry } from '../domain/control';
import { countsForWait, couldServe, mayBeOffered, requirementNow } from '../domain/eligibility';
import type { QueueConfig, QueueExit } from '../domain/model';
import { compareEntries } from '../domain/select';
import { currentStep, nextStepAt } from '../domain/steps';
import { seconds } from '../domain/model';
import { announcementId, exitPromptId } from '../../kernel/ids';
import type { AcdEntry, Versioned } from '../ports';
import { OFFER_CHECK_MS } from '../../callbacks/domain';
import { WaitingCallRefused, type AcdCore } from './core';

/** A call handed to a queue: by the flow, or by another queue's exit (then it keeps its place). */
export interface Joining {
  callId: string;
  channelId: string;
  callerId: string;
  /** The caller's name, when the network sent one: shown on the agent's phone with the number. */
  callerName?: string;
  queue: string;
  priority: number;
  attributes: Record<string, string | number | boolean>;
  /** When the caller first joined a queue; a queue exit to another queue keeps it (the caller's place). */
  enqueuedAt?: number;
  /** The queue it comes from (an exit to another queue). */
  from?: string;
}

/** Queue exits that send a call straight on to another queue: more hops than this is a loop. */
const MAX_QUEUE_HOPS = 5;

export class Waiting {
  constructor(private readonly c: AcdCore) {}

  /** A caller joins a queue (after the flow in front of it, or from another queue's exit). */
  async enqueue(call: Joining, hops = 0): Promise<void> {
    const queue = this.c.config().queues.get(call.queue);
    const log = this.c.deps.logger.child({ callId: call.callId, queue: call.queue });
    if (hops > MAX_QUEUE_HOPS || !queue) {
      log.error({ hops }, queue ? 'queue exits send this call round in a loop; hanging up' : 'queue not configured; hanging up');
      await this.c.telephony.hangup(call.channelId);
      return;
    }
    const at = this.c.now();
    const waiting = await this.c.store.waitingCount(call.queue);
    const position = waiting + 1;
    const refused = queue.maxWaiting && waiting >= queue.maxWaiting.count ? { reason: 'full' as const, exit: queue.maxWaiting.exit } : undefined;
    const empty = !refused && queue.whenNoAgents && !(await this.anyAgentCouldServe(queue, call.attributes)) ? { reason: 'no-agents' as const, exit: queue.whenNoAgents } : undefined;
    const door = refused ?? empty;
    if (door) {
      log.info({ reason: door.reason }, door.reason === 'full' ? 'queue full' : 'no agent could take the call');
      await this.c.deps.events.publish({ type: 'queue.refused', callId: call.callId, queue: call.queue, callerId: call.callerId, reason: door.reason, position, at });
      await this.exit(call, door.exit, hops);
      return;
    }
    const draft: AcdEntry = {
      callId: call.callId,
      channelId: call.channelId,
      callerId: call.callerId,
      ...(call.callerName ? { callerName: call.callerName } : {}),
      queue: call.queue,
      priority: call.priority,
      enqueuedAt: call.enqueuedAt ?? at,
      queuedAt: at,
      attributes: call.attributes,
      state: 'waiting',
      offers: 0,
      missedBy: {},
      joinPosition: position,
      announceSeq: 0,
    };
    const preferred = call.from === undefined ? await this.preferredAgent(draft, queue, at).catch((err: unknown) => void log.warn({ err }, 'could not look up the preferred agent')) : undefined;
    const entry: AcdEntry = preferred ? { ...draft, keptFor: preferred } : draft;
    if (!(await this.c.store.addEntry(entry)).ok) return; // already queued (a repeated command)
    const added = { v: 1, d: entry }; // as addEntry stores it: the match needs no read of it
    await this.c.deps.events.publish({ type: 'queue.entered', callId: call.callId, queue: call.queue, callerId: call.callerId, position, priority: call.priority, from: call.from, ...(preferred ? { preferredAgent: preferred.agentId } : {}), at });
    log.info({ position, priority: call.priority }, 'entered queue');
    // The agent's phone first: hold music and the call's deadlines go out alongside the offer.
    await Promise.all([
      this.c.parts.matching.matchCall(call.callId, added),
      this.c.telephony.startMoh(call.channelId, queue.musicClass).catch((err: unknown) => log.warn({ err }, 'could not start hold music')),
      this.armTimers(entry, queue),
    ]);
    if (queue.callback) await this.c.deps.callbacks?.callerJoined(entry).catch((err: unknown) => log.warn({ err }, 'could not look for a pending callback'));
  }

  /**
   * The caller's preferred agent, kept the call for the queue's window when eligible and free now:
   * the one the flow names (attribute preferredAgent, e.g. from a lookup), else the last agent who
   * took this number's call.
   */
  private async preferredAgent(entry: AcdEntry, queue: QueueConfig, at: number): Promise<AcdEntry['keptFor']> {
    const settings = queue.preferredAgent;
    if (!settings) return undefined;
    const named = entry.attributes.preferredAgent;
    const agentId = typeof named === 'string' && named !== '' ? named : settings.lastAgent ? await this.c.deps.lastAgentOf?.(entry.callerId) : undefined;
    const profile = agentId !== undefined ? this.c.config().agents.get(agentId) : undefined;
    const state = profile && (await this.c.store.getAgent(profile.id));
    if (!profile || !state || !mayBeOffered(profile, state.d, entry, queue, at)) return undefined;
    return { agentId: profile.id, until: at + settings.windowS * 1000 };
  }

  private async anyAgentCouldServe(queue: QueueConfig, attributes: Record<string, string | number | boolean>): Promise<boolean> {
    const { docs } = await this.c.store.currentAgents();
    for (const profile of this.c.config().agents.values()) if (couldServe(profile, docs.get(profile.id)?.d, queue, attributes)) return true;
    return false;
  }

  /** Where a queue's rule sends a call that leaves it: another queue (keeping its place), or a hang-up. */
  async exit(call: Omit<Joining, 'from'> & { queue: string }, exit: QueueExit, hops = 0): Promise<void> {
    const { callId, channelId } = call;
    switch (exit.kind) {
      case 'queue':
        await this.enqueue({ ...call, queue: exit.queue, from: call.queue }, hops + 1);
        return;
      case 'hangup':
        if (exit.prompt) {
          // The hang-up follows when the prompt ends (playbackFinished).
          await this.c.telephony.stopMoh(channelId).catch(() => undefined);
          await this.c.telephony.play(channelId, exitPromptId(callId), [`sound:${exit.prompt}`]).catch(() => this.c.telephony.hangup(channelId));
          return;
        }
        await this.c.telephony.hangup(channelId);
        return;
      case 'hook':
        // The callback and voicemail work fills these in; until then, a hook ends the call.
        this.c.log.warn({ callId, hook: exit.hook }, 'queue exit hook has no handler yet; hanging up');
        await this.c.telephony.hangup(channelId);
        return;
    }
  }

  /**
   * Step, maximum-wait and announcement deadlines of a waiting call. The next announcement comes
   * `firstAfter` after joining (`joined`), a period from now after an offer that failed
   * (`offer-failed`), or where its schedule puts it after a restart or reconnect (`reconciled`:
   * a period after the last one, at once if that is past), never all at once.
   */
  async armTimers(entry: AcdEntry, queue: QueueConfig, why: 'joined' | 'offer-failed' | 'reconciled' = 'joined'): Promise<void> {
    const timers = this.c.deps.timers;
    const now = this.c.now();
    // A preferred agent's window ending is a step too: then anyone eligible may take the call.
    const keptUntil = entry.keptFor && entry.keptFor.until > now ? entry.keptFor.until : undefined;
    const nextStep = nextStepAt(queue, entry, now);
    const step = keptUntil !== undefined && (nextStep === undefined || keptUntil < nextStep) ? keptUntil : nextStep;
    if (step !== undefined) await timers.set(`step:${entry.callId}`, step, { kind: 'step', callId: entry.callId });
    else if ('overflowTo' in currentStep(queue, entry, now)) await timers.set(`step:${entry.callId}`, now, { kind: 'step', callId: entry.callId });
    // A callback has nobody on the line: no maximum wait, no announcements, no service level.
    if (entry.callback) return;
    // Armed again with the same due time after a failed offer or a restart (harmless), never once it passed: the breach is told once.
    const slaAt = entry.queuedAt + queue.serviceLevel.thresholdS * 1000;
    if (slaAt > now) await timers.set(`sla:${entry.callId}`, slaAt, { kind: 'sla', callId: entry.callId });
    if (queue.maxWait) await timers.set(`max-wait:${entry.callId}`, entry.queuedAt + queue.maxWait.seconds * 1000, { kind: 'max-wait', callId: entry.callId });
    const a = queue.announcements;
    if (a.position || a.estimatedWait || a.periodicPrompt) {
      const first = entry.queuedAt + a.firstAfterS * 1000;
      let due = first;
      if (why === 'offer-failed') due = now + a.everyS * 1000;
      else if (why === 'reconciled') due = Math.max(now, entry.lastAnnouncedAt !== undefined ? entry.lastAnnouncedAt + a.everyS * 1000 : first);
      await timers.set(`announce:${entry.callId}`, due, { kind: 'announce', callId: entry.callId });
    }
    if (queue.callback?.offer) await timers.set(`cb-offer:${entry.callId}`, (why === 'joined' ? entry.queuedAt : now) + OFFER_CHECK_MS, { kind: 'callback-offer', callId: entry.callId });
  }

  async cancelTimers(callId: string): Promise<void> {
    // Together: they leave in one write to Redis.
    await Promise.all(['step', 'max-wait', 'announce', 'ring', 'cb-offer', 'cb-dialogue', 'sla'].map((t) => this.c.deps.timers.cancel(`${t}:${callId}`)));
  }

  /** The requirement step changed: offer the call again (an overflow is handled inside), then arm the next step. */
  async stepDue(callId: string): Promise<void> {
    // While the call rings an agent its timers wait; missed() arms them again.
    const entry = await this.c.store.getEntry(callId);
    if (!entry || entry.d.state !== 'waiting') return;
    const queueBefore = entry.d.queue;
    await this.c.parts.matching.matchCall(callId);
    const after = await this.c.store.getEntry(callId);
    const queue = after && this.c.config().queues.get(after.d.queue);
    if (after?.d.state === 'waiting' && queue && after.d.queue === queueBefore) {
      const now = this.c.now();
      const kept = after.d.keptFor && after.d.keptFor.until > now ? after.d.keptFor.until : undefined;
      const stepAt = nextStepAt(queue, after.d, now);
      const next = kept !== undefined && (stepAt === undefined || kept < stepAt) ? kept : stepAt;
      if (next !== undefined) await this.c.deps.timers.set(`step:${callId}`, next, { kind: 'step', callId });
    }
  }

  /** The service-level threshold passed and nobody has answered yet (waiting, or an agent still ringing): an event, and the metric counts it. */
  async slaDue(callId: string): Promise<void> {
    const entry = await this.c.store.getEntry(callId);
    const queue = entry && this.c.config().queues.get(entry.d.queue);
    if (!entry || !queue || entry.d.state === 'connected' || entry.d.callback) return;
    const at = this.c.now();
    await this.c.deps.events.publish({ type: 'queue.sla-breached', callId, queue: entry.d.queue, waitS: seconds(at - entry.d.queuedAt), thresholdS: queue.serviceLevel.thresholdS, at });
  }

  /** A supervisor changes a waiting call's priority: its place among the waiting calls of every queue follows. */
  async setPriority(callId: string, priority: number, by: string): Promise<AcdEntry> {
    const { before, after } = await this.c.retry('priority change', async () => {
      const cur = await this.c.store.getEntry(callId);
      if (!cur) throw new WaitingCallRefused('not-found', callId);
      if (cur.d.state !== 'waiting') throw new WaitingCallRefused('not-waiting', callId);
      const next: AcdEntry = { ...cur.d, priority };
      return { apply: next.priority === cur.d.priority ? undefined : () => this.c.store.updateEntry(cur, next), result: { before: cur.d, after: next } };
    });
    if (before.priority !== after.priority) {
      await this.c.deps.events.publish({ type: 'queue.priority-changed', callId, queue: after.queue, from: before.priority, to: after.priority, by, at: this.c.now() });
      this.c.callLogs.of(callId).info({ from: before.priority, to: after.priority, by }, 'priority changed');
    }
    return after;
  }

  /** The caller waited the queue's maximum: out of the queue, to its exit. */
  async maxWaitDue(callId: string): Promise<void> {
    const entry = await this.c.store.getEntry(callId);
    const queue = entry && this.c.config().queues.get(entry.d.queue);
    if (!entry || !queue?.maxWait || entry.d.state !== 'waiting') return;
    const at = this.c.now();
    const position = await this.positionOf(entry.d);
    if (!(await this.c.store.removeEntry(entry)).ok) return; // offered meanwhile: the wait is over
    await this.cancelTimers(callId);
    await this.c.deps.events.publish({ type: 'queue.exited', callId, queue: entry.d.queue, reason: 'timeout', position, origPosition: entry.d.joinPosition, waitS: seconds(at - entry.d.queuedAt), to: exitQueue(queue.maxWait.exit), at });
    await this.exit(entry.d, queue.maxWait.exit);
  }

  /** After an overflow (or a supervisor's move, with who asked) was stored: announce it and start the new queue's deadlines. */
  async overflowed(from: AcdEntry, to: AcdEntry, positionBefore: number, moved?: { by: string }): Promise<void> {
    const at = this.c.now();
    const events = this.c.deps.events;
    const reason = moved ? 'moved' : 'overflow';
    await events.publish({ type: 'queue.exited', callId: from.callId, queue: from.queue, reason, position: positionBefore, origPosition: from.joinPosition, waitS: seconds(at - from.queuedAt), to: to.queue, ...(moved ? { by: moved.by } : {}), at });
    await events.publish({ type: 'queue.entered', callId: to.callId, queue: to.queue, callerId: to.callerId, position: to.joinPosition, priority: to.priority, from: from.queue, at });
    this.c.callLogs.of(to.callId).info({ from: from.queue, to: to.queue, ...moved }, reason === 'moved' ? 'moved to another queue' : 'overflowed');
    const q2 = this.c.config().queues.get(to.queue);
    if (q2) await this.armTimers(to, q2);
  }

  /**
   * A supervisor moves a waiting call to another queue (configured, checked by the caller of
   * this). Its priority goes with it, and its place among equal priorities unless `keepPlace` is
   * false; its wait in the new queue starts now. Then it is offered there at once.
   */
  async moveTo(callId: string, to: string, keepPlace: boolean, by: string): Promise<AcdEntry> {
    const at = this.c.now();
    const moved = await this.c.retry('move', async () => {
      const cur = await this.c.store.getEntry(callId);
      if (!cur) throw new WaitingCallRefused('not-found', callId);
      if (cur.d.state !== 'waiting') throw new WaitingCallRefused('not-waiting', callId);
      if (cur.d.queue === to) return { result: undefined };
      const [position, there] = await Promise.all([this.positionOf(cur.d), this.c.store.waitingEntries(to)]);
      const next = movedEntry(cur.d, to, at, there.map((e) => e.d), keepPlace);
      return { apply: () => this.c.store.moveEntry(cur, next), result: { from: cur.d, to: next, position } };
    });
    if (!moved) return (await this.c.store.getEntry(callId))!.d;
    await this.cancelTimers(callId); // the old queue's deadlines; the new queue's are armed next
    await this.overflowed(moved.from, moved.to, moved.position, { by });
    const [q1, q2] = [this.c.config().queues.get(moved.from.queue), this.c.config().queues.get(to)];
    if (q2 && !moved.to.callback && q1?.musicClass !== q2.musicClass) await this.c.telephony.startMoh(moved.to.channelId, q2.musicClass).catch(() => undefined);
    await this.c.parts.matching.matchCall(callId);
    return moved.to;
  }

  /**
   * A supervisor withdraws a waiting caller to a configured destination: out of the queue (its
   * deadlines cancelled, the music stopped), then the flow that rings the destination.
   */
  async withdrawTo(callId: string, destination: string, flow: string, by: string): Promise<AcdEntry> {
    const cur = await this.c.store.getEntry(callId);
    if (!cur) throw new WaitingCallRefused('not-found', callId);
    if (cur.d.state !== 'waiting' || cur.d.callback) throw new WaitingCallRefused('not-waiting', callId);
    const position = await this.positionOf(cur.d);
    if (!(await this.c.store.removeEntry(cur)).ok) throw new WaitingCallRefused('not-waiting', callId); // offered meanwhile
    await this.cancelTimers(callId);
    const at = this.c.now();
    await this.c.deps.events.publish({ type: 'queue.exited', callId, queue: cur.d.queue, reason: 'withdrawn', position, origPosition: cur.d.joinPosition, waitS: seconds(at - cur.d.queuedAt), destination, by, at });
    const log = this.c.callLogs.of(callId);
    log.info({ destination, by }, 'withdrawn to a destination');
    await this.c.telephony.stopMoh(cur.d.channelId).catch(() => undefined);
    if (cur.d.announceSeq > 0) await this.c.telephony.stopPlayback(announcementId(callId, cur.d.announceSeq)).catch(() => undefined);
    await this.c.deps.callbacks?.callerDone(callId).catch(() => undefined);
    await this.c.deps.afterCall?.({ callId, channelId: cur.d.channelId, flow }).catch((err: unknown) => log.error({ err }, 'could not take the caller to the destination'));
    return cur.d;
  }

  /** 1-based position among the waiting callers of the same queue. */
  async positionOf(entry: AcdEntry): Promise<number> {
    const all = (await this.c.store.waitingEntries(entry.queue)).map((e) => e.d);
    let ahead = 0;
    for (const e of all) if (e.callId !== entry.callId && compareEntries(e, entry) < 0) ahead++;
    return ahead + 1;
  }

  async announce(callId: string): Promise<void> {
    const entry = await this.c.store.getEntry(callId);
    const queue = entry && this.c.config().queues.get(entry.d.queue);
    if (!entry || !queue || entry.d.state !== 'waiting') return;
    const a = queue.announcements;
    const now = this.c.now();
    await this.c.deps.timers.set(`announce:${callId}`, now + a.everyS * 1000, { kind: 'announce', callId });
    // The last one still playing (longer than the period, or started just before a restart): this
    // one is skipped rather than queued behind it, so the caller hears music in between.
    if (entry.d.announceSeq > 0 && (await this.c.telephony.playbackActive(announcementId(callId, entry.d.announceSeq)))) return;
    const media = await this.announcementMedia(entry, queue);
    if (media.items.length === 0) return;
    const next: AcdEntry = { ...entry.d, lastAnnouncedPosition: media.position, announceSeq: entry.d.announceSeq + 1, lastAnnouncedAt: now };
    if (!(await this.c.store.updateEntry(entry, next)).ok) return; // offered or gone meanwhile: no announcement over a ringing agent
    await this.c.telephony.stopMoh(entry.d.channelId).catch(() => undefined);
    await this.c.telephony.play(entry.d.channelId, announcementId(callId, next.announceSeq), media.items);
    this.c.callLogs.of(callId).debug({ position: media.position, media: media.items }, 'announcement');
  }

  private async announcementMedia(entry: Versioned<AcdEntry>, queue: QueueConfig): Promise<{ position: number; items: string[] }> {
    const a = queue.announcements;
    const position = await this.positionOf(entry.d);
    const items: string[] = [];
    const improved = entry.d.lastAnnouncedPosition === undefined || position < entry.d.lastAnnouncedPosition;
    if (a.position && (!a.positionOnlyWhenImproved || improved)) {
      if (position === 1) items.push('sound:queue-youarenext');
      else items.push('sound:queue-thereare', `number:${position - 1}`, 'sound:queue-callswaiting');
    }
    if (a.estimatedWait) {
      const wait = await this.estimateWait(entry.d, queue, position - 1);
      if (wait !== undefined) items.push('sound:queue-holdtime', `number:${announceMinutes(wait)}`, 'sound:queue-minutes');
    }
    if (a.periodicPrompt) items.push(`sound:${a.periodicPrompt}`);
    return { position, items };
  }

  /** Skill-aware estimate: callers ahead in this queue, agents logged in who meet its current requirement (docs/acd.md). */
  async estimateWait(entry: AcdEntry, queue: QueueConfig, ahead: number): Promise<number | undefined> {
    const requirement = requirementNow(queue, entry, this.c.now());
    if (!requirement) return undefined;
    let eligible = 0;
    for (const s of await this.c.store.allAgents()) {
      const p = this.c.config().agents.get(s.d.id);
      if (p && countsForWait(p, s.d, requirement, entry.attributes)) eligible++;
    }
    const ahtS = Math.max(60, queue.wrapUpS + 180); // until handle times are measured, a conservative 3 min talk
    return estimatedWaitS({ ahead, eligibleAgents: eligible, ahtS, patienceS: this.c.deps.patienceS });
  }

  /** A playback on a caller's channel ended: after an announcement the hold music comes back; after an exit prompt, the call ends. */
  async playbackFinished(callId: string, playbackId: string): Promise<void> {
    const entry = await this.c.store.getEntry(callId);
    if (playbackId === exitPromptId(callId)) {
      await this.c.telephony.hangup(entry?.d.channelId ?? callId);
      return;
    }
    // Waiting, or ringing an agent: either way the caller should hear hold music again; not for
    // an announcement another one replaced (a callback offer), which is playing now.
    if (!entry || (entry.d.state !== 'waiting' && entry.d.state !== 'offered')) return;
    const replaced = Number(/-ann-(\d+)$/.exec(playbackId)?.[1] ?? entry.d.announceSeq) < entry.d.announceSeq;
    if (replaced || this.c.deps.callbacks?.inConversation(callId)) return;
    const queue = this.c.config().queues.get(entry.d.queue);
    await this.c.telephony.startMoh(entry.d.channelId, queue?.musicClass ?? 'default').catch(() => undefined);
  }
}

const exitQueue = (exit: QueueExit): string | undefined => (exit.kind === 'queue' ? exit.queue : undefined);
