/** In-flight dedupe, round-4 variants: a call's per-call policy switches are its own. */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { holdingFetch } from '../helpers/holding-fetch.js';

describe('dedupe and per-call switches', () => {
	it('a call with { bulkhead: false } never joins an identical call waiting for a bulkhead slot: it goes at once, as the switch says', async () => {
		const { sent, fetch, release } = holdingFetch('/hold', (path) => new Response(path));
		const api = createClient({ retry: 0, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }), fetch });
		const held = api.get('https://api.test/hold').text();
		await vi.waitFor(() => expect(sent).toEqual(['/hold']));
		const waiting = api.get('https://api.test/users').text();
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { queued: 1 } }));
		// Before: it joined the waiting call's request and waited for the slot with it (pending until /hold ended).
		const free = api.get('https://api.test/users', { bulkhead: false }).text();
		await vi.waitFor(() => expect(sent).toEqual(['/hold', '/users']));
		expect(await free).toBe('/users');
		release();
		expect([await held, await waiting]).toEqual(['/hold', '/users']);
		expect(sent).toEqual(['/hold', '/users', '/users']);
		api.close();
	});

	it('identical calls with the same switches (in any order) still share one request', async () => {
		let requests = 0;
		const api = createClient({
			retry: 0, dedupe: dedupe(), bulkhead: bulkhead(),
			fetch: (async () => {
				requests++;
				await new Promise((resolve) => setTimeout(resolve, 20));
				return new Response('ok');
			}) as typeof fetch,
		});
		// The same switches in another order are the same switches.
		const switches = [{ bulkhead: false, throwHttpErrors: false }, { throwHttpErrors: false, bulkhead: false }, { bulkhead: false, throwHttpErrors: false }] as const;
		const texts = await Promise.all(switches.map(async (options) => api.get('https://api.test/users', options).text()));
		expect([texts, requests]).toEqual([['ok', 'ok', 'ok'], 1]);
		api.close();
	});
});
