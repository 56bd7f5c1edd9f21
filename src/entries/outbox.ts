/** `steadfetch/outbox`: the offline outbox for the `outbox` slot, and the service-worker sync handler. */
export { outbox, outboxSyncHandler, type OutboxPolicy, type SyncEventLike, type ConflictResolution, type StoredEntry } from '../outbox/index.js';
export type { OutboxOptions } from '../outbox/options.js';
export type { Outbox, OutboxEntry } from '../outbox/types.js';
export type { OutboxEvent, OutboxEventType } from '../outbox/events.js';
