// Every entry of the package as the contract uses it, from the edge build (what the `workerd` and
// `deno` export conditions resolve), typed through src/: a clean clone type-checks before it builds.
/* biome-ignore-all lint/suspicious/noTsIgnore: dist/ may not exist yet when tsc runs, so @ts-expect-error would fail once it does */
// @ts-ignore
export * from '../../dist/edge/index.js';
// @ts-ignore
export { bulkhead } from '../../dist/edge/bulkhead.js';
// @ts-ignore
export { dedupe } from '../../dist/edge/dedupe.js';
// @ts-ignore
export { rateLimit } from '../../dist/edge/rate-limit.js';
// @ts-ignore
export { adaptiveThrottle, ThrottledError } from '../../dist/edge/throttle.js';
// @ts-ignore
export { hedge } from '../../dist/edge/hedge.js';
// @ts-ignore
export { failover } from '../../dist/edge/failover.js';
// @ts-ignore
export { auth, AuthError } from '../../dist/edge/auth.js';
// @ts-ignore
export { trace } from '../../dist/edge/trace.js';
