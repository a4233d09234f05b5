// The one clock (time is injected: domain code never reads it, services get it from here).
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
