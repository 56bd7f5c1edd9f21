/** `steadfetch/sw`: a service worker's fetch handler that runs pages' requests through a client in the worker. */
export { fetchHandler, type FetchEventLike, type FetchHandlerOptions } from '../sw/index.js';
export { outboxSyncHandler, type SyncEventLike } from '../outbox/index.js';
