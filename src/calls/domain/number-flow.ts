// A number configured with a greeting (and maybe a queue) is a small flow like any other, so a
// call has one state machine (the IVR engine): the greeting plays (keys do not cut it short), the
// number's priority and call attributes are set, then the call joins the queue or is hung up.
import type { Flow, Step } from '../../ivr/domain';

export interface GreetingRoute {
  greeting: readonly string[];
  queue?: string;
  priority: number;
  attributes: Readonly<Record<string, string | number | boolean>>;
  language?: string;
}

export const numberFlowId = (number: string): string => `number:${number}`;

export function numberFlow(number: string, route: GreetingRoute): Flow {
  const steps = new Map<string, Step>();
  if (route.greeting.length > 0) steps.set('greeting', { kind: 'play', prompts: [...route.greeting], next: 'route', keysIgnored: true });
  steps.set('route', { kind: 'set', vars: {}, priority: route.priority, attributes: route.attributes, next: route.queue ? 'queue' : 'end' });
  if (route.queue) steps.set('queue', { kind: 'queue', queue: route.queue });
  else steps.set('end', { kind: 'hangup', prompts: [] });
  return { id: numberFlowId(number), start: route.greeting.length > 0 ? 'greeting' : 'route', language: route.language ?? 'en', steps };
}

export const transferFlowId = (destination: string): string => `transfer:${destination}`;

/** Where a blind transfer to a configured destination takes the caller: the destination is rung; if it does not answer, the call ends. */
export function transferFlow(destination: string): Flow {
  const steps = new Map<string, Step>([
    ['dial', { kind: 'dial', destination, onFailure: 'end' }],
    ['end', { kind: 'hangup', prompts: [] }],
  ]);
  return { id: transferFlowId(destination), start: 'dial', language: 'en', steps };
}
