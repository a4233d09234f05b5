// Agents' own calls (blended work), docs/outbound.md.
export { AriOutboundTelephony, registerOutboundAriHandlers } from './ari';
export { outboundRoutes, type OutboundApi } from './http';
export { OutboundService } from './service';
