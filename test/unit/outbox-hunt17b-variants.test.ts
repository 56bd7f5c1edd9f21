/**
 * Defect hunt, seventeenth round, second pass (area H): the outbox's read-your-writes count of a dependent taken back by
 * `retry(id)`. API.md "Read your own writes": "While a write to a URL is pending in the outbox, a stale answer for that
 * URL says so (`Cache-Status … detail=…; pending-writes=N`, N the pending writes to that exact URL …)".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('a dependent (`outbox.ref()`) that was sent, buried and taken back by retry(id) is counted under the URL it goes to', () => {
	it('offline, the stale answer of `items/7` (its placeholder\'s value) says pending-writes=1 at once, before any pass resolves it again', async () => {
		const store = memoryStore('h17b-pending');
		const clock = new ManualClock();
		const state = { down: false };
		const fetch = (async (request: Request) => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			const status = request.method === 'GET' ? 200 : request.method === 'PUT' ? 422 : 201;
			return new Response('{"id":7}', { status, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h17b-pending', outbox: outbox({ resumeJitterMs: 0 }) });
		const seen = { stored: 0, dead: 0 };
		api.on('cache:stored', () => seen.stored++);
		api.on('outbox:dead', () => seen.dead++);
		try {
			await api.get('items/7').json();
			await waitFor(() => seen.stored === 1, 'the copy of items/7 stored');
			state.down = true;
			const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			const child = await api.put(`items/${api.outbox.ref(parent, '/id')}`, { json: { a: 2 } }).then(() => '', (failure: { entryId: string }) => failure.entryId);
			state.down = false;
			await api.outbox.flush(); // The parent delivered ({ id: 7 }), the dependent sent to items/7 and refused (422): a dead letter.
			await waitFor(() => seen.dead === 1, 'the dependent buried');
			vi.stubGlobal('navigator', { onLine: false });
			clock.advance(1); // No answer since the runtime went offline: no pass sends (nor resolves) it.
			state.down = true;
			await api.outbox.retry(child);
			expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/items/7']);
			expect((await api.get('items/7')).headers.get('cache-status')).toBe('steadfetch; hit; ttl=0; detail=offline; pending-writes=1');
		} finally {
			api.close();
		}
	});
});
