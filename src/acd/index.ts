// The ACD feature's public module: what the composition and other features use.
export { AriAcdTelephony } from './ari-telephony';
export { agentRoutes, type AgentApi, type AgentCommand, type AcdSnapshot } from './http';
export { callControlRoutes, type CallControlApi } from './call-routes';
export { agentScope, inScope, type AgentScope } from './scope';
export type { AcdEntry, AcdStorePort, AcdTimer, CallbackHooks } from './ports';
export { agentField, formatQueueLog, QueueLogFile, queueLogWriter, type QueueLogLine } from './queue-log';
export { AcdService, CallActionRefused, type TransferTarget, DispositionPending, PauseReasonRefused, WaitingCallRefused, type AcdConfigView } from './service/acd-service';
export { AcdOperations } from './store/operations';
export { AcdStore } from './store/acd-store';
export { registerAcdAriHandlers } from './ari-handlers';
export { acdSection, BUILTIN_PAUSE_REASONS, type PauseReason, type Team } from './config';
