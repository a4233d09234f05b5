// The call flow's public module: what the composition uses.
export { AriTelephony } from './ari-telephony';
export { domainEventFrom } from './ari-events';
export { CallStore } from './call-store';
export { CallController, DIAL_MARK, type IvrPorts } from './controller';
export { reconcile } from './reconcile';
