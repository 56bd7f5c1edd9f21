/**
 * The outbox's count of the passes in a row that found a pending record's read refused (`Queue.refusals`, pass.ts
 * `#refused`), the fortieth hunt: it kept the key of an entry removed meanwhile (delivered, discarded, cleared) by another
 * client of the name and store, or by another tab, forever. Now forgotten at the removal (this realm's) or the listing that
 * no longer finds the key (another tab's), and at a clear of everything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { Outbox } from '../../src/entries/outbox.js';

const opened: Array<{ close(): unknown }> = [];
const maps: Array<Map<unknown, unknown>> = [];
const set = Map.prototype.set;
afterEach(() => {
	Map.prototype.set = set;
	maps.length = 0;
	for (const client of opened.splice(0)) {
		client.close();
	}
});

/**
 * Every `Map` given a value `{ passes, since }` (the queue's refusals, the only such map): its size is what the queue keeps
 * in memory. The queue holds it privately; this watches `Map.prototype.set` to find it.
 */
const watch = (): (() => number) => {
	Map.prototype.set = function <K, V>(this: Map<K, V>, key: K, value: V) {
		if (value && typeof value === 'object' && 'passes' in value && 'since' in value && !maps.includes(this)) {
			maps.push(this);
		}

		return set.call(this, key, value) as Map<K, V>;
	};
	return () => maps.reduce((sum, map) => sum + map.size, 0);
};

/** A memory store whose `get` of the pending key of each id in `refused` rejects (its error); `plain`: the same data, no refusals (another tab's view). */
const refusingGets = () => {
	const inner = memoryStore(`h40-refusals-${crypto.randomUUID()}`);
	const refused = new Set<string>();
	const store: KeyValueStore = { ...inner, get: async <T>(key: string): Promise<T | undefined> => {
		if (key.startsWith('p|') && [...refused].some((id) => key.includes(`|${id}|`))) {
			return Promise.reject(new DOMException('The record could not be read', 'DataError'));
		}

		return inner.get<T>(key);
	} };
	return { store, plain: { ...inner } as KeyValueStore, refused };
};

const origin = { up: false };
const onStore = (store: KeyValueStore) => {
	const fetch = async (): Promise<Response> => {
		if (!origin.up) {
			throw new TypeError('Failed to fetch');
		}

		return new Response('{"id":1}', { status: 201 });
	};
	const client = createClient({ name: 'h40-refusals', store: () => store, fetch: fetch as typeof globalThis.fetch, clock: { now: () => 1_800_000_000_000 }, retry: 0, breaker: false, staleCache: false, storageTimeoutMs: 50, outbox: outbox({ baseBackoffMs: 60_000 }), random: () => 0.99 });
	opened.push(client);
	return client as typeof client & { outbox: Outbox };
};

/** A client whose pass found `a`'s record refused once (one key in its refusals), and `a`'s id. */
const refusedOnce = async () => {
	origin.up = false;
	const size = watch();
	const stores = refusingGets();
	const client = onStore(stores.store);
	const id = await client.post('https://api.test/todos', { json: { title: 'a' } }).catch((error: { entryId: string }) => error.entryId) as string;
	stores.refused.add(id);
	await client.outbox.flush();
	expect(size()).toBe(1);
	return { ...stores, client, id, size };
};

describe('the refusals of a pending record removed meanwhile', () => {
	it('another client of the name and store discards it: forgotten', async () => {
		const { store, client, id, size } = await refusedOnce();
		await onStore(store).outbox.discard(id);
		await client.outbox.flush();
		// Before: 1 (kept for good).
		expect([size(), await client.outbox.size()]).toEqual([0, 0]);
	});

	it('another tab (its own store object over the same data) discards it: forgotten at this client\'s next listing', async () => {
		const { plain, client, id, size } = await refusedOnce();
		await onStore(plain).outbox.discard(id);
		await client.outbox.flush();
		expect([size(), await client.outbox.size()]).toEqual([0, 0]);
	});

	it('another tab delivers it (the record readable there): forgotten', async () => {
		const { plain, client, size } = await refusedOnce();
		origin.up = true;
		expect(await onStore(plain).outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		await client.outbox.flush();
		expect([size(), await client.outbox.size()]).toEqual([0, 0]);
	});

	it('an extend()ed child clears the outbox, and the client itself does: forgotten', async () => {
		const made = await refusedOnce();
		await (made.client.extend({ headers: { 'x-child': '1' } }) as typeof made.client).outbox.clear();
		await made.client.outbox.flush();
		expect(made.size()).toBe(0);
		const again = await refusedOnce();
		await again.client.outbox.clear();
		expect(again.size()).toBe(0);
	});

	it('another tab clears it: forgotten at this client\'s next listing', async () => {
		const { plain, client, size } = await refusedOnce();
		await onStore(plain).outbox.clear();
		await client.outbox.flush();
		expect(size()).toBe(0);
	});
});
