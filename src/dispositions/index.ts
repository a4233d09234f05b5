// Dispositions: the outcome of each handled call (resolved or not, a code, notes), recorded at
// wrap-up; the statistics count first-contact resolution from them.
export { refuseDisposition } from './domain';
export { dispositionRoutes, type DispositionApi } from './http';
export { DispositionStore, type StoredDisposition } from './store';
