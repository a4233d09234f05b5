// The IVR's pure core, public to other features' pure code: the flow engine, its model, schedules.
export * from './engine';
export * from './model';
export * from './schedule';
