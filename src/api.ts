// The HTTP API's composition: every feature's routes, in the order they appear in the OpenAPI
// document. main.ts hands in the real ports; `openApiText()` builds the document from ports
// that are never called (declaring a route reads no state), for `switchboard openapi` and the
// test that keeps docs/openapi.json current.
import { agentRoutes, callControlRoutes, type AgentApi, type CallControlApi } from './acd';
import { callRoutes, type CallsApi } from './calls';
import { callbackRoutes, type CallbackService } from './callbacks';
import { configRoutes, type ConfigApi } from './config/http';
import { voicemailRoutes, type VoicemailApi } from './ivr';
import type { Clock } from './platform/clock';
import { RouteTable, type RouteModule } from './platform/http/api';
import { openApiDocument } from './platform/http/openapi';
import type { Principal } from './platform/http/auth';
import type { SwitchboardEvent } from './events';
import { eventStreamRoutes, type EventStream } from './stream';
import { statsRoutes, type StatsQueries, type StatsScope } from './stats';
import { dispositionRoutes, type DispositionApi } from './dispositions';
import { monitorRoutes, type MonitorApi } from './monitor';
import { outboundRoutes, type OutboundApi } from './outbound';
import { recordingRoutes, type RecordingApi } from './recordings';

export interface ApiPorts {
  agents: AgentApi;
  calls: CallsApi;
  control: CallControlApi;
  monitor: MonitorApi;
  outbound: OutboundApi;
  recordings: RecordingApi;
  callbacks: CallbackService;
  config: ConfigApi;
  voicemails: VoicemailApi;
  events: { stream: EventStream; visibleTo: (p: Principal) => (e: SwitchboardEvent) => boolean };
  stats: { queries: StatsQueries; scopeOf: (p: Principal) => StatsScope };
  dispositions: DispositionApi;
  clock: Clock;
}

export function apiRoutes(p: ApiPorts): RouteModule[] {
  return [
    agentRoutes(p.agents),
    outboundRoutes(p.outbound),
    callRoutes(p.calls),
    callControlRoutes(p.control),
    monitorRoutes(p.monitor),
    recordingRoutes(p.recordings),
    dispositionRoutes(p.dispositions),
    callbackRoutes(p.callbacks, p.clock),
    statsRoutes(p.stats.queries, p.stats.scopeOf),
    eventStreamRoutes(p.events.stream, p.events.visibleTo),
    voicemailRoutes(p.voicemails),
    configRoutes(p.config),
  ];
}

/** The API's version in the OpenAPI document: the package's. */
export const API_VERSION = '0.1.0';

/** A port for the document only: any use is a bug. */
const unused = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_t, prop) => {
      throw new Error(`${name}.${String(prop)} used while only declaring routes`);
    },
  });

/** The OpenAPI document as committed in docs/openapi.json (two-space JSON, final newline). */
export function openApiText(): string {
  const table = new RouteTable();
  const ports: ApiPorts = {
    agents: unused('agents'),
    calls: unused('calls'),
    control: unused('control'),
    monitor: unused('monitor'),
    outbound: unused('outbound'),
    recordings: unused('recordings'),
    callbacks: unused('callbacks'),
    config: unused('config'),
    voicemails: unused('voicemails'),
    events: { stream: unused('events'), visibleTo: () => () => true },
    stats: { queries: unused('stats'), scopeOf: () => ({ queues: 'all', agents: 'all' }) },
    dispositions: unused('dispositions'),
    clock: unused('clock'),
  };
  for (const declare of apiRoutes(ports)) declare(table);
  return `${JSON.stringify(openApiDocument(table, { version: API_VERSION }), null, 2)}\n`;
}
