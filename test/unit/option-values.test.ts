/**
 * API.md "Option values": `undefined` means "not given" for every option of the client, a call and
 * every factory; every duration option is at most 2 147 483 647 ms (a RangeError naming it at
 * creation, an InvalidRequestError per call, before any I/O); an option key named as an
 * `Object.prototype` member is an ordinary unknown key, never a crash.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { staleCache } from '../../src/entries/cache.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { health } from '../../src/entries/health.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { logger } from '../../src/entries/logger.js';
import { trace } from '../../src/entries/trace.js';
import { auth } from '../../src/entries/auth.js';
import { failover } from '../../src/entries/failover.js';
import { coordinator as redisCoordinator } from '../../src/entries/redis.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let server: RunningServer;
let hits = 0;
beforeAll(async () => {
	server = await serve(async (request) => {
		hits++;
		return new Response(JSON.stringify({ ok: true, method: request.method }), { headers: { 'content-type': 'application/json' } });
	});
});
afterAll(async () => server.close());

const undefinedOf = (keys: string): Record<string, undefined> => Object.fromEntries(keys.split(' ').map((key) => [key, undefined]));
const noop = () => undefined;

describe('an option given as undefined is not given: its default applies', () => {
	const factories: Array<[string, () => unknown]> = [
		['outbox', () => outbox(undefinedOf('methods maxEntries maxBodyBytes retentionMs maxAttempts maxBackoffMs baseBackoffMs networkTimeoutMs queuedResponse sensitiveHeaders conditional coalesce version onConflict migrate resumeJitterMs'))],
		['breaker', () => breaker(undefinedOf('consecutiveFailures failureRatio windowMs minimumThroughput openMs maxOpenMs halfOpenProbes probe shared sharedCacheMs sharedTimeoutMs scope isFailure share'))],
		['staleCache', () => staleCache(undefinedOf('maxStaleMs networkTimeoutMs maxEntries maxBodyBytes shared sensitiveHeaders'))],
		['bulkhead', () => bulkhead(undefinedOf('maxConcurrent maxQueue'))],
		['health', () => health(undefinedOf('windowMs threshold'))],
		['hedge', () => hedge(undefinedOf('delayMs maxHedges'))],
		['rateLimit', () => rateLimit(undefinedOf('perSecond burst fromHeaders maxResetMs share'))],
		['adaptiveThrottle', () => adaptiveThrottle(undefinedOf('k windowMs minRequests maxRejectRatio shared'))],
		['logger', () => logger(console, undefinedOf('level'))],
		['trace', () => trace(undefinedOf('requestIdHeader propagateTo'))],
		['auth', () => auth({ token: noop, refresh: noop, ...undefinedOf('scheme origins refreshTimeoutMs') })],
		['failover', () => failover({ mirrors: { 'https://a.example': ['https://b.example'] }, ...undefinedOf('replays') })],
	];
	it.each(factories)('%s(every option undefined) does not throw', (_, make) => {
		expect(make).not.toThrow();
	});

	it('a client with every option of its own and of each policy undefined answers, with the defaults', async () => {
		const api = createCore({
			prefix: `${server.url}/`,
			store: memoryStore,
			...undefinedOf('totalTimeout retryBudget identity sensitiveParams sensitiveHeaders fallback storageTimeoutMs deadlineHeader name clock random timeout retry hooks throwHttpErrors fetch parseJson stringifyJson'),
			outbox: outbox(undefinedOf('methods maxEntries maxBodyBytes networkTimeoutMs queuedResponse resumeJitterMs maxBackoffMs baseBackoffMs')),
			breaker: breaker(undefinedOf('openMs maxOpenMs consecutiveFailures')),
			staleCache: staleCache(undefinedOf('networkTimeoutMs maxStaleMs')),
		});
		expect(await api.post('w', { json: { a: 1 }, ...undefinedOf('timeout totalTimeout retry idempotencyKey staleCache waitUntil') }).json()).toEqual({ ok: true, method: 'POST' });
		expect(await api.get('r', { staleCache: undefinedOf('networkTimeoutMs') }).json()).toEqual({ ok: true, method: 'GET' });
		expect(api.outbox).toBeDefined();
		api.close();
	});

	// An origin that never answers (until the attempt is given up), and one that always answers 503.
	const hanging = ((request: Request) => new Promise<Response>((_resolve, reject) => {
		request.signal.addEventListener('abort', () => reject(request.signal.reason as Error));
	})) as typeof fetch;
	const outcome = async (promise: Promise<unknown>) => Promise.race([
		promise.then(() => 'answered', (error: unknown) => classify(error).code),
		// A guard only: a bounded call settles long before it.
		new Promise((resolve) => setTimeout(resolve, 3_000, 'unbounded')),
	]);

	it('ky options whose default steadfetch sets (totalTimeout, retry) keep it when given as undefined, at createClient and per call: never ky\'s "removed" (an unbounded call, retries without steadfetch\'s rules)', async () => {
		// Per call: the client's totalTimeout still bounds the call.
		const bounded = createCore({ fetch: hanging, totalTimeout: 150, timeout: false, retry: 0 });
		expect(await outcome(bounded.get('https://api.test/a', { totalTimeout: undefined } as never))).toBe('TIMEOUT');
		expect(await outcome(bounded.get('https://api.test/a', { totalTimeout: undefined, timeout: undefined, retry: undefined } as never))).toBe('TIMEOUT');
		// Per call: the client's retry rules (its limit, no delay here) still decide.
		let attempts = 0;
		const counting = (async () => {
			attempts++;
			return new Response('down', { status: 503 });
		}) as typeof fetch;
		for (const make of [(retry: object) => createCore({ fetch: counting, retry }), (retry: object) => createClient({ fetch: counting, store: memoryStore, breaker: false, retryBudget: false, retry })]) {
			attempts = 0;
			const api = make({ limit: 3, delay: () => 0 });
			expect(await outcome(api.get('https://api.test/b', { retry: undefined } as never))).toBe('HTTP_5XX');
			expect(attempts).toBe(4);
			api.close();
		}
	});

	it('createClient({ totalTimeout: undefined }) bounds every call by the default 20 000 ms', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const api = createCore({ fetch: hanging, totalTimeout: undefined, timeout: false, retry: 0 } as never);
			const settled = api.get('https://api.test/c').then(() => 'answered', (error: unknown) => classify(error).code);
			await vi.advanceTimersByTimeAsync(20_001);
			expect(await Promise.race([settled, Promise.resolve('unbounded')])).toBe('TIMEOUT');
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('every timer option is at most 2 147 483 647 ms', () => {
	const tooLong = 3e9;
	it.each([
		['timeout', () => createClient({ timeout: tooLong })],
		['totalTimeout', () => createClient({ totalTimeout: tooLong })],
		['storageTimeoutMs', () => createClient({ storageTimeoutMs: tooLong })],
		['staleCache.networkTimeoutMs', () => createClient({ staleCache: { networkTimeoutMs: tooLong } })],
		['outbox.networkTimeoutMs', () => outbox({ networkTimeoutMs: tooLong })],
		['outbox.resumeJitterMs', () => outbox({ resumeJitterMs: tooLong })],
		['outbox.baseBackoffMs', () => outbox({ baseBackoffMs: tooLong })],
		['outbox.maxBackoffMs', () => outbox({ maxBackoffMs: tooLong })],
		['breaker.openMs', () => breaker({ openMs: tooLong, maxOpenMs: 2 * tooLong })],
		['breaker.maxOpenMs', () => breaker({ maxOpenMs: tooLong })],
		['hedge.delayMs', () => hedge({ delayMs: tooLong })],
		['rateLimit.maxResetMs', () => rateLimit({ maxResetMs: tooLong })],
		['auth.refreshTimeoutMs', () => auth({ token: noop, refresh: noop, refreshTimeoutMs: tooLong })],
	] as Array<[string, () => unknown]>)('%s: a RangeError naming it at creation', (name, make) => {
		expect(make).toThrow(RangeError);
		expect(make).toThrow(`\`${name}\` must be`);
		expect(make).toThrow('2147483647');
	});

	it('2 147 483 647 itself is accepted; windows and ages take any finite value', () => {
		expect(() => createClient({ timeout: 2_147_483_647, totalTimeout: 2_147_483_647 })).not.toThrow();
		expect(() => breaker({ windowMs: 1e12 })).not.toThrow();
		expect(() => staleCache({ maxStaleMs: 1e12 })).not.toThrow();
		expect(() => outbox({ retentionMs: 1e12 })).not.toThrow();
		expect(() => adaptiveThrottle({ windowMs: 1e12 })).not.toThrow();
		expect(() => health({ windowMs: 1e12 })).not.toThrow();
	});

	it.each([['timeout'], ['totalTimeout']])('per call, %s: 3e9 is an InvalidRequestError naming it, no I/O', async (name) => {
		const api = createClient({ prefix: `${server.url}/`, store: memoryStore });
		const before = hits;
		const error = await api.get('x', { [name]: tooLong }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect((error as Error).message).toContain(`\`${name}\``);
		expect(hits).toBe(before);
		api.close();
	});

	it('per call, staleCache.networkTimeoutMs: 3e9 is an InvalidRequestError', async () => {
		const api = createClient({ prefix: `${server.url}/`, store: memoryStore });
		await expect(api.get('x', { staleCache: { networkTimeoutMs: tooLong } })).rejects.toThrow(InvalidRequestError);
		api.close();
	});
});

describe('a value of the wrong type is a RangeError naming the option where it is given, never a failure of every call later', () => {
	// Options read later (at each call, by each policy, or by ky at each request): found at creation.
	const wrong: Array<[string, Record<string, unknown>]> = [
		['clock', { clock: 5 }], ['clock', { clock: {} }], ['clock', { clock: null }],
		['identity', { identity: 'alice' }], ['random', { random: 0.5 }], ['store', { store: {} }],
		['name', { name: 5 }], ['name', { name: Symbol('n') }],
		['retry.statusCodes', { retry: { statusCodes: 'x' } }], ['retry.afterStatusCodes', { retry: { afterStatusCodes: [413, '429'] } }],
		['retry.jitter', { retry: { jitter: 'x' } }], ['retry.retryOnTimeout', { retry: { retryOnTimeout: 'yes' } }],
		['retry.backoffLimit', { retry: { backoffLimit: -1 } }], ['retry.maxRetryAfter', { retry: { maxRetryAfter: Number.NaN } }],
		// ky's functions it calls only for a body: every write with one failed later ("own is not a function").
		['stringifyJson', { stringifyJson: 5 }], ['onUploadProgress', { onUploadProgress: 'x' }],
		// `hooks` as a list (its hooks never ran) or null (a raw "Cannot convert undefined or null to object", naming nothing).
		['hooks', { hooks: [() => undefined] }], ['hooks', { hooks: null }], ['hooks', { hooks: 5 }], ['retry', { retry: [3] }],
	];
	it.each(wrong)('%s (%o): createClient and the core throw; per call (ky\'s options) an InvalidRequestError naming it, no I/O', async (name, options) => {
		for (const make of [() => createClient({ store: memoryStore, ...options }), () => createCore(options)]) {
			expect(make).toThrow(RangeError);
			expect(make).toThrow(`\`${name}\` must be`);
		}

		if (name.startsWith('retry') || name === 'stringifyJson' || name === 'onUploadProgress' || name === 'hooks') {
			const api = createClient({ prefix: `${server.url}/`, store: memoryStore });
			const before = hits;
			const error = await api.put('x', { json: { a: 1 }, ...options }).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect((error as Error).message).toContain(`\`${name}\``);
			expect(hits).toBe(before);
			api.close();
		}
	});

	it('the right types are taken: a clock, identity, random, store, name; retry options ky documents (Infinity is ky\'s "no bound")', async () => {
		const api = createClient({
			prefix: `${server.url}/`, store: memoryStore, name: 'types', clock: { now: Date.now }, identity: () => 'alice', random: Math.random,
			retry: { statusCodes: [503], afterStatusCodes: [429], jitter: (delay: number) => delay / 2, retryOnTimeout: false, backoffLimit: Number.POSITIVE_INFINITY, maxRetryAfter: 0 },
		});
		expect(await api.get('x').json()).toEqual({ ok: true, method: 'GET' });
		api.close();
		expect(() => createClient({ store: memoryStore, retry: { jitter: false } }).close()).not.toThrow();
	});

	it('breaker: sharedCacheMs and sharedTimeoutMs are checked without `shared` too; `share` is a boolean; `shared: null` is a RangeError naming it', () => {
		expect(() => breaker({ sharedTimeoutMs: 3e9 })).toThrow('`breaker.sharedTimeoutMs` must be');
		expect(() => breaker({ sharedTimeoutMs: -1 })).toThrow(RangeError);
		expect(() => breaker({ sharedCacheMs: 5_000 })).toThrow('`breaker.sharedCacheMs` must be');
		expect(() => breaker({ sharedCacheMs: Number.NaN })).toThrow(RangeError);
		expect(() => breaker({ share: 'no' as never })).toThrow('`breaker.share` must be a boolean');
		expect(() => breaker({ shared: null as never })).toThrow('`breaker.shared` must be a coordinator');
		expect(() => breaker({ sharedCacheMs: 1_000, sharedTimeoutMs: 2_147_483_647, share: false })).not.toThrow();
	});
});

describe('an option key named as an Object.prototype member is an ordinary unknown key', () => {
	const keys = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
	it.each(keys)('createClient({ %s: 1 }) makes a client that answers', async (key) => {
		const api = createClient({ prefix: `${server.url}/`, store: memoryStore, [key]: 1 });
		expect(await api.get('x').json()).toEqual({ ok: true, method: 'GET' });
		api.close();
	});

	it.each(keys)('a call with { %s: 1 } answers', async (key) => {
		const api = createClient({ prefix: `${server.url}/`, store: memoryStore });
		expect(await api.get('x', { [key]: 1 } as object).json()).toEqual({ ok: true, method: 'GET' });
		api.close();
	});

	it('a JSON-parsed { "__proto__": {…} } as client, call, nested and extend() options', async () => {
		const parsed = JSON.parse('{"__proto__": {"prefix": "https://evil.example/", "timeout": 1}, "constructor": {"x": 1}}') as Record<string, unknown>;
		const api = createClient({ ...parsed, prefix: `${server.url}/`, store: memoryStore });
		expect(await api.get('x').json()).toEqual({ ok: true, method: 'GET' });
		expect(await api.get('x', parsed).json()).toEqual({ ok: true, method: 'GET' });
		expect(await api.get('x', { retry: JSON.parse('{"__proto__": {"limit": 5}, "toString": 1}') as object }).json()).toEqual({ ok: true, method: 'GET' });
		expect(await api.get('x', { staleCache: JSON.parse('{"__proto__": {"networkTimeoutMs": 1}, "valueOf": 1}') as object }).json()).toEqual({ ok: true, method: 'GET' });
		const extended = api.extend(JSON.parse('{"__proto__": {"prefix": "https://evil.example/"}, "hasOwnProperty": 1}') as object);
		expect(await extended.get('x').json()).toEqual({ ok: true, method: 'GET' });
		expect(() => createClient({ prefix: `${server.url}/`, staleCache: JSON.parse('{"__proto__": {"maxEntries": -1}, "constructor": 1}') as object })).not.toThrow();
		expect(() => createClient({ retryBudget: JSON.parse('{"__proto__": {"ratio": 1}, "toString": 1}') as object })).not.toThrow();
		expect(() => outbox(JSON.parse('{"__proto__": {"maxEntries": 1}, "constructor": 1}') as object)).not.toThrow();
		api.close();
		extended.close();
	});
});

describe('options given as null', () => {
	it('outbox(null) takes the defaults, as before undefined meant the default', () => {
		expect(() => outbox(null as unknown as undefined)).not.toThrow();
	});

	it('adaptiveThrottle(null) takes the defaults too (it threw "Cannot read properties of null")', () => {
		expect(() => createClient({ adaptiveThrottle: adaptiveThrottle(null as unknown as undefined) })).not.toThrow();
	});

	it('every factory: null takes its defaults; a number, a string or an array is a TypeError naming the factory (null threw a raw TypeError, the others were read as no options)', () => {
		const factories: Record<string, (options: never) => unknown> = {
			breaker, staleCache, outbox, bulkhead, rateLimit, hedge, health, trace, adaptiveThrottle,
			logger: (options) => logger(console, options as never),
			redis: (options) => redisCoordinator(async () => null, options as never),
		};
		for (const [name, make] of Object.entries(factories)) {
			expect([name, typeof make(null as never)]).toEqual([name, 'object']);
			for (const value of [5, 'x', [], true]) {
				const factory = name === 'redis' ? 'coordinator' : name;
				expect(() => make(value as never), `${name}(${JSON.stringify(value)})`).toThrow(new TypeError(`\`${factory}()\` takes an options object; got ${JSON.stringify(value)}`));
			}
		}

		// Those with options they need say so by name, for null as for a number.
		for (const [make, option] of [[failover, 'failover.mirrors'], [auth, 'auth.token']] as const) {
			expect(() => make(null as never)).toThrow(new RegExp(`\`${option.replace('.', '\\.')}\` must be`));
			expect(() => make(5 as never)).toThrow(TypeError);
		}
	});
});
