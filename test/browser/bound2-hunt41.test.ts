/**
 * Defect hunt, forty-first round (bound, second helper), in real Chromium (IndexedDB, BroadcastChannel): two clients of one
 * name made apart in one page (two `createClient` calls, not `extend()`) share the name's store; a clear made through one
 * binds the other's work at once, not a task later when the channel brings the note. Before, with a store that answers at
 * once (memoryStore shared, an app's own), a read of one started as soon as the other's clear() resolved was taken for work
 * of before the clear when the note came, and its copy dropped (stored [] where its URL). With IndexedDB both cases held
 * before too (its clear ends after the note comes): kept as regression tests.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, memoryStore } from '../../src/entries/index.js';
import { noteHeard } from '../helpers/other-tabs.js';

describe.each([
	['IndexedDB (the default store)', () => indexedDbStore],
	['a store both share that answers at once (memoryStore, an app\'s own)', () => {
		const shared = memoryStore('bound2-twins');
		return () => shared;
	}],
])('two clients of one name made apart in a page (Chromium): %s', (_, storeOf) => {
	it('a read of one in flight at the other\'s clear(), answered in the same task: not stored; a read after it is', async () => {
		const store = storeOf();
		const name = `bound2-twins-${Math.random().toString(36).slice(2)}`;
		const waiting: Array<(response: Response) => void> = [];
		let hang = true;
		const transport = async (): Promise<Response> => hang
			? new Promise<Response>((resolve) => waiting.push(resolve))
			: new Response('bob', { headers: { 'cache-control': 'max-age=60' } });
		const make = () => createClient({ name, store, fetch: transport as typeof fetch, retry: 0, breaker: false, staleCache: { maxStaleMs: 86_400_000 } });
		const [a, b] = [make(), make()];
		const stored: string[] = [];
		a.on('cache:stored', ({ url }) => stored.push(url));
		const reading = a.get('https://api.test/me').text();
		await expect.poll(() => waiting.length).toBe(1);
		const clearing = b.clear();
		waiting[0]!(new Response('alice', { headers: { 'cache-control': 'max-age=60' } }));
		await clearing;
		expect(await reading).toBe('alice');
		hang = false;
		expect(await a.get('https://api.test/after').text()).toBe('bob');
		await expect.poll(() => stored.includes('https://api.test/after')).toBe(true);
		const listed = (await a.cache.list()).map(({ url }) => url);
		expect({ stored, listed }).toEqual({ stored: ['https://api.test/after'], listed: ['https://api.test/after'] });
		a.close();
		b.close();
	});

	it('a read of one started as soon as the other\'s clear() resolved, answered after: stored (the clear is no later than it)', async () => {
		const store = storeOf();
		const name = `bound2-after-${Math.random().toString(36).slice(2)}`;
		const waiting: Array<(response: Response) => void> = [];
		const transport = async (): Promise<Response> => new Promise<Response>((resolve) => waiting.push(resolve));
		const make = () => createClient({ name, store, fetch: transport as typeof fetch, retry: 0, breaker: false, staleCache: { maxStaleMs: 86_400_000 } });
		const [a, b] = [make(), make()];
		const stored: string[] = [];
		a.on('cache:stored', ({ url }) => stored.push(url));
		const echoed = noteHeard(name);
		await b.clear();
		const reading = a.get('https://api.test/bob').text();
		await expect.poll(() => waiting.length).toBe(1);
		await echoed; // the note's message came over the channel (it binds nothing of this read)
		waiting[0]!(new Response('bob', { headers: { 'cache-control': 'max-age=60' } }));
		expect(await reading).toBe('bob');
		// Before (a store that answers at once): [] — the note, heard after the read started, dropped its copy.
		await expect.poll(() => stored).toEqual(['https://api.test/bob']);
		a.close();
		b.close();
	});
});
