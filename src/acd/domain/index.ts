// The ACD's pure core, public to other features' pure code and configuration: its model, agent
// states, requirement expressions, selection, queue steps and wait estimates.
export * from './agent';
export { couldServe, countsForWait, mayBeOffered, offerableTo, queuesServed, recentlyMissed, requirementNow } from './eligibility';
export * from './ewt';
export * from './expression';
export * from './model';
export * from './offer';
export * from './select';
export * from './steps';
