/**
 * Defect hunt, fortieth round (bad input refused before any I/O). API.md "Errors": a wrong client option is a `TypeError`
 * or `RangeError` at `createClient`, `extend()` and a policy's factory; a wrong per-call value rejects the call with
 * `InvalidRequestError`, never a throw from the client's method; "Builds per runtime": the same in every build. Each build's
 * src/ is loaded (edge-body-kit's `loadBuild`) against a `fetch` that answers 200 without I/O and counts the calls that went
 * out. The same cases in real workerd: test/workerd/input-hunt40.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBuild, outcomeIn as outcome, type Build } from './edge-body-kit.js';
import * as core from '../../src/entries/core.js';
import * as preset from '../../src/entries/index.js';
import * as breakerEntry from '../../src/entries/breaker.js';
import * as bulkheadEntry from '../../src/entries/bulkhead.js';
import * as rateLimitEntry from '../../src/entries/rate-limit.js';
import * as throttleEntry from '../../src/entries/throttle.js';
import * as hedgeEntry from '../../src/entries/hedge.js';
import * as traceEntry from '../../src/entries/trace.js';
import * as healthEntry from '../../src/entries/health.js';
import * as authEntry from '../../src/entries/auth.js';

const builds: Build[] = ['node', 'browser', 'edge'];
let made = 0;

afterEach(() => {
	vi.restoreAllMocks();
});

/** What `make` throws: its class and message, or 'made'. */
const thrown = (make: () => unknown): string => {
	try {
		make();
		return 'made';
	} catch (error) {
		return `${(error as Error).constructor.name} ${(error as Error).message}`;
	}
};

// A Number, String or Boolean object: `typeof` says 'object', so an option that takes an object read it as options of no keys.
const boxes: Array<[string, unknown]> = [['new Number(5)', Object(5)], ['new Boolean(false)', Object(false)], ['new String("x")', Object('x')], ['Object(5n)', Object(5n)]];

describe('a boxed Number, String or Boolean where an options object (or a number) goes: refused, never read as no options', () => {
	it.each(boxes)('retry: %s at createClient, extend() and per call, in every build', async (_, retry) => {
		for (const build of builds) {
			const { createClient } = await loadBuild(build);
			// Before: made (ky's default limit, 2 retries, whatever was meant).
			expect(thrown(() => createClient({ retry } as never).close())).toBe('RangeError `retry` must be a number or an object; got object');
			const api = createClient({ name: `h40-input-${++made}` });
			expect(thrown(() => api.extend({ retry } as never))).toBe('RangeError `retry` must be a number or an object; got object');
			api.close();
			// Before: '200; fetch 1'.
			expect(await outcome(build, (api, url) => api.get(url, { retry }))).toBe('InvalidRequestError INVALID_REQUEST `retry` must be a number or an object; got object; fetch 0');
		}
	});

	it.each(boxes)('hooks and searchParams: %s, at createClient and per call', async (_, value) => {
		const { createClient } = await loadBuild('node');
		expect(thrown(() => createClient({ hooks: value } as never).close())).toBe('RangeError `hooks` must be an object; got object');
		expect(await outcome('node', (api, url) => api.get(url, { hooks: value }))).toBe('InvalidRequestError INVALID_REQUEST `hooks` must be an object; got object; fetch 0');
		// A String object is refused already (as a list of one-character pairs); a Number's or a Boolean's was no query, silently.
		expect(await outcome('node', (api, url) => api.get(url, { searchParams: value }))).toMatch(/^InvalidRequestError INVALID_REQUEST `searchParams` must be a query .*; got object; fetch 0$/);
	});

	it.each(boxes)('a call\'s options given as %s: InvalidRequestError, in every build (ky reads them as none)', async (_, value) => {
		for (const build of builds) {
			expect(await outcome(build, (api, url) => api.get(url, value))).toBe('InvalidRequestError INVALID_REQUEST `options` must be an object; got object; fetch 0');
		}
	});

	it.each(boxes)('createClient(%s): a TypeError, as for any options that are no object', async (_, value) => {
		for (const createClient of [preset.createClient, core.createClient] as Array<(options?: object) => any>) {
			expect(thrown(() => createClient(value as never).close())).toBe('TypeError The `options` argument must be an object');
			const api = createClient({ name: `h40-input-${++made}` });
			expect(thrown(() => api.extend(value as never))).toBe('TypeError The `options` argument must be an object');
			expect(thrown(() => api.extend(() => value as never))).toBe('TypeError The `options` argument must be an object');
			api.close();
		}
	});

	it('the preset\'s `breaker`, `staleCache` and `retryBudget`: new Boolean(false) is no `false` (it turned each on, with its defaults)', async () => {
		const { createClient } = await loadBuild('node');
		for (const slot of ['breaker', 'staleCache']) {
			expect(thrown(() => createClient({ [slot]: Object(false) } as never).close())).toMatch(new RegExp(`^RangeError \`${slot}\` must be its options .*; got object$`));
		}

		expect(thrown(() => createClient({ retryBudget: Object(false) } as never).close())).toBe('RangeError `retryBudget` must be { ratio, minRetries, windowMs }, true or false; got object');
	});

	it.each(boxes)('per call `staleCache: %s`, with the stale cache and on a client without it', async (_, value) => {
		for (const build of builds) {
			for (const staleCache of [undefined, false]) {
				// Before: '200; fetch 1' (a new Boolean(false) left the stale cache on for the call).
				expect(await outcome(build, (api, url) => api.get(url, { staleCache: value }), { staleCache })).toBe('InvalidRequestError INVALID_REQUEST `staleCache` must be false or { networkTimeoutMs } (per call), or left out; got object; fetch 0');
			}
		}
	});

	it('each policy factory given a boxed value as its options: a TypeError naming it', async () => {
		const factories: Array<[string, (options: never) => unknown]> = [['breaker', breakerEntry.breaker], ['staleCache', preset.staleCache], ['outbox', preset.outbox],
			['bulkhead', bulkheadEntry.bulkhead], ['rateLimit', rateLimitEntry.rateLimit], ['adaptiveThrottle', throttleEntry.adaptiveThrottle],
			['hedge', hedgeEntry.hedge], ['trace', traceEntry.trace as never], ['health', healthEntry.health], ['auth', authEntry.auth]];
		for (const [name, factory] of factories) {
			for (const [, value] of boxes) {
				// Before (breaker, staleCache, outbox, bulkhead, …): made, with every default.
				expect(`${name}: ${thrown(() => factory(value as never))}`).toBe(`${name}: TypeError \`${name}()\` takes an options object; got object`);
			}
		}
	});

	it('waitForHealthy(url, new Number(5)): InvalidRequestError, with and without the breaker', async () => {
		for (const breaker of [undefined, false]) {
			const { createClient } = await loadBuild('node');
			const api = createClient({ name: `h40-input-${++made}`, breaker } as never);
			const error = await api.waitForHealthy('http://api.test/', Object(5)).then(() => 'resolved', (error: Error) => `${error.name} ${error.message}`);
			expect(error).toBe('InvalidRequestError `waitForHealthy` takes { timeoutMs } as options; got object');
			api.close();
		}
	});

	it('a boxed value where a number, string or boolean goes is refused as before (a guard)', async () => {
		const { createClient } = await loadBuild('node');
		expect(thrown(() => createClient({ timeout: Object(5) } as never))).toMatch(/^RangeError `timeout` must be/);
		expect(thrown(() => createClient({ totalTimeout: Object(5) } as never))).toMatch(/^RangeError `totalTimeout` must be/);
		expect(thrown(() => createClient({ throwHttpErrors: Object(false) } as never))).toMatch(/^RangeError `throwHttpErrors` must be/);
		expect(thrown(() => createClient({ retry: { limit: Object(1) } } as never))).toMatch(/^RangeError `retry.limit` must be/);
		expect(await outcome('node', (api, url) => api.get(url, { timeout: Object(5) }))).toMatch(/^InvalidRequestError INVALID_REQUEST `timeout` must be .*; fetch 0$/);
		expect(await outcome('node', (api, url) => api.post(url, { idempotencyKey: Object('k') }))).toMatch(/^InvalidRequestError INVALID_REQUEST `idempotencyKey` must be .*; fetch 0$/);
		expect(await outcome('node', (api, url) => api.get(url, { breaker: Object(false) }))).toMatch(/^InvalidRequestError INVALID_REQUEST `breaker` must be false, or left out; got object; fetch 0$/);
		const { breaker } = await import('../../src/entries/breaker.js');
		expect(thrown(() => breaker({ consecutiveFailures: Object(5) } as never))).toMatch(/^RangeError `breaker.consecutiveFailures` must be/);
	});
});

describe('a value of fetch\'s RequestInit enumerations it does not list: refused in every build, in the same words', () => {
	// workerd takes any `mode`, `credentials`, `priority` or `referrerPolicy` (test/workerd/input-hunt40.test.ts); Node's and
	// browsers' `fetch` refuse, each in its own words. Now the same words everywhere (undici's), naming the option.
	const given: Array<[string, unknown, string]> = [['credentials', 'bogus', 'omit, same-origin, include'], ['mode', 'navigate', 'same-origin, no-cors, cors'],
		['priority', 'urgent', 'high, low, auto'], ['referrerPolicy', 'nobody', ', no-referrer, no-referrer-when-downgrade, same-origin, origin, strict-origin, origin-when-cross-origin, strict-origin-when-cross-origin, unsafe-url'],
		['redirect', 'sometimes', 'follow, manual, error'], ['credentials', null, 'omit, same-origin, include']];
	const said = (name: string, value: unknown, listed: string): string => `\`${name}\` is refused by fetch: ${String(value)} is not an accepted type. Expected one of ${listed}.`;

	it.each(given)('%s: %j per call, from an extend() child, a wrapper\'s next(extra) and an `init` hook, in every build', async (name, value, listed) => {
		const refused = `InvalidRequestError INVALID_REQUEST Invalid request: ${said(name, value, listed)}; fetch 0`;
		const wrapping = { slot: 'h40wrap', create: () => ({ wrap: (_call: unknown, next: (extra: object) => Promise<Response>) => next({ [name]: value }) }) };
		const byHook = { hooks: { init: [(options: Record<string, unknown>) => { options[name] = value; }] } };
		for (const build of builds) {
			expect(await outcome(build, (api, url) => api.post(url, { [name]: value }))).toBe(refused);
			expect(await outcome(build, (api, url) => api.extend({}).get(url, { [name]: value }))).toBe(refused);
			expect(await outcome(build, (api, url) => api.get(url), { h40wrap: wrapping })).toBe(refused);
			// Before, in Node's build: "Invalid request: undefined: bogus is not an accepted type. …" (no option named).
			expect(await outcome(build, (api, url) => api.get(url, byHook))).toBe(refused);
		}
	});

	it.each(given)('%s: %j at createClient and extend(), in every build', async (name, value, listed) => {
		for (const build of builds) {
			const { createClient } = await loadBuild(build);
			expect(thrown(() => createClient({ [name]: value } as never).close())).toBe(`TypeError ${said(name, value, listed)}`);
			const api = createClient({ name: `h40-input-${++made}` });
			expect(thrown(() => api.extend({ [name]: value } as never))).toBe(`TypeError ${said(name, value, listed)}`);
			api.close();
		}
	});

	it('every value fetch lists still goes out, a boxed String read as its value as fetch reads it (a guard)', async () => {
		const { createClient } = await loadBuild('edge');
		for (const [name, value] of [['credentials', 'include'], ['mode', 'cors'], ['priority', 'low'], ['referrerPolicy', ''], ['referrerPolicy', 'no-referrer'], ['redirect', 'manual'], ['credentials', Object('omit')]] as const) {
			expect(await outcome('node', (api, url) => api.get(url, { [name]: value }))).toBe('200; fetch 1');
			createClient({ [name]: value, name: `h40-input-${++made}` } as never).close();
		}
	});
});

describe('a client-level `method` fetch forbids or that is no token: a TypeError naming `method` at createClient and extend() (fetch\'s refusal, in every build)', () => {
	it.each(['TRACE', 'connect', 'TRACK', 'a b', ''])('%j, in every build', async (method) => {
		for (const build of builds) {
			const { createClient } = await loadBuild(build);
			// Before, in Node's build: "TypeError `method` is refused by fetch: 'TRACE' HTTP method is unsupported." (undici's words); workerd: made, each call sent with it.
			expect(thrown(() => createClient({ method } as never).close())).toBe(`TypeError \`method\` is refused by fetch: ${JSON.stringify(method)} is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.`);
			const api = createClient({ name: `h40-input-${++made}` });
			expect(thrown(() => api.extend({ method } as never))).toBe(`TypeError \`method\` is refused by fetch: ${JSON.stringify(method)} is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.`);
			expect(thrown(() => api.extend(() => ({ method }) as never))).toBe(`TypeError \`method\` is refused by fetch: ${JSON.stringify(method)} is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.`);
			api.close();
		}
	});

	it('a method of the app\'s own at createClient still goes out, inherited by get() only as ky does (a guard)', async () => {
		expect(await outcome('edge', (api, url) => api(url), { method: 'PROPFIND' })).toBe('200; fetch 1');
	});
});
