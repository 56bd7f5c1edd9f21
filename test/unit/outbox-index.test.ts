/** The outbox's in-memory view of its keys: what is listed when, and that the view stays right. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { QueueStore } from '../../src/outbox/queue-store.js';
import { makeKey } from '../../src/outbox/record.js';
import { fakeWindow, startHarness, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
});
afterEach(async () => {
	win.restore();
	await h.close();
});

/** A memory store that counts its listings; `holdNext()` makes the next one list at once but answer only on `release()`. */
const countingStore = () => {
	const inner = memoryStore('counting');
	const counts = { keys: 0 };
	let onListed: (() => void) | undefined;
	let release: (() => void) | undefined;
	const store: KeyValueStore = {
		get: async (key) => inner.get(key),
		set: async (key, value) => inner.set(key, value),
		delete: async (key) => inner.delete(key),
		clear: async () => inner.clear(),
		async keys() {
			counts.keys++;
			const listed = await inner.keys();
			if (onListed) {
				const listedNow = onListed;
				onListed = undefined;
				await new Promise<void>((resolve) => {
					release = resolve;
					listedNow();
				});
			}

			return listed;
		},
	};
	return {
		store,
		counts,
		/** Resolves once the next listing has read the keys. */
		async holdNext(): Promise<void> {
			return new Promise<void>((resolve) => {
				onListed = resolve;
			});
		},
		release: () => release!(),
	};
};

const key = (n: number, id = `e${n}`, scope = 'https://a.test') => makeKey('p', 1_700_000_000_000 + n, n, id, scope);
const record = { v: 1 };

describe('outbox key view', () => {
	it('offline, enqueues list the store once (the first), not once or twice per call', async () => {
		const counting = countingStore();
		const api = h.make({ outbox: true, store: () => counting.store });
		win.setOnline(false);
		for (let n = 0; n < 20; n++) {
			await expect(api.post('mutate?id=once', { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		expect(counting.counts.keys).toBe(1);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 20 }); // offline: no run, no listing
		expect(counting.counts.keys).toBe(1);
		expect(await api.outbox.size()).toBe(20); // size() lists
		expect(counting.counts.keys).toBe(2);
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 20, remaining: 0 }); // the drain lists under its lock
		expect(h.state.applied.get('once')!.map((entry) => JSON.parse(entry.body).n)).toEqual([...Array.from({ length: 20 }).keys()]);
	});

	it('offline, maxEntries counts from the view: entries already stored (a reload) and those of another client on the same store', async () => {
		const store = memoryStore('full');
		const first = h.make({ outbox: { maxEntries: 3 }, store: () => store });
		win.setOnline(false);
		await first.post('mutate?id=full').catch(() => undefined);
		first.close();
		const a = h.make({ outbox: { maxEntries: 3 }, store: () => store });
		const b = h.make({ outbox: { maxEntries: 3 }, store: () => store });
		await expect(a.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(b.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxQueuedError);
		const seen = h.seen.length;
		await expect(a.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxFullError);
		await expect(b.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxFullError);
		expect(h.seen).toHaveLength(seen);
		expect(await a.outbox.size()).toBe(3);
		// Delivered entries free their places, in both clients' view.
		win.setOnline(true, false);
		expect(await b.outbox.flush()).toMatchObject({ sent: 3, remaining: 0 });
		win.setOnline(false);
		await expect(a.post('mutate?id=full')).rejects.toBeInstanceOf(OutboxQueuedError);
	});

	it('online, a call lists the store: an entry written behind the view (another context) still holds its scope (FIFO)', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false);
		await api.post('mutate?id=behind', { json: { n: 0 } }).catch(() => undefined);
		win.setOnline(true, false);
		// Another context moves the entry to a new key that this client's view does not have.
		const [old] = (await h.store.keys()).filter((k) => k.startsWith('p|'));
		const value = await h.store.get(old!);
		await h.store.delete(old!);
		await h.store.set(old!.replace(/\|[^|]+\|([^|]+)$/, '|moved|$1'), value);
		const events = h.record(api, 'outbox:queued');
		await expect(api.post('mutate?id=behind', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(events).toMatchObject([{ code: 'BEHIND' }]);
	});

	it('a write that lands while the store is being listed is not lost from the view (nor a delete undone)', async () => {
		const counting = countingStore();
		const queue = new QueueStore(counting.store, () => undefined, 'unused');
		await queue.set(key(1), record);
		await queue.set(key(2), record);
		await queue.load();
		const listed = counting.holdNext();
		const listing = queue.keys(); // lists [1, 2] now, answers after release
		await listed;
		await queue.set(key(3), record);
		await queue.delete(key(1));
		counting.release();
		expect((await listing).map((entry) => entry.id)).toEqual(['e2', 'e3']);
		expect(queue.pending().length).toBe(2);
	});

	it('an older listing that answers after a newer one does not replace it', async () => {
		const counting = countingStore();
		const queue = new QueueStore(counting.store, () => undefined, 'unused');
		await queue.set(key(1), record);
		const listed = counting.holdNext();
		const older = queue.load(true); // lists [1], answers last
		await listed;
		await counting.store.set(key(2), record); // another context writes
		await queue.load(true); // lists [1, 2]
		counting.release();
		await older;
		expect(queue.pending().length).toBe(2);
	});

	it('a store that cannot list is reported; the entries known here still count', async () => {
		const inner = memoryStore('nolist');
		const errors: string[] = [];
		const queue = new QueueStore({ ...inner, keys: async () => Promise.reject(new Error('no')) }, (operation) => errors.push(operation), 'unused');
		await queue.set(key(1), record);
		expect((await queue.keys()).map((entry) => entry.id)).toEqual(['e1']);
		expect(errors).toEqual(['keys']);
	});
});
