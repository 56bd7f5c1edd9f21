/**
 * The members that take a URL (`cache.delete`, `breaker(url)`, `breaker.isolate`, `breaker.reset`,
 * `waitForHealthy`, `reachability`), given what is neither a string nor a `URL` — a plain-JavaScript
 * caller's missing argument, a number, a Request. API.md "Bad input gets a clear, typed error before any
 * I/O": each is an `InvalidRequestError`, and none names the client's own origin (before: `isolate()`
 * resolved to "…/undefined" and opened the base origin's breaker by hand, persisted and shared).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, createClient, memoryStore, type Client } from '../../src/entries/index.js';

const answers = (): Response => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
const bad: ReadonlyArray<[string, unknown]> = [['nothing', undefined], ['null', null], ['a number', 5], ['an object', {}], ['a Request', new Request('http://api.test/other')]];
/** A member called with a value its types refuse (as plain JavaScript can). */
const loose = (member: unknown) => member as (value: unknown, options?: unknown) => unknown;

describe('members that take a URL refuse what is not one', () => {
	const make = (): Client => createClient({ fetch: async () => answers(), baseUrl: 'http://api.test/v1/', store: memoryStore, name: `member-urls-${Math.random()}` }) as Client;

	it.each(bad)('given %s: isolate, reset, cache.delete and waitForHealthy reject with InvalidRequestError; breaker() and reachability() throw it', async (_, value) => {
		const api = make();
		await api.get('items');
		for (const promised of [loose(api.breaker.isolate), loose(api.breaker.reset), loose(api.cache.delete), (v: unknown) => loose(api.waitForHealthy)(v, { timeoutMs: 10 })]) {
			const result = promised(value);
			expect(result).toBeInstanceOf(Promise);
			await expect(result).rejects.toThrow(InvalidRequestError);
		}

		expect(() => loose(api.breaker)(value)).toThrow(InvalidRequestError);
		expect(() => loose(api.reachability)(value)).toThrow(InvalidRequestError);
		// Nothing was opened by hand, nothing removed: the client's own origin still answers from the network.
		expect(api.breaker('http://api.test/').state).toBe('closed');
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['http://api.test/v1/items']);
		await expect(api.get('items').json()).resolves.toEqual({ ok: true });
		api.close();
	});

	it('a string and a URL still name the scope as a call would', async () => {
		const api = make();
		await api.breaker.isolate(new URL('http://api.test/v1/x'));
		expect(api.breaker('items').state).toBe('open');
		await api.breaker.reset('http://api.test');
		expect(api.breaker(new URL('http://api.test/')).state).toBe('closed');
		expect(api.reachability('items')).toBe('unknown');
		api.close();
	});
});
