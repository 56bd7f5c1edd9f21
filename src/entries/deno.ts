/** `steadfetch/deno`: the breaker shared by every process on one Deno KV, and a store over Deno KV. */
export { coordinator, denoKvStore, type DenoKvLike } from '../deno/index.js';
export type { SharedBreaker, SharedCoordinator } from '../breaker/shared.js';
