/**
 * Defect hunt, thirty-third round (the pipeline: identity and clears across the parts, one owner per call, bad input on
 * the less-used members and options). Each case failed on the sources before its fix.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient as createPreset, memoryStore } from '../../src/entries/index.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** What a client method did with the input: a synchronous throw (the defect), or the code its promise settled with. */
const outcome = async (make: () => Promise<unknown>): Promise<string> => {
	let made: Promise<unknown>;
	try {
		made = make();
	} catch (error) {
		return `threw ${(error as Error).name}`;
	}

	return code(made);
};

/** An object whose every trap throws: what an app's Proxy over options (a store's, a validation library's) may be. */
const hostile = (): object => new Proxy({}, Object.fromEntries(['get', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor'].map((trap) => [trap, () => {
	throw new Error(`${trap} trap`);
}])));

describe('a call\'s signal or headers that are no signal or headers reject the call with InvalidRequestError before any I/O, never a throw from the client\'s method', () => {
	it('a signal that is no AbortSignal, on a client with a signal of its own or in a request context, and a Proxy signal or headers whose traps throw', async () => {
		let sent = 0;
		const fetch = (async () => {
			sent++;
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch });
		const withSignal = createClient({ fetch, signal: new AbortController().signal });
		const request = withSignal.withContext({ waitUntil: () => undefined }, { request: new Request('https://worker.test/') });
		// Before: ['threw TypeError', 'threw TypeError', 'threw Error', 'threw Error'] (AbortSignal.any's "signals[1] is not of
		// type AbortSignal", the traps' own errors), where the client without a signal of its own rejected `{}` already.
		expect([
			await outcome(() => withSignal.get('https://api.test/a', { signal: {} as AbortSignal })),
			await outcome(() => request.get('https://api.test/a', { signal: {} as AbortSignal })),
			await outcome(() => api.get('https://api.test/a', { signal: hostile() as AbortSignal })),
			await outcome(() => api.get('https://api.test/a', { headers: hostile() as HeadersInit })),
			await outcome(() => api.get('https://api.test/a', { signal: {} as AbortSignal })),
		]).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST']);
		expect(sent).toBe(0);
		// A signal and headers as they should be still go.
		expect(await code(withSignal.get('https://api.test/a', { signal: new AbortController().signal, headers: { 'x-a': '1' } }))).toBe('OK');
		expect(sent).toBe(1);
		api.close();
		withSignal.close();
	});
});

describe('the members that take a URL, given an object that passes for a URL and is none, refuse it with InvalidRequestError', () => {
	it('Object.create(URL.prototype) and a Proxy whose traps throw: rejected (isolate, reset, cache.delete, waitForHealthy) or thrown (breaker(), reachability()) as InvalidRequestError, never the platform\'s TypeError', async () => {
		const api = createPreset({ fetch: async () => new Response('ok'), baseUrl: 'https://api.test/', store: memoryStore, name: `hunt33-urls-${Math.random()}` });
		const thrown = (read: () => unknown): string => {
			try {
				read();
				return 'none';
			} catch (error) {
				return classify(error).code;
			}
		};
		const seen: string[] = [];
		for (const fake of [Object.create(URL.prototype) as URL, hostile() as URL]) {
			seen.push(
				await code(api.breaker.isolate(fake)), await code(api.breaker.reset(fake)), await code(api.cache.delete(fake)),
				await code(api.waitForHealthy(fake, { timeoutMs: 10 })), thrown(() => api.breaker(fake)), thrown(() => api.reachability(fake)),
			);
		}

		// Before: 'UNKNOWN' for each (a raw TypeError "Receiver must be an instance of class URL", the Proxy's own error).
		expect(seen).toEqual(Array.from({ length: 12 }, () => 'INVALID_REQUEST'));
		// A URL made by its constructor still names the scope.
		await api.breaker.isolate(new URL('https://api.test/x'));
		expect(api.breaker('https://api.test/').state).toBe('open');
		api.close();
	});
});

describe('clear() and waitForHealthy() given options that cannot be read (a Proxy whose traps throw) reject with InvalidRequestError, removing nothing', () => {
	it('clear(options) removes nothing; waitForHealthy(url, options) of the breaker and of the preset\'s stand-in (breaker: false) refuse too', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => {
			sent++;
			return new Response('ok', { headers: { 'cache-control': 'max-age=60' } });
		};
		const api = createPreset({ fetch, baseUrl: 'https://api.test/', store: memoryStore, name: `hunt33-options-${Math.random()}` });
		const off = createPreset({ fetch, baseUrl: 'https://api.test/', store: memoryStore, breaker: false, name: `hunt33-off-${Math.random()}` });
		expect(await code(api.get('items'))).toBe('OK');
		// Before: ['UNKNOWN', 'UNKNOWN', 'UNKNOWN'] (the trap's own Error, from the options read).
		expect([
			await code(api.clear(hostile() as { identity: string })),
			await code(api.waitForHealthy('https://api.test/', hostile() as { timeoutMs: number })),
			await code(off.waitForHealthy('https://api.test/', hostile() as { timeoutMs: number })),
		]).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST']);
		// Nothing removed: the copy is still listed; options as they should be still work.
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['https://api.test/items']);
		expect([await code(api.clear({ identity: 'alice' })), await code(api.waitForHealthy('https://api.test/', { timeoutMs: 1_000 }))]).toEqual(['OK', 'OK']);
		expect(sent).toBe(1);
		api.close();
		off.close();
	});
});

describe('a slot given a value that cannot be read (a Proxy whose traps throw) is a RangeError naming the slot, at createClient and extend()', () => {
	it('the core\'s and the preset\'s policy slots, and extend(), name the slot; a policy there still fills it', () => {
		const fetch = async (): Promise<Response> => new Response('ok');
		const thrown = (make: () => unknown): string => {
			try {
				make();
				return 'none';
			} catch (error) {
				return `${(error as Error).name}: ${(error as Error).message.split(';')[0]}`;
			}
		};
		const api = createClient({ fetch });
		// Before: 'Error: get trap' for each (read as `value.create` to tell a policy).
		expect([
			thrown(() => createClient({ fetch, bulkhead: hostile() } as never)),
			thrown(() => createPreset({ fetch, hedge: hostile() } as never)),
			thrown(() => api.extend({ bulkhead: hostile() } as never)),
		]).toEqual([
			'RangeError: `bulkhead` must be a policy (from `steadfetch/bulkhead`) or false, as `bulkhead: bulkhead(…)`',
			'RangeError: `hedge` must be a policy (from `steadfetch/hedge`) or false, as `hedge: hedge(…)`',
			'RangeError: `bulkhead` must be a policy (from `steadfetch/bulkhead`) or false, as `bulkhead: bulkhead(…)`',
		]);
		expect(thrown(() => api.extend({ bulkhead: bulkhead() }).close())).toBe('none');
		api.close();
	});
});

describe('withContext(ctx, options) given a ctx or options that cannot be read (a Proxy whose traps throw) throws a TypeError, as for any other wrong value', () => {
	it('a hostile ctx, hostile options, and a ctx whose waitUntil getter throws: TypeError; a Worker\'s ExecutionContext still works', async () => {
		const api = createClient({ fetch: async () => new Response('ok') });
		const thrown = (make: () => unknown): string => {
			try {
				make();
				return 'none';
			} catch (error) {
				return (error as Error).name;
			}
		};
		const getterThrows = Object.defineProperty({}, 'waitUntil', {
			get() {
				throw new Error('not now');
			},
		});
		// Before: ['Error', 'Error', 'Error'] (the trap's or the getter's own error).
		expect([
			thrown(() => api.withContext(hostile() as never)),
			thrown(() => api.withContext({ waitUntil: () => undefined }, hostile() as never)),
			thrown(() => api.withContext(getterThrows as never)),
		]).toEqual(['TypeError', 'TypeError', 'TypeError']);
		// Wrong values keep their own errors; a good ctx still gives a client.
		expect(thrown(() => api.withContext({ waitUntil: () => undefined }, { subrequests: -1 }))).toBe('RangeError');
		const request = api.withContext({ waitUntil: () => undefined });
		expect(await code(request.get('https://api.test/'))).toBe('OK');
		api.close();
	});
});
