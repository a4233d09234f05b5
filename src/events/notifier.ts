// The one seam: features announce what happened here. Each event is appended to the journal
// (Redis), then handed to the in-process subscribers (the queue_log writer; later statistics, the
// event stream, webhooks) in the order published. A subscriber that fails is logged and does not
// stop the others; a journal that cannot be written (Redis away) is logged and does not fail the
// change that was announced: that change is already committed.
import type { Logger } from 'pino';
import { EVENT_VERSION, type NewEvent, type SwitchboardEvent } from './catalogue';

/** What a feature needs to announce events (a port: tests pass a recorder). */
export interface EventSink {
  publish(event: NewEvent): Promise<void>;
}

export interface JournalWriter {
  /** Appends the event; resolves with its journal id. */
  append(event: SwitchboardEvent): Promise<string>;
}

export type Subscriber = (event: SwitchboardEvent, journalId: string | undefined) => void | Promise<void>;

export class EventBus implements EventSink {
  private readonly subscribers: Array<{ name: string; fn: Subscriber }> = [];

  constructor(
    private readonly journal: JournalWriter | undefined,
    private readonly logger: Logger,
  ) {}

  /** Calls `fn` with every event published from now on; returns the way to stop. */
  subscribe(name: string, fn: Subscriber): () => void {
    const entry = { name, fn };
    this.subscribers.push(entry);
    return () => {
      const i = this.subscribers.indexOf(entry);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  async publish(e: NewEvent): Promise<void> {
    const event = { v: EVENT_VERSION, ...e } as SwitchboardEvent;
    let journalId: string | undefined;
    try {
      journalId = await this.journal?.append(event);
    } catch (err) {
      this.logger.error({ err, type: event.type }, 'event not journaled (Redis away?)');
    }
    for (const s of [...this.subscribers]) {
      try {
        await s.fn(event, journalId);
      } catch (err) {
        this.logger.error({ err, type: event.type, subscriber: s.name }, 'event subscriber failed');
      }
    }
  }
}
