/**
 * The real clock, for the few places where time must not be a client's injected `clock`
 * (`PolicyContext.clock`, which everything else reads): each caller says why. Nothing outside
 * src/utils/ calls `Date.now()` or `performance.now()` (test/unit/layers.test.ts counts them).
 */

/**
 * The wall clock (epoch ms): for a deadline a real timer keeps (ky's `timeout`, a `setTimeout` of our
 * own), a heartbeat a real interval beats, a store or coordinator that has no client (its own clock is
 * the one every client shares), or a library that keeps wall-clock times (TanStack's `dataUpdatedAt`).
 */
export const wallNow = (): number => Date.now();

/**
 * Real elapsed time (ms; monotonic where the runtime has `performance`, as ky's own `#getCurrentTime`):
 * for a duration real timers measure — a call's `totalTimeout` as ky counts it, `waitForHealthy`'s
 * `timeoutMs` (its pauses are real timers).
 */
export const monotonicNow = (): number => globalThis.performance?.now() ?? Date.now();
