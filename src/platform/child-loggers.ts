// One child logger per call or per agent (their lines carry the id), kept while they are in use.
import type { Logger } from 'pino';

export class ChildLoggers {
  private readonly loggers = new Map<string, Logger>();

  constructor(
    private readonly parent: Logger,
    /** The binding the id goes in: callId, agentId. */
    private readonly key: string,
  ) {}

  /** The logger of `id`; `bindings` are added when it is created (e.g. a call's number). */
  of(id: string, bindings: Record<string, unknown> = {}): Logger {
    let log = this.loggers.get(id);
    if (!log) {
      log = this.parent.child({ [this.key]: id, ...bindings });
      this.loggers.set(id, log);
    }
    return log;
  }

  forget(id: string): void {
    this.loggers.delete(id);
  }
}
