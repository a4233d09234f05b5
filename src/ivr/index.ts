// The IVR feature's public module: what the call flow and the composition use.
export * from './domain';
export { runLookup } from './http-lookup';
export { VoicemailStore, type VoicemailRecord } from './voicemail-store';
export { ivrSection, regexErrorOffset } from './config';
