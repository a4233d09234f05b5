// The ACD feature's public module: what the composition and other features use.
export { AriAcdTelephony } from './ari-telephony';
export { agentRoutes, type AgentApi, type AgentCommand } from './http';
export type { AcdStorePort, AcdTimer } from './ports';
export { formatQueueLog, QueueLogFile, type QueueLogLine } from './queue-log';
export { AcdService, callIdOfLeg, LEG_MARK, PauseReasonRefused, type AcdConfigView } from './service/acd-service';
export { AcdStore } from './store/acd-store';
