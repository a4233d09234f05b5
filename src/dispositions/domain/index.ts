export { refuseDisposition, type DispositionRefusal, type DispositionTarget, type Recorder } from './decide';
