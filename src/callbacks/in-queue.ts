// The in-queue callback ("keep my place"): a waiting caller who was offered a callback presses
// its key; their own number is read back to confirm, or they key in another; then the callback is
// requested with the caller's original place and priority, the caller leaves the queue and hears a
// thank-you before Switchboard hangs up. No answer, or a number refused twice: back to waiting.
// The conversation (domain/offer.ts) lives in this process only: if the process goes, the caller
// simply keeps waiting. Runs inside the call's own queue (ACD hooks, timers, playbacks).
import type { Logger } from 'pino';
import type { AcdEntry } from '../acd';
import type { QueueConfig } from '../acd/domain';
import { announcementId, callbackPromptId, exitPromptId } from '../kernel/ids';
import type { Clock } from '../platform/clock';
import { ANSWER_TIMEOUT_MS, dialogueStep, NAME_MAX_S, NAME_SILENCE_S, nameRecordingOf, PROMPTS, startDialogue, startPending, type Dialogue, type DialogueOutcome } from './domain/offer';
import type { CallbackService } from './service';

export interface CallerTelephony {
  play(channelId: string, playbackId: string, media: string[]): Promise<void>;
  /** Records the caller (a beep first; # ends it) as Asterisk's stored recording `name`. */
  record(channelId: string, name: string, maxSeconds: number, silenceSeconds: number): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  startMoh(channelId: string, mohClass: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
}

export interface InQueueDeps {
  callbacks: CallbackService;
  /** Takes the caller out of the queue for their callback (AcdService.leaveForCallback). */
  leaveQueue(callId: string, key: string): Promise<boolean>;
  telephony: CallerTelephony;
  timers: { set(id: string, due: number, payload: { kind: 'callback-dialogue'; callId: string; seq: number }): Promise<void>; cancel(id: string): Promise<void> };
  queues: () => ReadonlyMap<string, QueueConfig>;
  clock: Clock;
  logger: Logger;
}

interface Conversation {
  dialogue: Dialogue;
  /** The number chosen, while the caller's name is asked for and recorded. */
  naming?: { number: string; recording: boolean };
  /** The prompt playing or last played (callbackPromptId). */
  seq: number;
  /** Waiting for the prompt to end before the answer's clock starts. */
  prompting: boolean;
  entry: AcdEntry;
}

export class InQueueOffers {
  private readonly talks = new Map<string, Conversation>();
  private seq = 0;

  constructor(private readonly d: InQueueDeps) {}

  /** A caller joined a queue that takes callbacks: one who has a callback pending there is told so, and may keep or cancel it. */
  async callerJoined(entry: AcdEntry): Promise<void> {
    if (!this.d.queues().get(entry.queue)?.callback) return;
    const pending = await this.d.callbacks.pendingFor(entry.queue, entry.callerId);
    if (!pending) return;
    this.d.logger.child({ callId: entry.callId }).info({ callbackId: pending.id }, 'caller has a callback pending');
    await this.d.telephony.stopMoh(entry.channelId).catch(() => undefined);
    await this.follow(entry, startPending(pending.id));
  }

  /** A key from a waiting caller who was offered a callback (or told of their pending one). */
  async callerDigit(entry: AcdEntry, digit: string): Promise<void> {
    const offer = this.d.queues().get(entry.queue)?.callback;
    if (!offer) return;
    const talk = this.talks.get(entry.callId);
    if (talk?.naming) return; // # ends the recording (Asterisk's own)
    if (!talk) {
      if (!offer.offer || entry.callbackOfferedAt === undefined || digit !== offer.offer.key) return;
      this.d.logger.child({ callId: entry.callId }).info('caller asked for a callback');
      const out = startDialogue(entry.callerId, offer.numberPattern);
      // The conversation is on before the offer is cut short: its end brings no hold music back.
      if (out.kind === 'ask') this.talks.set(entry.callId, { dialogue: out.dialogue, seq: ++this.seq, prompting: true, entry });
      await this.d.telephony.stopPlayback(announcementId(entry.callId, entry.announceSeq)).catch(() => undefined);
      await this.d.telephony.stopMoh(entry.channelId).catch(() => undefined);
      return this.follow(entry, out);
    }
    if (talk.prompting) await this.d.telephony.stopPlayback(callbackPromptId(entry.callId, talk.seq)).catch(() => undefined); // a key cuts the prompt short
    return this.follow(talk.entry, dialogueStep(talk.dialogue, { digit }, offer.numberPattern));
  }

  /** The caller's name is recorded (or the recording failed: the callback is made without it). */
  async nameRecorded(callId: string, ok: boolean): Promise<void> {
    const talk = this.talks.get(callId);
    if (!talk?.naming?.recording) return;
    const { number } = talk.naming;
    await this.convert(talk.entry, number, ok ? nameRecordingOf(callId) : undefined);
  }

  inConversation(callId: string): boolean {
    return this.talks.has(callId);
  }

  /** The answer's time ran out (a timer). */
  async timeout(callId: string, seq: number): Promise<void> {
    const talk = this.talks.get(callId);
    const offer = talk && this.d.queues().get(talk.entry.queue)?.callback;
    if (!talk || talk.seq !== seq || !offer) return;
    await this.follow(talk.entry, dialogueStep(talk.dialogue, 'timeout', offer.numberPattern));
  }

  /** A prompt of the conversation ended: the caller's time to answer starts (or, the conversation over, hold music comes back). */
  async promptFinished(callId: string, playbackId: string): Promise<void> {
    const talk = this.talks.get(callId);
    if (talk && callbackPromptId(callId, talk.seq) === playbackId) {
      talk.prompting = false;
      if (talk.naming) {
        // After "say your name": the recording (a beep first), ended by #, silence or its limit.
        talk.naming.recording = true;
        await this.d.telephony.record(talk.entry.channelId, nameRecordingOf(callId), NAME_MAX_S, NAME_SILENCE_S).catch(() => this.nameRecorded(callId, false));
        return;
      }
      await this.armTimeout(callId, talk.seq);
      return;
    }
    if (!talk && this.resuming.has(playbackId)) {
      const r = this.resuming.get(playbackId)!;
      this.resuming.delete(playbackId);
      await this.d.telephony.startMoh(r.channelId, r.moh).catch(() => undefined);
    }
  }

  /** The caller is no longer waiting: the conversation ends where it stands. */
  async callerDone(callId: string): Promise<void> {
    const talk = this.talks.get(callId);
    if (!talk) return;
    this.talks.delete(callId);
    await this.d.timers.cancel(`cb-dialogue:${callId}`);
    await this.d.telephony.stopPlayback(callbackPromptId(callId, talk.seq)).catch(() => undefined);
  }

  /** Prompts that end the conversation; hold music comes back after them. */
  private readonly resuming = new Map<string, { channelId: string; moh: string }>();

  private async follow(entry: AcdEntry, out: DialogueOutcome): Promise<void> {
    const callId = entry.callId;
    switch (out.kind) {
      case 'ask': {
        const seq = ++this.seq;
        this.talks.set(callId, { dialogue: out.dialogue, seq, prompting: true, entry });
        await this.d.timers.cancel(`cb-dialogue:${callId}`);
        await this.d.telephony.play(entry.channelId, callbackPromptId(callId, seq), out.media);
        return;
      }
      case 'collect': {
        const talk = this.talks.get(callId);
        if (!talk) return;
        talk.dialogue = out.dialogue;
        talk.prompting = false;
        await this.armTimeout(callId, talk.seq);
        return;
      }
      case 'resume':
        return this.resume(entry, out.media);
      case 'request':
        if (this.d.queues().get(entry.queue)?.callback?.offer?.recordName) return this.askName(entry, out.number);
        return this.convert(entry, out.number);
      case 'keep':
        return this.keep(entry);
      case 'cancel':
        return this.cancelPending(entry, out.callbackId);
    }
  }

  /** The caller keeps their pending callback: out of the line, thanked, hung up. */
  private async keep(entry: AcdEntry): Promise<void> {
    await this.callerDone(entry.callId);
    if (!(await this.d.leaveQueue(entry.callId, '1'))) return; // an agent is being rung for them: the call goes on
    await this.d.telephony.play(entry.channelId, exitPromptId(entry.callId), [`sound:${PROMPTS.thanks}`]);
  }

  /** The caller cancels their pending callback and goes on waiting in line. */
  private async cancelPending(entry: AcdEntry, callbackId: string): Promise<void> {
    try {
      await this.d.callbacks.cancel(callbackId, 'caller');
      await this.resume(entry, [`sound:${PROMPTS.cancelled}`]);
    } catch (err) {
      // Being dialled already, or gone: nothing to cancel; the caller waits.
      this.d.logger.child({ callId: entry.callId }).info({ err, callbackId }, 'pending callback not cancelled');
      await this.resume(entry, []);
    }
  }

  private async armTimeout(callId: string, seq: number): Promise<void> {
    await this.d.timers.set(`cb-dialogue:${callId}`, this.d.clock.now() + ANSWER_TIMEOUT_MS, { kind: 'callback-dialogue', callId, seq });
  }

  /** Back to waiting in line: hold music again (after `media`, when there is something to say). */
  private async resume(entry: AcdEntry, media: string[]): Promise<void> {
    await this.callerDone(entry.callId);
    this.d.logger.child({ callId: entry.callId }).info('no callback after all; the caller keeps waiting');
    const moh = this.d.queues().get(entry.queue)?.musicClass ?? 'default';
    if (media.length === 0) {
      await this.d.telephony.startMoh(entry.channelId, moh).catch(() => undefined);
      return;
    }
    const id = callbackPromptId(entry.callId, ++this.seq);
    this.resuming.set(id, { channelId: entry.channelId, moh });
    await this.d.telephony.play(entry.channelId, id, media);
  }

  /** "After the tone, say your name": the recording starts when the prompt ends. */
  private async askName(entry: AcdEntry, number: string): Promise<void> {
    const seq = ++this.seq;
    const talk = this.talks.get(entry.callId);
    this.talks.set(entry.callId, { dialogue: talk?.dialogue ?? { phase: 'confirm', typed: '', tries: 0 }, seq, prompting: true, entry, naming: { number, recording: false } });
    await this.d.timers.cancel(`cb-dialogue:${entry.callId}`);
    await this.d.telephony.play(entry.channelId, callbackPromptId(entry.callId, seq), [`sound:${PROMPTS.recordName}`]);
  }

  /** The callback is requested with the caller's place, then the caller leaves the queue, thanked. */
  private async convert(entry: AcdEntry, number: string, nameRecording?: string): Promise<void> {
    const log = this.d.logger.child({ callId: entry.callId });
    const key = this.d.queues().get(entry.queue)?.callback?.offer?.key ?? '';
    await this.callerDone(entry.callId);
    let created: { id: string; created: boolean } | undefined;
    try {
      const r = await this.d.callbacks.request({ queue: entry.queue, number, origin: 'in-queue', createdBy: 'caller', enqueuedAt: entry.enqueuedAt, priority: entry.priority, nameRecording });
      created = { id: r.callback.id, created: r.created };
    } catch (err) {
      log.error({ err }, 'could not request the callback; the caller keeps waiting');
      return this.resume(entry, []);
    }
    if (!(await this.d.leaveQueue(entry.callId, key))) {
      // An agent is being rung for the caller already: the call goes on; the callback is not needed.
      if (created.created) await this.d.callbacks.cancel(created.id, 'caller').catch((err: unknown) => log.warn({ err }, 'could not cancel the unneeded callback'));
      return;
    }
    // The ACD hangs up when this prompt ends (an exit prompt).
    await this.d.telephony.play(entry.channelId, exitPromptId(entry.callId), [`sound:${PROMPTS.thanks}`]);
  }
}
