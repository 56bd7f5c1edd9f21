/**
 * A URL that is not http or https is scoped by its scheme, not by its origin: a `blob:` URL's origin is its page's
 * (`blob:https://app.test/…` has the origin `https://app.test`), so a revoked object URL that failed `consecutiveFailures`
 * times opened the breaker of the app's own API, whose reads were then answered stale (`circuit-open`) without I/O.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { originOf } from '../../src/core/scope.js';
import { waitFor } from '../helpers/wait-for.js';

describe('the scope of a URL that is not http or https is its scheme', () => {
	it('originOf: http(s) URLs by origin, the others by scheme', () => {
		expect(['https://app.test/a?b', 'http://app.test:8080/', 'blob:https://app.test/0b6c', 'data:text/plain,hi', 'file:///tmp/x', 'about:blank'].map((url) => originOf(url)))
			.toEqual(['https://app.test', 'http://app.test:8080', 'blob:', 'data:', 'file:', 'about:']);
	});

	it('failed blob: reads (revoked object URLs) open no breaker of the page\'s origin: its API is still asked, fresh', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(request.url);
			if (request.url.startsWith('blob:')) {
				throw new TypeError('fetch failed'); // A revoked object URL, as fetch fails it.
			}

			return request.url.startsWith('data:') ? globalThis.fetch(request) : Response.json({ n: sent.length }, { headers: { 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, store: memoryStore, name: `scope-schemes-${Date.now()}`, breaker: { consecutiveFailures: 3 } });
		let stored = 0;
		api.on('cache:stored', () => stored++);
		try {
			await api.get('https://app.test/items').json();
			await waitFor(() => stored === 1, 'the copy of /items stored');
			const codes: string[] = [];
			for (let index = 0; index < 4; index++) {
				codes.push(await api.get(`blob:https://app.test/${index}`).then(() => 'OK', (error: { name: string }) => error.name));
			}

			// The blob: scope's own breaker opened after 3 failures.
			expect(codes).toEqual(['NetworkError', 'NetworkError', 'NetworkError', 'CircuitOpenError']);
			// Before: 'open' (the page's origin), and the read below answered stale ('… detail=circuit-open') without I/O.
			expect([api.breaker('https://app.test/items').state, api.breaker('blob:https://app.test/9').state]).toEqual(['closed', 'open']);
			const fresh = await api.get('https://app.test/items');
			expect([fresh.headers.get('cache-status'), sent.at(-1)]).toEqual([null, 'https://app.test/items']);
			expect(await (await api.get('data:text/plain,hi')).text()).toBe('hi');
			const stats = api.stats();
			expect(Object.keys(stats).sort()).toEqual(['blob:', 'data:', 'https://app.test']);
			expect(stats['https://app.test']!.failures).toEqual({});
		} finally {
			api.close();
		}
	});
});
