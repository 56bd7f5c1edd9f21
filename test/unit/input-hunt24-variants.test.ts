/**
 * Option values and bad input (defect hunt, twenty-fourth round): API.md "Option values" ("every duration option is at
 * most 2 147 483 647 ms … except those that only bound an age or a window and accept any positive finite value
 * (`maxStaleMs`, …)"; "a value of the wrong type or out of range (a string, `NaN`, a negative, `Infinity` for a timer or
 * a byte bound) is a `RangeError` or `TypeError` naming the option where it is given … and per call an
 * `InvalidRequestError` before any I/O"), swept over every numeric option of every factory. No timing: a fake `fetch`
 * counts what went out.
 *
 * - `staleCache({ maxStaleMs: 0 })` was taken (the rule was "non-negative"): a stale cache that stores every answer and
 *   serves none, every copy removed as it is met, though API.md names `maxStaleMs` among the options that take a
 *   positive finite value. Now a RangeError naming it, at `staleCache()` and at the preset's `createClient`.
 * - `staleCache({ maxBodyBytes })` took any non-negative finite number: `1.5` (a byte bound of a byte and a half) and `0`
 *   (only empty bodies stored: a cache that keeps nothing, which `staleCache: false` says). Now a positive integer, as
 *   `maxEntries` is (the outbox's byte bounds are integers too).
 * - `withContext(ctx, { subrequests: null })` was read as not given (`??`): the default, though its TSDoc says "a
 *   positive integer, or `Infinity` (`RangeError` otherwise)" and `null` is refused everywhere else (only `undefined`
 *   means "not given").
 * - `sharedCoordinator(sync, waitUntil?)` took anything: a `sync` that is no function (`5`, a coordinator object passed
 *   where its `sync` was meant) made a breaker whose every sync failed later (`storage:error`, the breaker local), the
 *   mistake said nowhere it was made. Now a RangeError naming `sharedCoordinator.sync` (or `.waitUntil`), at once.
 * - `outbox({ methods })` took any strings: `'POST '` (a trailing space), `''` or `'PO ST'` matched no call, so writes
 *   the app meant to queue failed instead, the option said nowhere to be wrong. Now each must be a method name (an HTTP
 *   token, as fetch takes a method): a RangeError naming `outbox.methods`.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import { breaker, sharedCoordinator } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { health } from '../../src/entries/health.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { auth } from '../../src/entries/auth.js';
import { coordinator as redisCoordinator } from '../../src/entries/redis.js';

const noop = () => undefined;

describe('the stale cache\'s bounds', () => {
	it.each([
		['maxStaleMs', 0],
		['maxBodyBytes', 0],
		['maxBodyBytes', 1.5],
		['maxBodyBytes', 1_048_576.5],
	])('staleCache({ %s: %s }) is a RangeError naming it, at the factory and at the preset\'s createClient', (name, value) => {
		// Before: both taken (a policy made, a client made).
		expect(() => staleCache({ [name]: value })).toThrow(RangeError);
		expect(() => staleCache({ [name]: value })).toThrow(`\`staleCache.${name}\` must be`);
		expect(() => createClient({ store: memoryStore, staleCache: { [name]: value } })).toThrow(`\`staleCache.${name}\` must be`);
	});

	it('the smallest values in range are taken: 1 ms, 1 byte; and any finite age', () => {
		expect(() => staleCache({ maxStaleMs: 1, maxBodyBytes: 1 })).not.toThrow();
		expect(() => staleCache({ maxStaleMs: 0.5, maxBodyBytes: 2 ** 40 })).not.toThrow();
		expect(() => staleCache({ maxStaleMs: 1e300 })).not.toThrow();
	});
});

describe('withContext(ctx, { subrequests })', () => {
	it.each([null, 0, -1, 1.5, Number.NaN, '5'])('%s is a RangeError naming `subrequests`', (value) => {
		const api = createCore({ store: memoryStore });
		// Before (null): a client of the default limit.
		expect(() => api.withContext({ waitUntil: noop }, { subrequests: value as number })).toThrow(RangeError);
		expect(() => api.withContext({ waitUntil: noop }, { subrequests: value as number })).toThrow('`subrequests` must be');
		api.close();
	});

	it('undefined is the default, Infinity and a positive integer are taken', () => {
		const api = createCore({ store: memoryStore });
		for (const subrequests of [undefined, Number.POSITIVE_INFINITY, 1, 1000]) {
			expect(typeof api.withContext({ waitUntil: noop }, { subrequests } as object)).toBe('function');
			expect(typeof api.withContext({ waitUntil: noop }, subrequests === undefined ? {} : { subrequests })).toBe('function');
		}

		api.close();
	});
});

describe('sharedCoordinator(sync, waitUntil?)', () => {
	// A coordinator's sync that never answers (none is asked here).
	const sync = () => new Promise<never>(noop);
	it.each([5, 'sync', null, undefined, {}])('a sync of %s is a RangeError naming it, at once', (wrong) => {
		// Before: a coordinator made (and a breaker over it), every sync failing later.
		expect(() => sharedCoordinator(wrong as never)).toThrow(RangeError);
		expect(() => sharedCoordinator(wrong as never)).toThrow('`sharedCoordinator.sync` must be a function');
	});

	it.each([5, 'waitUntil', null, {}])('a waitUntil of %s is a RangeError naming it', (waitUntil) => {
		expect(() => sharedCoordinator(sync, waitUntil as never)).toThrow('`sharedCoordinator.waitUntil` must be a function');
	});

	it('a function, with or without a waitUntil function, makes a coordinator a breaker takes', () => {
		for (const made of [sharedCoordinator(sync), sharedCoordinator(sync, noop)]) {
			expect(() => breaker({ shared: made })).not.toThrow();
		}
	});
});

describe('outbox({ methods })', () => {
	it.each([[['POST ']], [[' PUT']], [['']], [['PO ST']], [['POST', 'PATCH\n']]])('%j is a RangeError naming outbox.methods', (methods) => {
		// Before: an outbox made, which queued none of those writes.
		expect(() => outbox({ methods })).toThrow(RangeError);
		expect(() => outbox({ methods })).toThrow('`outbox.methods` must be an array of method names');
	});

	it('method names in any case are taken, and queue those writes', async () => {
		const fetch = (async () => {
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const api = createClient({ prefix: 'https://api.test/', fetch, store: memoryStore, name: 'h24-methods', retry: 0, breaker: false, outbox: outbox({ methods: ['post', 'Put', 'PURGE'] }) });
		const outcomes = [];
		for (const method of ['POST', 'PUT', 'PURGE', 'PATCH']) {
			outcomes.push(await api('todos/1', { method, json: { a: 1 } }).then(() => 'answered', (error: unknown) => classify(error).code));
		}

		expect(outcomes).toEqual(['QUEUED', 'QUEUED', 'QUEUED', 'NETWORK']);
		api.close();
	});
});

describe('every numeric option of every factory: out of range or of the wrong type is a RangeError naming it', () => {
	const inf = Number.POSITIVE_INFINITY;
	// Wrong for every number option: not a number, not finite, or no value (`null` is not "not given").
	const always = [Number.NaN, inf, -inf, '5', null, true, {}];
	const integer = [...always, -1, 0, 1.5];
	const timer = [...always, -1, 0, 3e9];
	const age = [...always, -1, 0];
	const byteBound = [...always, -1, 1.5];
	const factories: Record<string, [(options: object) => unknown, Record<string, unknown[]>]> = {
		breaker: [breaker, { consecutiveFailures: integer, minimumThroughput: integer, halfOpenProbes: integer, failureRatio: [...age, 1.5], windowMs: age, openMs: timer, maxOpenMs: timer, sharedTimeoutMs: timer, sharedCacheMs: [...age, 1001] }],
		staleCache: [staleCache, { maxStaleMs: age, networkTimeoutMs: timer, maxEntries: integer, maxBodyBytes: integer }],
		outbox: [outbox, { maxEntries: integer, maxAttempts: integer, version: integer, maxBodyBytes: byteBound, maxFileBytes: byteBound, retentionMs: age, maxBackoffMs: [...always, -1, 3e9], baseBackoffMs: [...always, -1, 3e9], maxNetworkBackoffMs: [...always, -1, 3e9], resumeJitterMs: [...always, -1, 3e9], networkTimeoutMs: timer }],
		bulkhead: [bulkhead, { maxConcurrent: integer, maxQueue: [...always, -1, 1.5] }],
		health: [health, { windowMs: age, threshold: [...age, 1.5] }],
		hedge: [hedge, { delayMs: timer, maxHedges: [...integer, 4] }],
		rateLimit: [rateLimit, { perSecond: age, burst: [...age, 0.5], maxResetMs: timer }],
		adaptiveThrottle: [adaptiveThrottle, { k: [...age, 0.5], windowMs: age, minRequests: [...always, -1, 1.5], maxRejectRatio: [...always, -1, 1.5] }],
		auth: [(options) => auth({ token: noop, refresh: noop, ...options }), { refreshTimeoutMs: timer }],
		coordinator: [(options) => redisCoordinator(async () => null, options), { ttlMs: [...age, 999] }],
		retryBudget: [(options) => createCore({ retryBudget: options }), { ratio: [...always, -1, 1.5], minRetries: [...always, -1, 1.5], windowMs: age }],
	};
	const cases = Object.entries(factories).flatMap(([factory, [make, options]]) => Object.entries(options).map(([name, values]) => [`${factory}.${name}`, make, name, values] as const));
	it.each(cases)('%s', (path, make, name, values) => {
		for (const value of values) {
			expect(() => make({ [name]: value }), `${path}: ${String(value)}`).toThrow(RangeError);
			expect(() => make({ [name]: value }), `${path}: ${String(value)}`).toThrow(`\`${path}\` must be`);
		}
	});

	it('storageTimeoutMs (the client\'s): a timer above 0', () => {
		for (const value of [...timer]) {
			expect(() => createCore({ storageTimeoutMs: value as number }), String(value)).toThrow('`storageTimeoutMs` must be');
		}
	});
});
