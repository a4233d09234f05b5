// What a call needs from the routing configuration running now: its flows, lookups, destinations
// and caller lists, the state of its schedules, and which flow a dialled number runs.
import type { CallContext } from '../calls';
import { scheduleStateAt } from '../ivr';
import { flowOfNumber, type RoutingConfig } from './routing';

/** What a call needs from the configuration running now. */
export function callContext(cfg: RoutingConfig): CallContext {
  return {
    flows: cfg.flows,
    lookups: cfg.lookups,
    destinations: cfg.destinations,
    callerLists: cfg.callerLists,
    // A schedule the flow names but the configuration lost (a reload) counts as closed.
    scheduleState: (id, at) => {
      const sch = cfg.schedules.get(id);
      return sch ? scheduleStateAt(sch, at).state : 'closed';
    },
    route: (number) => {
      const r = cfg.numbers.get(number);
      return r && { flow: flowOfNumber(number, r), language: r.language };
    },
  };
}
