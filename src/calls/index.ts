// The call flow's public module: what the composition uses.
export { Admission } from './admission';
export { OVERLOAD_GATE_VARIABLE } from './domain/admission';
export { AriTelephony } from './ari-telephony';
export { registerCallAriHandlers } from './ari-handlers';
export { CallStore } from './call-store';
export type { IvrPorts, QueueHandoff } from './commands';
export { CallController } from './controller';
export type { CallContext, CallState } from './domain/call';
export { numberFlow, numberFlowId, transferFlow, transferFlowId, type GreetingRoute } from './domain/number-flow';
export { reconcile } from './reconcile';
export { numbersSection, type NumberRouteConfig } from './config';
export { callRoutes, callViews, type CallsApi, type CallView, type QueuedCall } from './http';
