// The one seam: features announce what happened here. Each event is appended to the journal
// (Redis) and handed to the in-process subscribers (the queue_log writer; later statistics, the
// event stream, webhooks). Announcing does not wait: the journal append and each subscriber's
// writes are issued at once, in the order events are published (one Redis connection keeps the
// order of its commands), so a call's path never waits on its own bookkeeping. A subscriber that
// fails is logged and does not stop the others; a journal that cannot be written (Redis away) is
// logged and does not fail the change that was announced: that change is already committed.
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

/** `journalId`: the event's id in the journal, once appended (undefined if it could not be). */
export type Subscriber = (event: SwitchboardEvent, journalId: Promise<string | undefined>) => void | Promise<void>;

export class EventBus implements EventSink {
  private readonly subscribers: Array<{ name: string; fn: Subscriber }> = [];
  private readonly inFlight = new Set<Promise<unknown>>();

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

  /** Issues the journal append and the subscribers' work now; resolves at once (see drained()). */
  publish(e: NewEvent): Promise<void> {
    const event = { v: EVENT_VERSION, ...e } as SwitchboardEvent;
    const journalId = this.track(
      this.journal
        ? this.journal.append(event).catch((err: unknown) => {
            this.logger.error({ err, type: event.type }, 'event not journaled (Redis away?)');
            return undefined;
          })
        : Promise.resolve(undefined),
    );
    for (const s of [...this.subscribers]) {
      try {
        const done = s.fn(event, journalId);
        if (done) this.track(done.catch((err: unknown) => this.failed(err, event, s.name)));
      } catch (err) {
        this.failed(err, event, s.name);
      }
    }
    return Promise.resolve();
  }

  /** Resolves once everything published so far is written (tests, shutdown). */
  async drained(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  private failed(err: unknown, event: SwitchboardEvent, subscriber: string): void {
    this.logger.error({ err, type: event.type, subscriber }, 'event subscriber failed');
  }
}
