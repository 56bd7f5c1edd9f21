/**
 * Defect hunt, eighteenth round (area F, the newcomer's path): what a newcomer meets who follows the README and
 * gets an option or a URL wrong — each against the line of API.md, the README or the TSDoc it breaks.
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as coreClient } from '../../src/entries/core.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { queryOptionsFor, syncInvalidation } from '../../src/entries/tanstack-query.js';

/**
 * API.md "Option values": "a value of the wrong type or out of range … is a RangeError or TypeError naming the option
 * where it is given (`createClient`, …), and per call an `InvalidRequestError` before any I/O", never a failure of
 * every call later (the ninth round made a `prefix` that is no URL one). A host and port typed without its scheme
 * (`localhost:3000/api`) parses as a URL of the scheme `localhost:`: the client was made, and every call failed.
 */
describe('a `prefix` or `baseUrl` that is a host and port without `http://`', () => {
	const hostAndPort = ['localhost:3000/api', 'localhost:3000', 'api.example.com:8080/v1/', 'my-api.internal:443', '127.0.0.1:8080/api'];

	it('is a RangeError naming the option at createClient (the preset and `steadfetch/core`) and extend()', () => {
		for (const value of hostAndPort) {
			for (const key of ['prefix', 'baseUrl'] as const) {
				expect(() => createClient({ [key]: value, store: memoryStore }), `${key} ${value}`).toThrow(RangeError); // before: made
				expect(() => createClient({ [key]: value, store: memoryStore }), `${key} ${value}`).toThrow(`\`${key}\` must be a URL or false; got ${JSON.stringify(value)}`);
				if (URL.canParse(value)) {
					// Given as a URL (`127.0.0.1:8080/api` is none: no scheme starts with a digit).
					expect(() => coreClient({ [key]: new URL(value), store: memoryStore }), `${key} URL ${value}`).toThrow(RangeError);
				}
				const api = coreClient({ store: memoryStore });
				expect(() => api.extend({ [key]: value }), `extend ${key} ${value}`).toThrow(RangeError);
				api.close();
			}
		}
	});

	it('per call, an InvalidRequestError naming the option before any I/O', async () => {
		const sent: string[] = [];
		const api = createClient({ store: memoryStore, retry: 0, fetch: (async (request: Request) => {
			sent.push(request.url);
			return new Response('ok');
		}) as typeof fetch });
		for (const value of hostAndPort) {
			const error = await api.get('users/1', { prefix: value }).then(() => undefined, (thrown: unknown) => thrown);
			expect(error, value).toBeInstanceOf(InvalidRequestError);
			expect((error as Error).message, value).toContain('`prefix` must be a URL or false');
		}

		expect(sent).toEqual([]);
		api.close();
	});

	it('a URL with its scheme, a relative one and a page\'s path stay accepted', () => {
		for (const value of ['http://localhost:3000/api', 'https://api.example.com:8080/v1/', '/api/', 'api/', 'v1', '//cdn.example.com/x/', 'app://local/api/']) {
			createClient({ prefix: value, store: memoryStore }).close();
			createClient({ baseUrl: value, store: memoryStore }).close();
		}
	});
});

/**
 * API.md "Option values": "`undefined` means \"not given\" (the default applies)"; "a value of the wrong type or out of
 * range (a string, `NaN`, a negative …) is a RangeError or TypeError naming the option where it is given". Three options
 * took a value of the wrong type for "not given", silently: `retryBudget` given as a list (the seventh round made `hooks`
 * and `retry` as a list a RangeError), `rateLimit({ burst: null })` and `outbox({ maxNetworkBackoffMs: null })`, where
 * every other option of the client and of those factories refuses `null`.
 */
describe('an option of the wrong type is never read as "not given"', () => {
	it('`retryBudget` given as a list is a RangeError naming it at createClient (the preset, core) and extend()', () => {
		for (const value of [[], [0.5], [{ ratio: 0.5 }]]) {
			expect(() => createClient({ retryBudget: value as never, store: memoryStore }), JSON.stringify(value)).toThrow(RangeError); // before: made, the budget's defaults
			expect(() => coreClient({ retryBudget: value as never, store: memoryStore }), JSON.stringify(value)).toThrow(/`retryBudget` must be \{ ratio, minRetries, windowMs \}, true or false; got \[/);
			const api = coreClient({ store: memoryStore });
			expect(() => api.extend({ retryBudget: value as never }), JSON.stringify(value)).toThrow(RangeError);
			api.close();
		}

		// What it takes stays accepted.
		for (const value of [true, false, {}, { ratio: 0.5 }, undefined]) {
			coreClient({ retryBudget: value as never, store: memoryStore }).close();
		}
	});

	it('`rateLimit({ burst: null })` and `outbox({ maxNetworkBackoffMs: null })` are RangeErrors naming the option, as their other options\' null is', () => {
		expect(() => rateLimit({ perSecond: 5, burst: null as never })).toThrow('`rateLimit.burst` must be a finite number of at least 1; got null'); // before: burst 5
		expect(() => rateLimit({ perSecond: null as never })).toThrow(/`rateLimit.perSecond`.*got null/);
		expect(() => outbox({ maxNetworkBackoffMs: null as never })).toThrow(/`outbox.maxNetworkBackoffMs` must be .*; got null/); // before: its default
		expect(() => outbox({ maxBackoffMs: null as never })).toThrow(/`outbox.maxBackoffMs`.*got null/);
		// Not given (left out or undefined): the defaults.
		rateLimit({ perSecond: 5, burst: undefined as never });
		outbox({ maxNetworkBackoffMs: undefined as never });
	});
});

/**
 * `queryOptionsFor`'s TSDoc: "`options` are the call's (ky's and steadfetch's)"; the call with options that are no
 * object rejects with `InvalidRequestError` ("`options` must be an object; got 5", the eleventh round), README "Errors":
 * "as a rejected promise from every member that returns one". Through `queryOptionsFor(api, url, 5)` the value was
 * spread away (`{ ...5, signal }` is `{ signal }`): the query fetched as if no options were given.
 */
describe('queryOptionsFor with call options that are no object', () => {
	it('its queryFn rejects with the InvalidRequestError the call gives, before any I/O', async () => {
		const sent: string[] = [];
		const api = createClient({ prefix: 'https://api.example.com/', store: memoryStore, retry: 0, fetch: (async (request: Request) => {
			sent.push(request.url);
			return Response.json({ a: 1 });
		}) as typeof fetch });
		const signal = new AbortController().signal;
		for (const options of [5, 'retry', true, null, [], [{ retry: 0 }]]) {
			const { queryFn } = queryOptionsFor(api, 'users/1', options as never);
			const error = await queryFn({ signal } as never).then(() => undefined, (thrown: unknown) => thrown);
			expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidRequestError); // before: resolved { a: 1 }
			expect((error as Error).message, JSON.stringify(options)).toContain('`options` must be an object');
		}

		expect(sent).toEqual([]);
		// An object, or none, is the call's.
		expect(await queryOptionsFor(api, 'users/1').queryFn({ signal } as never)).toEqual({ a: 1 });
		expect(await queryOptionsFor(api, 'users/1', { searchParams: { v: 2 } }).queryFn({ signal } as never)).toEqual({ a: 1 });
		expect(sent).toEqual(['https://api.example.com/users/1', 'https://api.example.com/users/1?v=2']);
		api.close();
	});
});

/**
 * API.md: `waitForHealthy(urlOrScope, { timeoutMs })`; "Option values": `undefined` is "not given", a value of the wrong
 * type is refused, per call an `InvalidRequestError`. The tenth-round fix refused options that are no object ("as a
 * call's are") but let a list through, read as none: an isolated scope's wait then took the default 30 s (`null` is
 * none there, as breaker-isolate.test.ts decides).
 */
describe('waitForHealthy with options that are a list', () => {
	for (const [name, options] of [['the preset', {}], ['the preset with breaker: false', { breaker: false }]] as const) {
		it(`${name}: rejects with InvalidRequestError at once, as for a number (a call's options are refused so)`, async () => {
			const api = createClient({ prefix: 'https://api.example.com/', store: memoryStore, ...options });
			if (!('breaker' in options)) {
				await api.breaker.isolate('https://api.example.com');
			}

			for (const value of [[], [{ timeoutMs: 10 }]]) {
				const error = await api.waitForHealthy('https://api.example.com', value as never).then(() => 'resolved', (thrown: unknown) => thrown);
				expect(error, JSON.stringify(value)).toBeInstanceOf(InvalidRequestError); // before: waited 30 s (isolated), or resolved
				expect((error as Error).message).toContain('`waitForHealthy` takes { timeoutMs } as options');
			}

			// None, undefined and an object stay accepted.
			if ('breaker' in options) {
				await api.waitForHealthy('https://api.example.com');
				await api.waitForHealthy('https://api.example.com', undefined);
				await api.waitForHealthy('https://api.example.com', { timeoutMs: 10 });
			}

			api.close();
		});
	}
});

/** The same for `syncInvalidation(api, queryClient, options)`: API.md names it among where a wrong value is a TypeError. */
describe('syncInvalidation with options given as a list', () => {
	it('is a TypeError naming its options, as null or a number is (before: taken, its `touches` read as none)', () => {
		const api = createClient({ prefix: 'https://api.example.com/', store: memoryStore });
		const queryClient = { invalidateQueries: async () => {} };
		for (const value of [[], [{ touches: () => [] }], null, 5]) {
			expect(() => syncInvalidation(api, queryClient as never, value as never), JSON.stringify(value)).toThrow(TypeError);
			expect(() => syncInvalidation(api, queryClient as never, value as never), JSON.stringify(value)).toThrow("`syncInvalidation`'s options must be an object ({ touches? })");
		}

		syncInvalidation(api, queryClient as never, { touches: () => [] })();
		syncInvalidation(api, queryClient as never)();
		api.close();
	});
});
