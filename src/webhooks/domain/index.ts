// The webhooks' pure core: matching, the signed payload, the retry schedule.
export type { Webhook } from './model';
export { EVENT_PATTERN, hooksFor, matchesPattern, typesMatching, wants, type Routable } from './match';
export { deliveryBody, EVENT_ID_HEADER, EVENT_TYPE_HEADER, formatSignature, HOOK_HEADER, parseSignature, signedContent, SIGNATURE_HEADER, withinTolerance, type ParsedSignature } from './payload';
export { givenUpAfterS, isLastAttempt, retryDelayS, retrySchedule } from './retry';
