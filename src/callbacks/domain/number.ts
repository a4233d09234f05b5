// The only numbers a callback ever dials: digits with an optional leading +, matching the queue's
// configured pattern as a whole. Nothing else from a caller or a client reaches a dial string.
const DIALABLE = /^\+?[0-9]{1,20}$/;

export function acceptNumber(number: string, pattern: string): boolean {
  return DIALABLE.test(number) && new RegExp(`^(?:${pattern})$`).test(number);
}
