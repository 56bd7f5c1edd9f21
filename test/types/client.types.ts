/**
 * Type tests, checked by `npm run typecheck` (a line that stops compiling, or an `@ts-expect-error`
 * that stops erring, fails the run): a client agrees with ky's types, and its members follow its
 * options. Nothing here runs.
 */
import type { KyInstance, Options as KyOptions } from 'ky';
import { breaker } from '../../src/entries/breaker.js';
import { staleCache } from '../../src/entries/cache.js';
import { createClient as createCore, type CoreClientOptions } from '../../src/entries/core.js';
import { createClient, type Client, type ClientOptions, type OutboxPolicy } from '../../src/entries/index.js';
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
