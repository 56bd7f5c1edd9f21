/**
 * The preset with `breaker: false` answers `client.breaker(url)` with a stand-in (always closed). Its `scope` is the
 * client's own scope of the URL — an app policy's `scopeOf` (which names scopes too), else the origin, a `blob:` URL's
 * scheme — as `stats()`, the events and `client.reachability` name it. Before, it was always `new URL(url).origin`.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';

/** An app's policy that only scopes URLs (`PolicyParts.scopeOf`): every shard of the API is one scope. */
const tenants = (): Policy<'tenants'> => ({ slot: 'tenants', create: () => ({ scopeOf: (url: string) => (url.includes('.api.test/') ? 'api' : new URL(url).origin) }) }) as unknown as Policy<'tenants'>;

describe('the preset without a breaker: client.breaker(url).scope is the client\'s scope', () => {
	it('an app policy\'s scopeOf decides it, as stats() names it', async () => {
		const api = createClient({ name: `stand-in-${Math.random()}`, breaker: false, staleCache: false, tenants: tenants(), fetch: async () => new Response('ok') } as never);
		try {
			await api.get('https://a.api.test/item').text();
			// Before: 'https://a.api.test' (the origin), where stats() (and the call's events) said 'api'.
			expect([api.breaker('https://a.api.test/item').scope, api.breaker('https://b.api.test/other').scope, Object.keys(api.stats())]).toEqual(['api', 'api', ['api']]);
			// A scope the app's scopeOf named is taken as one, as the breaker's own member takes it.
			expect(api.breaker('api').scope).toBe('api');
			expect(api.breaker('https://elsewhere.test/x').scope).toBe('https://elsewhere.test');
		} finally {
			api.close();
		}
	});

	it('without one: the origin, and a blob: URL\'s scheme', () => {
		const api = createClient({ name: `stand-in-${Math.random()}`, breaker: false, fetch: async () => new Response('ok') });
		try {
			expect([api.breaker('https://app.test/a?b=1').scope, api.breaker('blob:https://app.test/x').scope]).toEqual(['https://app.test', 'blob:']);
		} finally {
			api.close();
		}
	});
});
