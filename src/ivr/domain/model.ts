// IVR flows as ops staff write them in the routing files, after validation: a graph of named steps.
// Durations are seconds in configuration and milliseconds in the engine.

export type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#';

/** Retry behaviour shared by menus and collects. */
export interface InputRetries {
  /** Tries after the first (menu: 2 → three chances in all). */
  readonly retries: number;
  readonly invalidPrompts: readonly string[];
  readonly noInputPrompts: readonly string[];
  /** Where the flow goes after the last failed try. */
  readonly onFail: string;
}

export type Condition =
  | { readonly kind: 'schedule'; readonly schedule: string; readonly is: 'open' | 'closed' | 'holiday' }
  | { readonly kind: 'callerIn'; readonly list: string }
  | { readonly kind: 'var'; readonly name: string; readonly equals?: string; readonly matches?: string; readonly exists?: boolean };

export type Step =
  /** `keysIgnored`: a key does not cut the prompt short (a number's greeting); by default one does (type-ahead). */
  | { readonly kind: 'play'; readonly prompts: readonly string[]; readonly next: string; readonly keysIgnored?: boolean }
  | ({ readonly kind: 'menu'; readonly prompts: readonly string[]; readonly options: Readonly<Partial<Record<Digit, string>>>; readonly timeoutS: number } & InputRetries)
  | ({
      readonly kind: 'collect';
      readonly prompts: readonly string[];
      readonly variable: string;
      readonly minDigits: number;
      readonly maxDigits: number;
      readonly terminator?: '#' | '*';
      /** Wait for the first digit. */
      readonly timeoutS: number;
      readonly interDigitTimeoutS: number;
      /** A regular expression the whole input must match. */
      readonly pattern?: string;
      /** Kept out of logs, Redis, jobs, events, the journal and recordings; only `derive` survives. */
      readonly sensitive: boolean;
      /** What a sensitive input leaves behind: `<variable>_valid` ("yes"/"no") and, with last4, `<variable>_last4`. */
      readonly derive: { readonly last4: boolean };
      readonly next: string;
    } & InputRetries)
  | { readonly kind: 'branch'; readonly when: ReadonlyArray<{ readonly condition: Condition; readonly next: string }>; readonly otherwise: string }
  | {
      readonly kind: 'lookup';
      readonly lookup: string;
      /** Call variables sent (query string for GET, JSON body for POST). Sensitive variables are never sent. */
      readonly send: readonly string[];
      /** Variable name → dotted path in the JSON answer. */
      readonly fields: Readonly<Record<string, string>>;
      readonly next: string;
      readonly onFailure: string;
    }
  | {
      readonly kind: 'set';
      readonly language?: string;
      /** Take the language from this variable (e.g. a lookup field) when it holds a language code. */
      readonly languageFrom?: string;
      readonly vars: Readonly<Record<string, string>>;
      readonly priority?: number;
      /** Call attributes the queue's requirements can read (call.<name>). */
      readonly attributes: Readonly<Record<string, string | number | boolean>>;
      readonly next: string;
    }
  | { readonly kind: 'queue'; readonly queue: string; readonly priority?: number }
  | { readonly kind: 'transfer'; readonly flow: string }
  /** Ring a configured destination and connect the caller; `onFailure` when it does not answer. */
  | { readonly kind: 'dial'; readonly destination: string; readonly onFailure: string }
  | { readonly kind: 'voicemail'; readonly prompts: readonly string[]; readonly mailbox: string; readonly maxSeconds: number; readonly silenceSeconds: number }
  | { readonly kind: 'hangup'; readonly prompts: readonly string[] }
  | { readonly kind: 'goto'; readonly next: string };

export interface Flow {
  readonly id: string;
  readonly start: string;
  readonly language: string;
  readonly steps: ReadonlyMap<string, Step>;
}

/** An endpoint a flow may dial, from configuration only. */
export interface Destination {
  readonly id: string;
  readonly endpoint: string;
  readonly timeoutS: number;
}

export interface Lookup {
  readonly id: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly timeoutS: number;
}

/** What the engine needs from configuration. */
export interface FlowContext {
  flows: ReadonlyMap<string, Flow>;
  lookups: ReadonlyMap<string, Lookup>;
  destinations: ReadonlyMap<string, Destination>;
  callerLists: ReadonlyMap<string, ReadonlySet<string>>;
  /** "open" | "closed" | "holiday" for a schedule at an instant. */
  scheduleState(schedule: string, at: number): 'open' | 'closed' | 'holiday';
}
