/**
 * Type tests, checked by `npm run typecheck` (a line that stops compiling, or an `@ts-expect-error`
 * that stops erring, fails the run): a client agrees with ky's types, and its members follow its
 * options. Nothing here runs.
 */
import type { KyInstance, Options as KyOptions } from 'ky';
import { breaker } from '../../src/entries/breaker.js';
import { staleCache } from '../../src/entries/cache.js';
import { createClient as createCore, type CoreClientOptions, type CoreMembers } from '../../src/entries/core.js';
import { createClient, type OutboxFullError, type BreakerMembers, type BreakerSnapshot, type CacheMembers, type Client, type ClientOf, type ClientOptions, type ClientStats, type MembersOf, type OutboxMembers, type OutboxPolicy, type PresetMembers } from '../../src/entries/index.js';
import type { HealthStats } from '../../src/entries/health.js';
import { outbox } from '../../src/entries/outbox.js';
import { trace } from '../../src/entries/trace.js';

/** A function written for ky accepts a steadfetch client, a client it extended, and one for a Worker's request. */
const usesKy = (instance: KyInstance): KyInstance => instance.extend({ timeout: 1_000 });
const preset = createClient({ prefix: 'https://api.example.com/' });
const core = createCore({ breaker: breaker(), trace: trace() });
export const kyInstances: KyInstance[] = [
	preset, core, usesKy(preset), usesKy(core), preset.extend({ retry: 1 }), preset.extend((options) => ({ ...options, timeout: 2_000 })),
	preset.withContext({ waitUntil: () => undefined }), preset.create(),
];

/** Options typed for ky are options of both entries, and ours are ky's options plus our keys. */
export const asKy: KyOptions[] = [{} as ClientOptions, {} as CoreClientOptions];
const kyOptions: KyOptions = { timeout: 1_000, cache: 'no-store', retry: { limit: 1 } };
export const fromKy = [createClient(kyOptions), createCore(kyOptions)];

/** `cache` is fetch's RequestCache; the stale cache is `staleCache`. */
export const caches = [
	createClient({ cache: 'no-cache', staleCache: { maxStaleMs: 60_000 } }),
	createCore({ cache: 'reload', staleCache: staleCache() }),
	// @ts-expect-error an object is not a RequestCache
	createClient({ cache: { maxStaleMs: 1 } }),
	// @ts-expect-error false is not a RequestCache
	createCore({ cache: false }),
];
preset.get('x', { cache: 'no-store', staleCache: false });
// @ts-expect-error per call, staleCache is only `false`
preset.get('x', { staleCache: true });

/** `client.outbox` exists in the type only when an outbox is configured. */
export const queued = [createClient({ outbox: outbox() }).outbox.size(), createClient({ outbox: outbox({ maxEntries: 10 }) }).outbox.list(), createCore({ outbox: outbox() }).outbox.flush()];
/** Files in the outbox: `stats()`, each entry's `bodyBytes`, `OutboxFullError.reason`, `maxFileBytes`. */
export const fileStats: Promise<{ entries: number; dead: number; bytes: number }> = createClient({ outbox: outbox({ maxFileBytes: 1_000 }) }).outbox.stats();
export const bodyBytes = async (): Promise<number[]> => (await createClient({ outbox: outbox() }).outbox.list()).map((entry) => entry.bodyBytes);
export const fullReason = (error: OutboxFullError): 'entries' | 'size' | 'quota' => error.reason;
// @ts-expect-error maxFileBytes is a number of bytes
outbox({ maxFileBytes: '25 MiB' });
// @ts-expect-error no outbox configured
createClient().outbox;
// @ts-expect-error the outbox turned off
createClient({ outbox: false }).outbox;
// @ts-expect-error the core has no outbox without the slot
createCore().outbox;
// @ts-expect-error the preset's outbox is the policy `outbox()` makes, not `true`
createClient({ outbox: true });
// @ts-expect-error nor its options
createClient({ outbox: { maxEntries: 10 } });

/** The preset always has `breaker` and `cache`; the core only with their slots. */
export const members = [preset.breaker('https://api.example.com').state, preset.cache.list(), core.breaker.isolate, createCore({ staleCache: staleCache() }).cache.clear()];
// @ts-expect-error no breaker slot
createCore().breaker;
// @ts-expect-error no stale cache slot
createCore().cache;

/** `Client<O>` names a client made with options `O`; `ReturnType` of `createClient` is a real type, not `any`. */
export const annotated: Client<{ outbox: OutboxPolicy }> = createClient({ outbox: outbox() });
declare const returned: ReturnType<typeof createClient>;
export const parsed: Promise<{ id: number }> = returned.get('x').json<{ id: number }>();
// @ts-expect-error not `any`: a client is not a number
export const notAny: number = returned;

/** Callbacks in options are typed from ky's options (contextual typing survives the generic). */
createClient({ parseJson: (text) => text.length, hooks: { beforeRequest: [({ request }) => request.headers.set('x', '1')] } });
createCore({ parseJson: (text) => text.trim() });

/** `create()` makes a client from its options alone, `extend()` merges: their members follow the options they end with. */
const queuing = createClient({ outbox: outbox() });
export const followed = [
	queuing.extend({ timeout: 1_000 }).outbox.size(),
	createClient().extend({ outbox: outbox() }).outbox.flush(),
	queuing.create({ outbox: outbox({ maxEntries: 5 }) }).outbox.list(),
	createCore({ breaker: breaker() }).extend({ retry: 1 }).breaker.isolate,
	createCore().extend({ staleCache: staleCache() }).cache.list(),
	createCore({ outbox: outbox() }).extend((options) => ({ ...options, timeout: 5 })).outbox.size(),
	queuing.create().breaker, queuing.create().cache,
];
// @ts-expect-error create() inherits nothing: no outbox without one in its options
queuing.create().outbox;
// @ts-expect-error the outbox turned off by extend
queuing.extend({ outbox: false }).outbox;
// @ts-expect-error create() inherits nothing: no breaker slot
createCore({ breaker: breaker() }).create().breaker;
// @ts-expect-error the breaker turned off by extend
createCore({ breaker: breaker() }).extend({ breaker: false }).breaker;
// @ts-expect-error the stale cache turned off by extend
createCore({ staleCache: staleCache() }).extend({ staleCache: false }).cache;

/** Whether two types are the same (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Core<M> = ClientOf<CoreClientOptions, M>;
type Preset<M> = ClientOf<ClientOptions, M>;

/** Exactly the members of the slots filled (each policy declares its own in `SlotMembers`): for the core, per slot. */
const breakerOnly = createCore({ breaker: breaker() });
const cacheAndOutbox = createCore({ staleCache: staleCache(), outbox: outbox() });
export const exactCore: [
	Same<ReturnType<typeof createCore<object>>, Core<unknown>>,
	Same<typeof breakerOnly, Core<BreakerMembers>>,
	Same<typeof cacheAndOutbox, Core<CacheMembers & OutboxMembers>>,
	Same<typeof core, Core<BreakerMembers>>,
	Same<CoreMembers<{ breaker: false; staleCache: ReturnType<typeof staleCache> }>, CacheMembers>,
	Same<CoreMembers<{ breaker: ReturnType<typeof breaker> | false }>, unknown>,
] = [true, true, true, true, true, true];
// @ts-expect-error the stale cache and outbox give no breaker
cacheAndOutbox.breaker;
// @ts-expect-error nor `waitForHealthy`
cacheAndOutbox.waitForHealthy;
// @ts-expect-error the breaker gives no cache
breakerOnly.cache;
// @ts-expect-error nor an outbox
breakerOnly.outbox;

/** The preset: the breaker's and cache's members always, the outbox's with `outbox()`. */
export const exactPreset: [
	Same<typeof preset, Preset<BreakerMembers & CacheMembers>>,
	Same<typeof queuing, Preset<BreakerMembers & CacheMembers & OutboxMembers>>,
	Same<ReturnType<typeof createClient<{ breaker: false; staleCache: false }>>, Preset<BreakerMembers & CacheMembers>>,
	Same<PresetMembers<{ outbox: OutboxPolicy }>, MembersOf<ClientOptions, { outbox: OutboxPolicy }>>,
	Same<PresetMembers<{ breaker: false }>, MembersOf<ClientOptions, { breaker: false }>>,
	Same<typeof preset.create, typeof queuing.create>,
] = [true, true, true, true, true, true];

/** `extend()` toggles a slot's members: off by `false`, on by a policy, else kept; the preset keeps its breaker and cache. */
export const exactToggles: [
	Same<ReturnType<typeof breakerOnly.extend<{ breaker: false }>>, Core<unknown>>,
	Same<ReturnType<typeof breakerOnly.extend<{ outbox: OutboxPolicy }>>, Core<BreakerMembers & OutboxMembers>>,
	Same<ReturnType<typeof cacheAndOutbox.extend<{ outbox: false; breaker: ReturnType<typeof breaker> }>>, Core<CacheMembers & BreakerMembers>>,
	Same<ReturnType<typeof cacheAndOutbox.extend<{ timeout: 1 }>>, Core<CacheMembers & OutboxMembers>>,
	Same<ReturnType<typeof preset.extend<{ breaker: false; staleCache: false }>>, Preset<BreakerMembers & CacheMembers>>,
	Same<ReturnType<typeof preset.extend<{ outbox: OutboxPolicy }>>, Preset<BreakerMembers & CacheMembers & OutboxMembers>>,
	Same<ReturnType<typeof queuing.extend<{ outbox: false }>>, Preset<BreakerMembers & CacheMembers>>,
	Same<ReturnType<typeof breakerOnly.create<{ staleCache: ReturnType<typeof staleCache> }>>, Core<CacheMembers>>,
] = [true, true, true, true, true, true, true, true];
export const toggled = [breakerOnly.extend({ outbox: outbox() }).outbox.size(), breakerOnly.extend({ outbox: outbox() }).waitForHealthy];
// @ts-expect-error the breaker turned off by extend, the outbox added
breakerOnly.extend({ breaker: false, outbox: outbox() }).breaker;

/** `stats()`: each policy's view of a scope, declared by the policy (`PolicyStats`), as before. */
export const exactStats: [
	Same<ClientStats[string]['breaker'], BreakerSnapshot | undefined>,
	Same<ClientStats[string]['latency'], HealthStats['latency'] | undefined>,
	Same<ClientStats[string]['requests'], number>,
	Same<ClientStats[string]['other'], unknown>,
] = [true, true, true, true];
