/**
 * What a busy machine showed (the thirty-second hunt: tests that hold under load).
 *
 * - `outbox.stats()` counts every pending entry `size()` counts, also when the store does not answer a read of its
 *   record within `storageTimeoutMs` (a 10 MB photo read from IndexedDB at a load of 14, in
 *   test/node/outbox-files-chromium.test.ts). Before, the entries after the read that missed its deadline were not
 *   counted: `{ entries: 0 }` while `size()` said 1.
 */
import { expect, it } from 'vitest';
import { createClient, memoryStore, outbox, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { waitFor } from '../helpers/wait-for.js';

it('stats() counts a pending entry whose record the store did not read back within storageTimeoutMs, as size() does', async () => {
	const inner = memoryStore('hunt32-stats');
	let slow = false;
	let reads = 0;
	// Reads of pending records answer after 300 ms once `slow`: past the client's storageTimeoutMs of 50 ms.
	const store: KeyValueStore = {
		...inner,
		get: async (key) => {
			if (slow && key.startsWith('p|')) {
				reads++;
				await new Promise((resolve) => setTimeout(resolve, 300));
			}

			return inner.get(key);
		},
	};
	const fetch = (async () => {
		throw new TypeError('fetch failed');
	}) as typeof globalThis.fetch;
	const errors: string[] = [];
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'hunt32-stats', storageTimeoutMs: 50, outbox: outbox() });
	api.on('storage:error', ({ operation }) => errors.push(operation));
	try {
		for (const a of [1, 2]) {
			expect(await api.post('todos', { json: { a } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		}

		await waitFor(async () => (await inner.keys()).filter((key) => key.startsWith('p|')).length === 2, 'both entries stored');
		expect(await api.outbox.stats()).toMatchObject({ entries: 2, dead: 0 });
		slow = true;
		const stats = await api.outbox.stats();
		expect(reads).toBeGreaterThan(0); // The store was asked, and missed its deadline.
		expect(errors).toContain('get');
		expect({ size: await api.outbox.size(), entries: stats.entries, dead: stats.dead }).toEqual({ size: 2, entries: 2, dead: 0 });
	} finally {
		api.close();
	}
});

it('list() shows as many pending entries as size() counts when the store does not read a record back in time: not read, left as it is', async () => {
	const inner = memoryStore('hunt32-list');
	let slow = false;
	const store: KeyValueStore = {
		...inner,
		get: async (key) => {
			if (slow && key.startsWith('p|')) {
				await new Promise((resolve) => setTimeout(resolve, 300));
			}

			return inner.get(key);
		},
	};
	const fetch = (async () => {
		throw new TypeError('fetch failed');
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'hunt32-list', storageTimeoutMs: 50, outbox: outbox() });
	try {
		for (const a of [1, 2]) {
			expect(await api.post('todos', { json: { a } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		}

		await waitFor(async () => (await inner.keys()).filter((key) => key.startsWith('p|')).length === 2, 'both entries stored');
		const ids = (await api.outbox.list()).map(({ id }) => id);
		expect(ids).toHaveLength(2);
		slow = true;
		const listed = await api.outbox.list();
		expect({ size: await api.outbox.size(), listed: listed.length }).toEqual({ size: 2, listed: 2 });
		expect(listed.map(({ id }) => id)).toEqual(ids);
		expect(listed.map(({ lastError }) => lastError?.code)).toContain('TIMEOUT');
		slow = false;
		// Nothing was changed by the listing: read in time, each is the write it was.
		expect((await api.outbox.list()).map(({ method, url }) => [method, url])).toEqual([['POST', 'https://api.example.com/todos'], ['POST', 'https://api.example.com/todos']]);
	} finally {
		api.close();
	}
});
