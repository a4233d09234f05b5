// The IVR feature's public module: what the call flow and the composition use.
export * from './domain';
export { runLookup } from './http-lookup';
export { forgetVoicemail, getVoicemail, VoicemailStore, type StoredVoicemail, type VoicemailRecord } from './voicemail-store';
export { voicemailRoutes, type VoicemailApi } from './http';
export { ivrSection, regexErrorOffset } from './config';
