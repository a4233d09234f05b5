// Every Redis key name Switchboard uses, in one place.
export class Keys {
  constructor(private readonly prefix: string) {}
  call(callId: string): string {
    return `${this.prefix}:call:${callId}`;
  }
  /** Set of calls in progress on this Asterisk application. */
  activeCalls(app: string): string {
    return `${this.prefix}:calls:active:${app}`;
  }
  journal(): string {
    return `${this.prefix}:journal`;
  }
  /** Identity (entity id + start-up time) of the Asterisk last seen behind an application. */
  asteriskIdentity(app: string): string {
    return `${this.prefix}:asterisk:${app}:identity`;
  }
}
