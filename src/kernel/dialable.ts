// The only numbers Switchboard ever dials that come from outside its configuration (a callback's
// customer, a remote agent's number): digits with an optional leading +, matching a configured
// pattern as a whole. Nothing else from a caller or a client reaches a dial string.
const DIALABLE = /^\+?[0-9]{1,20}$/;

export function acceptNumber(number: string, pattern: string): boolean {
  return DIALABLE.test(number) && new RegExp(`^(?:${pattern})$`).test(number);
}

/** The dial string of an accepted number through a configured trunk. */
export const trunkEndpoint = (number: string, trunk: string): string => `PJSIP/${number}@${trunk}`;
