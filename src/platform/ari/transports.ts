// Picks how ARI requests travel (SWITCHBOARD_ARI_TRANSPORT): a pool of WebSockets with HTTP as the
// fallback, or HTTP alone.
import type { Logger } from 'pino';
import { HttpTransport } from './http-transport';
import type { AriTransport } from './transport';
import { WsTransport } from './ws-transport';

export interface TransportChoice {
  kind: 'websocket' | 'http';
  url: string;
  user: string;
  password: string;
  app: string;
  /** WebSockets in the pool, or concurrent HTTP requests. */
  connections: number;
  logger: Logger;
}

export function ariTransport(c: TransportChoice): AriTransport {
  const http = new HttpTransport({ url: c.url, user: c.user, password: c.password, maxInFlight: c.kind === 'http' ? c.connections : 16 });
  if (c.kind === 'http') return http;
  return new WsTransport({ url: c.url, user: c.user, password: c.password, app: c.app, logger: c.logger, size: c.connections, fallback: http });
}
