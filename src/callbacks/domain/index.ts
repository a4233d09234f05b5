// The callbacks' pure core, public to other features' pure code and services: the lifecycle, the
// in-queue offer and its conversation, the numbers a callback may dial, the model.
export * from './causes';
export * from './lifecycle';
export * from './model';
export * from './number';
export * from './offer';
