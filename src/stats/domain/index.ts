// The statistics' pure core: intervals, the projector, the figures.
export * from './counters';
export * from './events';
export * from './figures';
export * from './interval';
export * from './projector';
export * from './settings';
