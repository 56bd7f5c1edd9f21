/**
 * Defect hunt, ninth round, second pass (H), in real Chromium (IndexedDB, BroadcastChannel: clients made
 * apart in a page hear each other as tabs do): a write another tab's client without a stale cache delivers
 * drops the copies it outdated from the store, so that after a reload none answers (API.md "Read your own
 * writes": "such copies are dropped (`cache:superseded`) in every tab and after a reload").
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, isStale } from '../../src/entries/index.js';

describe('read your own writes after a reload (Chromium, IndexedDB)', () => {
	it('another tab\'s client without a stale cache delivers a PUT: the copies go from the store, a reloaded client serves none', async () => {
		const name = `ryw-${Math.random().toString(36).slice(2)}`;
		let up = true;
		const transport = async (input: RequestInfo | URL): Promise<Response> => {
			if (!up) {
				throw new TypeError('Failed to fetch');
			}

			const request = input as Request;
			return Response.json({ at: request.url }, { headers: { 'cache-control': 'max-age=0' } });
		};
		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, store: indexedDbStore };
		const reader = createClient(options);
		const writer = createClient({ ...options, staleCache: false });
		const stored: string[] = [];
		reader.on('cache:stored', ({ url }) => stored.push(url));
		await reader.get('todos/1').json();
		await reader.get('todos/2').json();
		await expect.poll(() => stored.length).toBe(2);
		const superseded: string[] = [];
		reader.on('cache:superseded', ({ url }) => superseded.push(url));
		expect((await writer.put('todos/1', { json: { done: true } })).status).toBe(200);
		// Before: [] (nobody dropped it: the writing tab has no stale cache, the reader only noted the write).
		await expect.poll(() => superseded).toEqual(['https://api.test/todos/1']);
		reader.close();
		writer.close();
		const reloaded = createClient(options);
		up = false;
		const served = async (path: string): Promise<boolean> => reloaded.get(path).then(isStale, () => false);
		// Before: [true, true] (the copy stored before the write answered after the reload).
		expect([await served('todos/1'), await served('todos/2')]).toEqual([false, true]);
		reloaded.close();
	});
});
