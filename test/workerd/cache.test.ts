import { describe, expect, inject, it } from 'vitest';
import * as lib from '../../src/entries/index.js';

/** The stale cache on the Cache API in real workerd: cacheApiStore holds the records; shared by default; writes go to waitUntil. */
describe('stale cache on cacheApiStore (workerd)', () => {
	const baseUrl = inject('baseUrl');

	const client = (name: string, options: Parameters<typeof lib.createClient>[0] = {}) => {
		const control = { down: false };
		const api = lib.createClient({
			baseUrl: baseUrl + '/', name, store: lib.cacheApiStore, retry: 0, breaker: false,
			fetch: async (input: unknown, init?: RequestInit) => {
				const request = input as Request;
				if (control.down) {
					throw new TypeError('Network connection lost.');
				}

				return globalThis.fetch(request, init);
			},
			...options,
		});
		// A Worker hands each call's background work (the cache's write) to its request's waitUntil:
		// this test is the request, alive until it ends.
		return Object.assign(api.withContext({ waitUntil: (promise) => void promise }), { control });
	};

	it('stores in the Cache API and a new client (a new isolate request) serves it stale from there', async () => {
		const name = `workerd-cache-${crypto.randomUUID()}`;
		const first = client(name);
		const stored = new Promise((resolve) => first.on('cache:stored', resolve));
		await first.get('json?id=wd1&cc=max-age%3D5').text();
		await stored;
		await new Promise((resolve) => setTimeout(resolve, 50));
		const store = lib.cacheApiStore(`${name}/cache`);
		const keys = await store.keys();
		expect(keys).toEqual([`r:~~${baseUrl}/json?id=wd1&cc=max-age%3D5`]);
		const second = client(name);
		second.control.down = true;
		const response = await second.get('json?id=wd1&cc=max-age%3D5');
		expect(lib.isStale(response)).toBe(true);
		expect(response.headers.get('cache-status')).toMatch(/^steadfetch; hit; ttl=\d+; detail=network$/);
		expect(await response.json()).toMatchObject({ ok: true, n: 1 });
		await second.clear();
		expect(await store.keys()).toEqual([]);
	});

	it('is a shared cache by default: no private responses, no credentialed requests; shared: false stores them', async () => {
		const shared = client(`workerd-cache-${crypto.randomUUID()}`);
		const events: string[] = [];
		shared.on('cache:stored', (event) => events.push(event.url));
		await shared.get('json?id=wd2&cc=private').text();
		await shared.get('json?id=wd3', { headers: { authorization: 'Bearer t' } }).text();
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(events).toEqual([]);
		const own = client(`workerd-cache-${crypto.randomUUID()}`, { staleCache: { shared: false } });
		const stored = new Promise((resolve) => own.on('cache:stored', resolve));
		await own.get('json?id=wd4', { headers: { authorization: 'Bearer t' } }).text();
		await stored;
		own.control.down = true;
		expect(lib.isStale(await own.get('json?id=wd4', { headers: { authorization: 'Bearer t' } }))).toBe(true);
		await expect(own.get('json?id=wd4', { headers: { authorization: 'Bearer other' } })).rejects.toThrow();
		await own.clear();
	});

	it('a copy the Cache API was still taking when clear() ran: deleted again once it landed, and no cache:stored is told for it (defect hunt, eleventh round)', async () => {
		const name = `workerd-cache-${crypto.randomUUID()}`;
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let holding = false;
		const slow = (namespace: string): lib.KeyValueStore => {
			const store = lib.cacheApiStore(namespace);
			return { ...store, async set(key, value) {
				holding = true;
				await held; // The put lands after the clear's delete (the Cache API keeps no order between them).
				return store.set(key, value);
			} };
		};
		const api = client(name, { store: slow, storageTimeoutMs: 60_000 });
		const told: string[] = [];
		api.on('cache:stored', ({ url }) => told.push(url));
		await api.get('json?id=wd-clear').text();
		await expect.poll(() => holding).toBe(true);
		await api.clear();
		told.push('cleared');
		release();
		const store = lib.cacheApiStore(`${name}/cache`);
		await expect.poll(async () => (await store.keys()).length).toBe(0);
		for (let turn = 0; turn < 3; turn++) {
			await new Promise((resolve) => setTimeout(resolve, 0)); // A turn: what followed the put in microtasks has run.
		}

		// Before: ['cleared', '<url>'] (told stored after the clear resolved, for a copy it removed).
		expect(told).toEqual(['cleared']);
		expect(await store.keys()).toEqual([]);
	});
});
