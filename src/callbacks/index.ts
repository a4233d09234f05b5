// The callbacks feature's public module: what the composition uses.
export { CallbackSettingsSchema, toCallbackSettings } from './config';
export { registerCallbackAriHandlers } from './ari-handlers';
export { AriCustomerTelephony } from './ari-telephony';
export { callbackRoutes } from './http';
export { InQueueOffers } from './in-queue';
export { CallbackJobs } from './jobs';
export { CallbackRefused, CallbackService } from './service';
export { CallbackStore } from './store';
