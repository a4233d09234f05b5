// A queue's callback settings in the routing files (queues.<id>.callback), validated like the rest.
import { z } from 'zod';
import { dialPattern, identifier, nonNegativeSeconds, positiveInt, positiveSeconds, trunkName } from '../platform/config/fields';
import type { CallbackSettings } from './domain/model';

export const CallbackSettingsSchema = z
  .strictObject({
    trunk: trunkName.describe('Outbound trunk (a PJSIP endpoint): customers are dialled as PJSIP/<number>@<trunk>'),
    callerId: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)').describe('Caller id the customer sees'),
    numberPattern: dialPattern.describe('Numbers accepted for a callback (matched whole); only digits and a leading + are ever dialled'),
    attempts: positiveInt('attempts').max(10, 'attempts must be at most 10').default(3).describe('Attempts to reach the customer in all'),
    retryDelay: positiveSeconds('retryDelay').default(30).describe('Seconds between attempts'),
    ringTimeout: positiveSeconds('ringTimeout').default(30).describe("Seconds the customer's phone rings before the attempt counts as not answered"),
    priority: z.number().int('priority must be a whole number').default(0).describe('Priority of scheduled callbacks in the queue'),
    preferredAgentWindow: nonNegativeSeconds('preferredAgentWindow').default(60).describe('Seconds a preferred agent has a due callback to themselves'),
    hours: identifier.optional().describe('A schedule: callbacks are dialled only while it is open'),
    offer: z
      .strictObject({
        key: z.string().regex(/^[0-9*#]$/, 'must be one key: 0-9, * or #').default('1').describe('The key a waiting caller presses'),
        whenEstimatedWaitOver: positiveSeconds('whenEstimatedWaitOver').optional().describe('Offer when the estimated wait is longer than this'),
        afterWaitingWithNoAgentFree: positiveSeconds('afterWaitingWithNoAgentFree').optional().describe('Offer after this long in line while no eligible agent is free'),
        every: positiveSeconds('every').default(30).describe('Seconds before the offer is repeated'),
        recordName: z.boolean().default(false).describe("The caller records their name after choosing the number; the agent hears it before the customer is dialled"),
      })
      .refine((o) => o.whenEstimatedWaitOver !== undefined || o.afterWaitingWithNoAgentFree !== undefined, 'needs whenEstimatedWaitOver or afterWaitingWithNoAgentFree')
      .optional()
      .describe('Offer waiting callers a callback that keeps their place (in-queue callback)'),
  })
  .describe('Callbacks for this queue (scheduled through the API)');

export type ParsedCallbackSettings = z.output<typeof CallbackSettingsSchema>;

export function toCallbackSettings(p: ParsedCallbackSettings): CallbackSettings {
  return {
    trunk: p.trunk,
    callerId: p.callerId,
    numberPattern: p.numberPattern,
    attempts: p.attempts,
    retryDelayS: p.retryDelay,
    ringTimeoutS: p.ringTimeout,
    priority: p.priority,
    preferredAgentWindowS: p.preferredAgentWindow,
    ...(p.hours !== undefined ? { hours: p.hours } : {}),
    ...(p.offer
      ? {
          offer: {
            key: p.offer.key,
            everyS: p.offer.every,
            recordName: p.offer.recordName,
            ...(p.offer.whenEstimatedWaitOver !== undefined ? { ewtOverS: p.offer.whenEstimatedWaitOver } : {}),
            ...(p.offer.afterWaitingWithNoAgentFree !== undefined ? { noAgentAfterS: p.offer.afterWaitingWithNoAgentFree } : {}),
          },
        }
      : {}),
  };
}
