/**
 * A write the store refused is kept in memory and written again with the part's next write
 * (src/core/part-store.ts); a clear made through another client of the name and store (another
 * tab's, heard over the channel; in Node, one made apart) removes it as it removes the store's:
 * API.md "Identity": "After `clear()` resolves, nothing it removed ever comes back … and no removed
 * entry is sent".
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { switchableStore } from '../helpers/switchable-store.js';
import { until, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** `inner` made switchable, and two of alice's clients of the name on it (the other as another tab's). */
const aliceTwice = (inner: KeyValueStore) => {
	const store = switchableStore(inner);
	const options = { store: () => store, identity: () => 'alice', storageTimeoutMs: 50 };
	return { store, api: h.make(options), other: h.make(options) };
};

describe('an outbox entry kept in memory vs a clear through another client of the name', () => {
	for (const which of ['clear()', 'clear({ identity })'] as const) {
		it(`${which}: the kept entry is neither listed, written again, nor sent`, async () => {
			const { store, api, other } = aliceTwice(h.store);
			win.setOnline(false, false);
			store.mode = 'throw';
			await api.put('kept/entry', { body: 'x' }).catch(() => undefined);
			expect((await api.outbox.list()).map(({ url }) => new URL(url).pathname)).toEqual(['/kept/entry']);
			store.mode = 'up';
			await (which === 'clear()' ? other.clear() : other.clear({ identity: 'alice' }));
			// fakeWindow() makes this a page: the clear is heard over the channel (BroadcastChannel), as another tab's.
			await until(async () => (await api.outbox.list()).length === 0);
			await api.put('kept/next', { body: 'y' }).catch(() => undefined);
			win.setOnline(true);
			await until(() => h.seen.some(({ url }) => url.endsWith('/kept/next')));
			await api.outbox.flush();
			expect(h.seen.map(({ url }) => new URL(url).pathname)).toEqual(['/kept/next']);
			expect((await other.outbox.list()).map(({ url }) => new URL(url).pathname)).toEqual([]);
		});
	}

	it('a clear of another identity leaves it: listed, then sent', async () => {
		const { store, api, other } = aliceTwice(memoryStore('other'));
		win.setOnline(false, false);
		store.mode = 'throw';
		await api.put('kept/alice', { body: 'x' }).catch(() => undefined);
		store.mode = 'up';
		await other.clear({ identity: 'bob' });
		expect((await api.outbox.list()).map(({ url }) => new URL(url).pathname)).toEqual(['/kept/alice']);
		win.setOnline(true);
		await until(() => h.seen.some(({ url }) => url.endsWith('/kept/alice')));
	});
});

describe('an outbox entry written back while the store refuses writes vs discard(id) through another client', () => {
	it('the kept write-back of the discarded entry is neither listed, written again, nor sent', async () => {
		const inner = memoryStore('discard');
		const store = { ...inner, down: false } as KeyValueStore & { down: boolean };
		store.set = async (key, value) => {
			if (store.down) {
				throw new Error('store down');
			}

			return inner.set(key, value);
		};

		const options = { store: () => store, identity: () => 'alice', storageTimeoutMs: 50 };
		const api = h.make(options);
		const other = h.make(options);
		const { entryId } = await api.put('status/503', { body: 'x' }).then(() => ({ entryId: '' }), (error: { entryId: string }) => error);
		store.down = true;
		const refused = new Promise((resolve) => {
			api.on('storage:error', resolve);
		});
		await api.outbox.flush(); // Its replay gets a 503 again: the record (attempts) is written back, refused, kept.
		await refused;
		expect((await api.outbox.list()).map(({ id, attempts }) => [id, attempts])).toEqual([[entryId, 2]]);
		await other.outbox.discard(entryId);
		// fakeWindow() makes this a page: the discard is heard over the channel, as another tab's.
		await until(async () => (await api.outbox.list()).length === 0);
		store.down = false;
		win.setOnline(false, false);
		await api.put('kept/after', { body: 'y' }).catch(() => undefined);
		expect((await inner.keys()).filter((key) => key.includes(entryId))).toEqual([]);
		expect((await other.outbox.list()).map(({ id }) => id)).not.toContain(entryId);
	});
});

describe('a write an extend()ed client of another identity keeps in memory is of its own identity', () => {
	/** ann's client on a switchable `inner`, bob's extend() of it, and bob's client made apart (as another tab's). */
	const annBobAndBob = (inner: KeyValueStore, staleCache: false | object = false) => {
		const store = switchableStore(inner);
		const options = { store: () => store, storageTimeoutMs: 50, staleCache };
		const parent = h.make({ ...options, identity: () => 'ann' });
		return { store, child: parent.extend({ identity: () => 'bob' }), other: h.make({ ...options, identity: () => 'bob' }) };
	};

	it('an outbox entry: a clear of bob\'s through another client forgets it (neither listed nor written again)', async () => {
		const { store, child, other } = annBobAndBob(h.store);
		win.setOnline(false, false);
		store.mode = 'throw';
		await child.put('kept/bob', { body: 'x' }).catch(() => undefined);
		expect((await child.outbox.list()).map(({ url }) => new URL(url).pathname)).toEqual(['/kept/bob']);
		store.mode = 'up';
		await other.clear({ identity: 'bob' });
		await until(async () => (await child.outbox.list()).length === 0); // before: still listed (kept as ann's), then written again
		await child.put('kept/next', { body: 'y' }).catch(() => undefined);
		expect((await other.outbox.list()).map(({ url }) => new URL(url).pathname)).toEqual(['/kept/next']);
	});

	it('a stale copy: a clear of bob\'s through another client forgets it (never served)', async () => {
		const { store, child, other } = annBobAndBob(memoryStore('copies'), {});
		store.mode = 'throw';
		await child.get('json?id=kept-copy').json();
		await until(async () => (await child.cache.list()).length === 1);
		store.mode = 'up';
		await other.clear({ identity: 'bob' });
		await until(async () => (await child.cache.list()).length === 0); // before: still listed (kept as ann's), and served
		win.setOnline(false, false);
		await expect(child.get('json?id=kept-copy').json()).rejects.toThrow();
	});
});
