/**
 * `steadfetch/policy`: the types for writing a policy — a slot value of `createClient`, a built-in's
 * or an app's own (README, "Your own policies"). Stable from this version: semver applies. No other
 * entry exports them.
 */
export type { Policy, PolicyBands, PolicyCall, PolicyContext, PolicyHooks, PolicyParts, RunOptions, SlotName, EventFields } from '../core/policy.js';
export type { FetchLike, FetchInit, Layer } from '../core/types.js';
// What work that outlives its caller checks before each later write (`PolicyCall.world`, `PolicyContext.world()`).
export type { World } from '../core/world.js';
// The parts the mission's factories return (`breaker()`, `staleCache()`, `outbox()`): named here so that
// an app's own declarations can name the policies' types (TypeScript's TS2742 otherwise).
export type { BreakerParts } from '../breaker/members.js';
export type { CacheParts } from '../cache/members.js';
export type { OutboxParts } from '../outbox/types.js';
