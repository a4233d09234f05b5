// The event seam's public module.
export * from './catalogue';
export { EventBus, type EventSink, type JournalWriter, type Subscriber } from './notifier';
export { RedisJournal } from './journal';
