/**
 * The outbox as it grows: the store work of a queued write stays the same at the 1,000th as at the
 * first (no listing of the store per write), and what a cheaper path could break holds — another
 * client's entries on the same store count toward `maxEntries` and hold this client's writes (FIFO),
 * also when that client delivered and queued as many as this one knew of, and a write queued by a
 * client that is gone (an isolate) is still replayed.
 */
import { describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { until, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** What a client asked of its store: operations, listings, and keys it was handed by them. */
interface Work {
	calls: number;
	listings: number;
	keysRead: number;
}

/** A memory store that counts the work asked of it; `span: false`: a store that cannot answer `span` (listed instead). */
const countingStore = (span = true): { store: KeyValueStore; work: Work } => {
	const inner = memoryStore('scale');
	const work: Work = { calls: 0, listings: 0, keysRead: 0 };
	const store: KeyValueStore = {
		get: async (key) => (work.calls++, inner.get(key)),
		set: async (key, value) => (work.calls++, inner.set(key, value)),
		delete: async (key) => (work.calls++, inner.delete(key)),
		clear: async () => (work.calls++, inner.clear()),
		async keys() {
			work.calls++;
			work.listings++;
			const keys = await inner.keys();
			work.keysRead += keys.length;
			return keys;
		},
		...span && { span: async (prefix: string) => (work.calls++, inner.span!(prefix)) },
	};
	return { store, work };
};

const bodies = (id: string) => (h.state.applied.get(id) ?? []).map((entry) => JSON.parse(entry.body).n as number);

describe('outbox at scale', () => {
	it('queuing the last fifth of 1,000 writes asks the store no more per write than the first fifth (store calls, keys listed); each delivered once, in order', async () => {
		const count = 1000;
		const { store, work } = countingStore();
		const api = h.make({ store: () => store, outbox: { maxEntries: 5000 } });
		win.setOnline(false);
		const marks: Work[] = [];
		for (let n = 0; n < count; n++) {
			if (n % (count / 5) === 0) {
				marks.push({ ...work });
			}

			await expect(api.post('mutate?id=scale', { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		marks.push({ ...work });
		const perWrite = (fifth: number, what: keyof Work) => (marks[fifth + 1]![what] - marks[fifth]![what]) / (count / 5);
		expect(perWrite(4, 'calls')).toBeLessThanOrEqual(1.5 * perWrite(0, 'calls'));
		expect(perWrite(4, 'keysRead')).toBeLessThanOrEqual(1.5 * perWrite(0, 'keysRead'));
		expect(work.listings).toBeLessThanOrEqual(2); // The first pass's, at most one more.
		win.setOnline(true, false);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(bodies('scale')).toEqual(Array.from({ length: count }, (_, n) => n));
	}, 60_000);

	it('a store without span() is listed once per maxEntries / 4 queued writes, not per write; each delivered once, in order', async () => {
		const count = 400;
		const { store, work } = countingStore(false);
		const api = h.make({ store: () => store, outbox: { maxEntries: 400 } });
		win.setOnline(false);
		for (let n = 0; n < count; n++) {
			await expect(api.post('mutate?id=unspanned', { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		expect(work.listings).toBeLessThanOrEqual(1 + count / 100);
		await expect(api.post('mutate?id=unspanned', { json: { n: count } })).rejects.toBeInstanceOf(OutboxFullError);
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(bodies('unspanned')).toEqual(Array.from({ length: count }, (_, n) => n));
	}, 60_000);

	it('coalescing (coalesce: true) reads only the entries of the written URL: the store work per PUT at the last fifth of 500 is at most 1.5x the first; the superseded ones go', async () => {
		const count = 500;
		const { store, work } = countingStore();
		const api = h.make({ store: () => store, outbox: { maxEntries: 5000, coalesce: true } });
		win.setOnline(false);
		const marks: Work[] = [];
		for (let n = 0; n < count; n++) {
			if (n % (count / 5) === 0) {
				marks.push({ ...work });
			}

			await expect(api.put(`mutate?id=coalesce-${Math.floor(n / 2)}`, { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		marks.push({ ...work });
		const perWrite = (fifth: number) => (marks[fifth + 1]!.calls - marks[fifth]!.calls) / (count / 5);
		expect(perWrite(4)).toBeLessThanOrEqual(1.5 * perWrite(0));
		expect(await api.outbox.size()).toBe(count / 2); // The second PUT of each URL superseded the first.
	}, 60_000);

	it('another client on the store delivered what this one knew of and queued as many: its entries count toward maxEntries and hold this client\'s write (FIFO)', async () => {
		const a = h.make({ outbox: { maxEntries: 2 } });
		const b = h.make({ outbox: { maxEntries: 2 } });
		win.setOnline(false);
		await expect(a.post('mutate?id=swap', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(a.post('mutate?id=swap', { json: { n: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(a.post('mutate?id=swap', { json: { n: 0 } })).rejects.toBeInstanceOf(OutboxFullError);
		// b delivers a's two, then queues one: a knew of two entries, the store has one a never saw.
		win.setOnline(true, false);
		expect(await b.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		win.setOnline(false);
		await expect(b.post('mutate?id=swap', { json: { n: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// a counts b's entry (one place left), and its next write waits behind it.
		win.setOnline(true, false);
		h.clock.advance(60_000);
		const queued = h.record(a, 'outbox:queued');
		await expect(a.post('mutate?id=swap', { json: { n: 4 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(queued).toMatchObject([{ code: 'BEHIND' }]);
		await expect(a.post('mutate?id=swap', { json: { n: 5 } })).rejects.toBeInstanceOf(OutboxFullError);
		await a.outbox.flush();
		expect(bodies('swap')).toEqual([1, 2, 3, 4]);
	});

	it('the same with one entry swapped for another (the count unchanged): the write still waits behind the entry it never saw', async () => {
		const a = h.make({ outbox: true });
		const b = h.make({ outbox: true });
		win.setOnline(false);
		await expect(a.post('mutate?id=same-count', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		win.setOnline(true, false);
		expect(await b.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		win.setOnline(false);
		await expect(b.post('mutate?id=same-count', { json: { n: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		win.setOnline(true, false);
		h.clock.advance(60_000);
		const queued = h.record(a, 'outbox:queued');
		await expect(a.post('mutate?id=same-count', { json: { n: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(queued).toMatchObject([{ code: 'BEHIND' }]);
		await a.outbox.flush();
		expect(bodies('same-count')).toEqual([1, 2, 3]);
	});

	for (const span of [true, false]) {
		it(`a write queued by a client that is gone (an isolate) is replayed by another on the store after a good answer, with no write or flush of its own${span ? '' : ' (a store without span)'}`, async () => {
			const { store } = countingStore(span);
			const survivor = h.make({ store: () => store });
			expect((await survivor.get('json?id=one')).status).toBe(200); // Started, its first drain and listing done.
			await until(async () => (await survivor.outbox.size()) === 0);
			const gone = h.make({ store: () => store });
			win.setOnline(false);
			await expect(gone.post('mutate?id=gone', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
			gone.close();
			win.setOnline(true, false);
			h.clock.advance(60_000); // Past the entry's backoff and the 10 s between listings on a good answer.
			expect((await survivor.get('json?id=two')).status).toBe(200);
			await until(() => bodies('gone').length === 1);
			await until(async () => (await survivor.outbox.size()) === 0);
			expect(bodies('gone')).toEqual([1]);
		});
	}
});
