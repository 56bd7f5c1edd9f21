/**
 * Option values and bad input (defect hunt, twenty-fifth round): API.md "Option values" ("a value of the wrong type or
 * out of range … per call an `InvalidRequestError` before any I/O"; the windows "accept any positive finite value"),
 * "createClient" (the per-call options `staleCache`, `outbox`, `breaker`) and "Your own policies" ("A policy checks its
 * own per-call option before any I/O"). No timing: a fake `fetch` counts what went out, the clock is injected.
 *
 * - A per-call value of a built-in slot the client leaves empty was not checked: `breaker: 'off'` on a client with
 *   `breaker: false`, `staleCache: { networkTimeoutMs: -1 }` on one without the stale cache, `outbox: 5` on one without
 *   the outbox all went out (1 request each), though the same options on a client that fills the slot reject with
 *   `InvalidRequestError`. A call's options now mean the same whatever the client fills: checked as that policy checks
 *   them, a well-formed one then ignored (the policy is off).
 * - A window of a tiny positive finite length (`retryBudget: { windowMs: 1e-300 }`, API.md: windows take "any positive
 *   finite value") counted nothing: each time divided by the bucket's length overflowed to Infinity, no bucket held a
 *   count, and the retry budget allowed every retry (3 attempts where 2 were allowed). A window now counts in buckets of
 *   at least 0.1 ms: one under 1 ms is a 1 ms window (the retry budget, the breaker's ratio, health, the throttle).
 * - `name: ''` was taken, a namespace of its own (channels `steadfetch::breaker`, store names `/cache`). Now a
 *   RangeError naming `name`: a non-empty string.
 * - ky options ky reads by truthiness or compares: `throwHttpErrors: 'false'` was taken (an HTTPError for every 500), and
 *   `retry.statusCodes: [NaN]` (or `500.5`, `600`) matched no answer. Now a boolean or a function, and status codes
 *   from 100 to 599.
 * - A call's options were read twice (checked, then copied): a getter that throws on its second read made `api.get`
 *   throw synchronously. Now read once; the copy checked is the one the call uses.
 * - The client's own options given to a call (`identity`, `name`, `store`, `sensitiveParams`, …) were dropped without a
 *   word (a call "for bob" went out under the client's identity). Now an `InvalidRequestError` naming the option.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';

const prefix = 'https://api.test/';

/** A `fetch` that counts each request and answers `status`. */
const transport = (status = 200) => {
	const state = { sent: 0 };
	const fetch = (async () => {
		state.sent++;
		return Response.json({ ok: status < 400 }, { status });
	}) as typeof globalThis.fetch;
	return { state, fetch };
};

/** What a call ends with: its status, or its error's code and message. */
const outcome = (promise: Promise<Response>): Promise<string> =>
	promise.then((response) => `${response.status}`, (error: unknown) => `${classify(error).code}: ${(error as Error).message}`);

describe('a per-call value of a built-in slot the client leaves empty', () => {
	const bad: Array<[string, Record<string, unknown>, string]> = [
		['breaker', { breaker: 'off' }, '`breaker` must be false, or left out'],
		['breaker', { breaker: true }, '`breaker` must be false, or left out'],
		['staleCache', { staleCache: 'no' }, '`staleCache` must be false or { networkTimeoutMs }'],
		['staleCache', { staleCache: { networkTimeoutMs: -1 } }, '`staleCache.networkTimeoutMs` must be'],
		['staleCache', { staleCache: [] }, '`staleCache` must be false or { networkTimeoutMs }'],
		['outbox', { outbox: 5 }, '`outbox` must be true or false'],
		['outbox', { outbox: 'yes' }, '`outbox` must be true or false'],
		['bulkhead', { bulkhead: 0 }, '`bulkhead` must be false, or left out'],
		['auth', { auth: 'none' }, '`auth` must be false, or left out'],
	];

	it.each(bad)('%s: %j rejects with InvalidRequestError before any I/O, on the preset and on the core', async (_slot, options, said) => {
		const { state, fetch } = transport();
		const preset = createClient({ prefix, fetch, store: memoryStore, name: 'h25-empty', breaker: false, staleCache: false });
		const core = createCore({ prefix, fetch, store: memoryStore, name: 'h25-empty-core' });
		for (const api of [preset, core]) {
			// Before: 200, the request sent (1 each).
			expect(await outcome(api.get('todos', options))).toContain(`INVALID_REQUEST: ${said}`);
			expect(await outcome(api.post('todos', { ...options, json: {} }))).toContain('INVALID_REQUEST');
		}

		expect(state.sent).toBe(0);
		preset.close();
		core.close();
	});

	it('the same values reject on a client that fills the slot (the rule is the policy\'s own)', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-filled', outbox: outbox() });
		for (const [, options, said] of bad.slice(0, 7)) {
			expect(await outcome(api.get('todos', options))).toContain(`INVALID_REQUEST: ${said}`);
		}

		expect(state.sent).toBe(0);
		api.close();
	});

	it('a well-formed value is ignored: the policy is off', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-ignored', breaker: false, staleCache: false });
		const good = [{ breaker: false }, { staleCache: false }, { staleCache: { networkTimeoutMs: 50 } }, { staleCache: { networkTimeoutMs: false } }, { outbox: true }, { outbox: false }, { bulkhead: false }, { hedge: undefined }];
		for (const options of good) {
			expect(await outcome(api.get('todos', options as object))).toBe('200');
		}

		expect(state.sent).toBe(good.length);
		// Through extend() and a request context too.
		expect(await outcome(api.extend({ timeout: 1_000 }).get('todos', { outbox: 1 } as object))).toContain('INVALID_REQUEST: `outbox` must be true or false');
		expect(await outcome(api.withContext({ waitUntil: () => undefined }).get('todos', { breaker: 0 } as object))).toContain('INVALID_REQUEST: `breaker` must be false');
		expect(state.sent).toBe(good.length);
		api.close();
	});

	it('an app policy\'s key the client does not fill is an unknown option, handed to ky (which ignores it)', async () => {
		const { state, fetch } = transport();
		const api = createCore({ prefix, fetch, store: memoryStore, name: 'h25-app-slot' });
		expect(await outcome(api.get('todos', { audit: 'anything' } as object))).toBe('200');
		expect(state.sent).toBe(1);
		api.close();
	});
});

describe('a window of any positive finite length counts', () => {
	const now = 1_764_000_000_000;
	const clock = { now: () => now };

	it.each([1e-300, 1e-12, 0.5, 10_000])('retryBudget: { windowMs: %s } allows minRetries retries at one instant, not every retry', async (windowMs) => {
		const { state, fetch } = transport(503);
		const api = createClient({ prefix, fetch, store: memoryStore, name: `h25-window-${windowMs}`, clock, random: () => 0, breaker: false, staleCache: false, retry: { limit: 2 }, retryBudget: { windowMs, minRetries: 1, ratio: 0 } });
		const exhausted: unknown[] = [];
		api.on('budget:exhausted', (event) => exhausted.push(event));
		expect(await outcome(api.get('todos'))).toContain('HTTP_5XX');
		// Before (1e-300, 1e-12): 3 attempts, none told; the first retry spends the budget of the instant.
		expect(state.sent).toBe(2);
		expect(exhausted).toHaveLength(1);
		api.close();
	});

	it.each([1e-300, 1e-12])('breaker({ windowMs: %s }): failures at one instant open it by their ratio', async (windowMs) => {
		const { state, fetch } = transport(503);
		const api = createCore({ prefix, fetch, store: memoryStore, name: `h25-breaker-window-${windowMs}`, clock, random: () => 0, retry: 0, breaker: breaker({ windowMs, failureRatio: 0.5, minimumThroughput: 3, consecutiveFailures: 100 }) });
		for (let index = 0; index < 4; index++) {
			await outcome(api.get('todos'));
		}

		// Before: every call sent (4), the breaker closed.
		expect(api.breaker(prefix).state).toBe('open');
		expect(state.sent).toBe(3);
		api.close();
	});

	it('a huge window is taken too, and counts', async () => {
		const { state, fetch } = transport(503);
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-window-huge', clock, random: () => 0, breaker: false, staleCache: false, retry: { limit: 2 }, retryBudget: { windowMs: Number.MAX_VALUE, minRetries: 1, ratio: 0 } });
		await outcome(api.get('todos'));
		expect(state.sent).toBe(2);
		api.close();
	});
});

describe('name', () => {
	it('\'\' is a RangeError naming it, at createClient, the core\'s and extend()', () => {
		// Before: a client made, of a namespace of its own.
		expect(() => createClient({ name: '', store: memoryStore })).toThrow(RangeError);
		expect(() => createClient({ name: '', store: memoryStore })).toThrow('`name` must be a non-empty string');
		expect(() => createCore({ name: '' })).toThrow('`name` must be a non-empty string');
		const api = createCore({ name: 'h25-name', store: memoryStore });
		expect(() => api.extend({ name: '' })).toThrow('`name` must be a non-empty string');
		api.close();
	});

	it('any other string of whole characters is taken', () => {
		for (const name of [' ', 'a', 'app:v2/eu', 'ünïcødé 🙂']) {
			createCore({ name, store: memoryStore }).close();
		}
	});
});

describe('ky options of the wrong type that ky reads by truthiness or never matches', () => {
	it.each(['false', 0, 1, null, {}])('throwHttpErrors: %j is a RangeError at createClient and an InvalidRequestError per call, no I/O', async (value) => {
		const { state, fetch } = transport(500);
		// Before: a client made; per call ky read 'false' as true (an HTTPError for a 500), 0 as false (the 500 resolved).
		expect(() => createCore({ prefix, fetch, throwHttpErrors: value as never })).toThrow('`throwHttpErrors` must be a boolean or a function');
		const api = createCore({ prefix, fetch, store: memoryStore, name: 'h25-throw', retry: 0 });
		expect(await outcome(api.get('todos', { throwHttpErrors: value as never }))).toContain('INVALID_REQUEST: `throwHttpErrors` must be a boolean or a function');
		expect(state.sent).toBe(0);
		api.close();
	});

	it('a policy given as throwHttpErrors is refused as that option (as `timeout: breaker()` is)', () => {
		expect(() => createCore({ throwHttpErrors: breaker() } as never)).toThrow('`throwHttpErrors` must be a boolean or a function; got object');
	});

	it('throwHttpErrors: a boolean or a function is ky\'s', async () => {
		const { fetch } = transport(500);
		const api = createCore({ prefix, fetch, store: memoryStore, name: 'h25-throw-ok', retry: 0 });
		expect(await outcome(api.get('todos', { throwHttpErrors: false }))).toBe('500');
		expect(await outcome(api.get('todos', { throwHttpErrors: (status) => status !== 500 }))).toBe('500');
		expect(await outcome(api.get('todos', { throwHttpErrors: true }))).toContain('HTTP_5XX');
		api.close();
	});

	it.each([[[Number.NaN]], [[500.5]], [[-1]], [[99]], [[600]], [[Number.POSITIVE_INFINITY]]])('retry.statusCodes and afterStatusCodes: %j is refused (no status is one), at createClient and per call', async (codes) => {
		const { state, fetch } = transport(503);
		// Before: taken, and no answer ever matched (a 503 never retried under statusCodes: [NaN, …] as written).
		expect(() => createCore({ prefix, fetch, retry: { statusCodes: codes } })).toThrow('`retry.statusCodes` must be an array of HTTP status codes');
		expect(() => createCore({ prefix, fetch, retry: { afterStatusCodes: codes } })).toThrow('`retry.afterStatusCodes` must be an array of HTTP status codes');
		const api = createCore({ prefix, fetch, store: memoryStore, name: 'h25-codes' });
		expect(await outcome(api.get('todos', { retry: { statusCodes: [503, ...codes] } }))).toContain('INVALID_REQUEST: `retry.statusCodes` must be');
		expect(state.sent).toBe(0);
		api.close();
	});

	it('status codes from 100 to 599 are taken', () => {
		createCore({ retry: { statusCodes: [100, 408, 599], afterStatusCodes: [429] } }).close();
		createCore({ retry: { statusCodes: [] } }).close();
	});
});

describe('a call\'s options are read once: the values checked are the ones the call uses', () => {
	it('a getter that throws when read a second time: no synchronous throw, the call goes out with the value read', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-getter' });
		let reads = 0;
		const options = {
			get timeout() {
				if (reads++ > 0) {
					throw new Error('read twice');
				}

				return 1_000;
			},
		};
		// Before: api.get threw `read twice` synchronously (the options checked, then copied: two reads).
		let made: Promise<string> | undefined;
		expect(() => {
			made = outcome(api.get('todos', options));
		}).not.toThrow();
		expect(await made).toBe('200');
		expect(reads).toBe(1);
		expect(state.sent).toBe(1);
		api.close();
	});

	it('a getter that gives another value when read again (a header fetch refuses): the call uses the one it checked, read once', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-flip' });
		let reads = 0;
		const options = {
			get headers() {
				return reads++ > 0 ? { 'x-a': 'b\nc' } : { 'x-a': 'b' };
			},
		};
		expect(await outcome(api.get('todos', options))).toBe('200');
		expect(reads).toBe(1);
		expect(state.sent).toBe(1);
		api.close();
	});

	it('an options object whose keys cannot be listed (a Proxy that throws) rejects with InvalidRequestError, never a throw', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-proxy' });
		const options = new Proxy({}, {
			ownKeys() {
				throw new Error('no keys');
			},
		});
		expect(await outcome(api.post('todos', options))).toBe('INVALID_REQUEST: no keys');
		expect(state.sent).toBe(0);
		api.close();
	});
});

describe('the client\'s own options given to a call', () => {
	it.each([
		['identity', () => 'bob'],
		['sensitiveParams', ['sig']],
		['sensitiveHeaders', ['x-api-key']],
		['retryBudget', false],
		['name', 'other'],
		['store', memoryStore],
		['clock', { now: () => 0 }],
		['random', () => 0],
		['storageTimeoutMs', 100],
		['deadlineHeader', 'request-timeout-ms'],
	])('%s is an InvalidRequestError naming it, before any I/O (never read per call)', async (key, value) => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-client-only' });
		// Before: 200, the option ignored (a call "for bob" went out under the client's identity, its copy stored as the client's).
		expect(await outcome(api.get('todos', { [key]: value } as object))).toContain(`INVALID_REQUEST: \`${key}\` must be given to createClient() or extend(), not to a call`);
		expect(state.sent).toBe(0);
		api.close();
	});

	it('undefined is not given; fallback is a call\'s option too', async () => {
		const { state, fetch } = transport();
		const api = createClient({ prefix, fetch, store: memoryStore, name: 'h25-client-only-ok' });
		expect(await outcome(api.get('todos', { identity: undefined, name: undefined, fallback: { a: 1 } } as object))).toBe('200');
		expect(state.sent).toBe(1);
		api.close();
	});
});
