// How an attempt to reach the customer ended, from the Q.850 cause Asterisk gives the customer leg.
import type { CallbackFailure } from './model';

export function failureOfCause(cause: number): CallbackFailure {
  switch (cause) {
    case 17: // user busy (SIP 486, 600)
      return 'busy';
    case 18: // no user responding
    case 19: // no answer (our ring timeout, SIP 480 / 408)
      return 'no-answer';
    case 21: // call rejected (SIP 603, 403)
      return 'rejected';
    case 1: // unallocated number (SIP 404)
    case 3: // no route to destination
    case 20: // subscriber absent
    case 27: // destination out of order
    case 28: // invalid number format (SIP 484)
    case 34: // no circuit available (SIP 503)
    case 38: // network out of order
      return 'unreachable';
    default:
      return 'failed';
  }
}
