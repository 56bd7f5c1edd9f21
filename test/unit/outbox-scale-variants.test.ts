/**
 * Defect hunt, fifth round (K): a write's cost stays flat as the outbox grows to 10,000 entries, with
 * `coalesce` too. The pending keys' ids are counted as they are read (round 4's PendingKeys check, here
 * through the queue: `parseKey` gives keys whose `id` counts), and the store's reads by a spy.
 */
import { describe, expect, it, vi } from 'vitest';
import { harnessEachTest, queued, spyStore, until, type Harness } from './outbox-helpers.js';

/** Reads of a pending key's `id` (every key the queue parses counts them). */
const idReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/outbox/record.js', async (original) => {
	const actual = await original<typeof import('../../src/outbox/record.js')>();
	return {
		...actual,
		parseKey: (key: string) => {
			const parsed = actual.parseKey(key);
			if (!parsed) {
				return parsed;
			}

			const { id, ...rest } = parsed;
			return { ...rest, get id() { idReads.count++; return id; } };
		},
	};
});

const { h, win } = harnessEachTest();

/**
 * 10,000 pending writes seeded in the scope of the entry `write` queues with a first client of
 * `options` (offline), each a copy of it dated before it (`url`: each one's URL, else the entry's).
 * `start()` then makes a client of `options` whose store counts its reads (`counter.reads`), and
 * resolves once its start has read every entry (offline, no pass runs).
 */
const seeded = async (options: Parameters<Harness['make']>[0], write: (api: ReturnType<Harness['make']>) => Promise<unknown>, url?: (index: number) => string, seed: Record<string, unknown> = {}) => {
	win.setOnline(false, false);
	const first = h.make(options);
	await queued(write(first));
	const [key] = await h.store.keys();
	const scope = key!.split('|')[4]!;
	const record = await h.store.get(key!) as { createdAt: number };
	first.close();
	for (let index = 1; index <= 10_000; index++) {
		const at = record.createdAt - 20_000 + index;
		await h.store.set(`p|${String(at).padStart(15, '0')}|000000|seed-${index}|${scope}`, { ...record, id: `seed-${index}`, idempotencyKey: `seed-${index}`, ...url && { url: url(index) }, createdAt: at, nextAttemptAt: at, ...seed });
	}

	return async () => {
		const counter = { reads: 0 };
		const counted = spyStore(h.store, {
			get: async (_key, run) => {
				counter.reads++;
				return run();
			},
		});
		const api = h.make({ ...options, store: () => counted });
		// The client's start reads every entry once (to count the pending writes per URL; offline, no pass runs).
		await until(async () => counter.reads >= 10_001, 20_000);
		await until(async () => (await api.outbox.size()) === 10_001, 20_000);
		counter.reads = 0;
		return { api, counter };
	};
};

describe('outbox at 10,000 pending entries (defect hunt, fifth round)', () => {
	it('a coalescing PUT after a reload reads no other URL\'s entry and looks at no other entry: its cost is flat', async () => {
		const start = await seeded({ outbox: { coalesce: true, maxEntries: 20_000 } }, async (api) => api.put('todos/0', { json: { n: 0 } }), (index) => `${h.api.url}/todos/${index}`);
		const { api, counter } = await start();
		idReads.count = 0;
		await queued(api.put('todos/77', { json: { n: 1 } }));
		// The entry it supersedes: 10,001 reads before (every entry's record, to learn its URL).
		expect({ reads: counter.reads, ids: idReads.count < 50 }).toEqual({ reads: 1, ids: true });
		counter.reads = 0;
		idReads.count = 0;
		await queued(api.put('todos/78', { json: { n: 1 } }));
		expect({ reads: counter.reads, ids: idReads.count < 50 }).toEqual({ reads: 1, ids: true });
		const ids = (await api.outbox.list()).map((each) => each.id);
		expect([ids.length, ids.includes('seed-77'), ids.includes('seed-78'), ids.includes('seed-79')]).toEqual([10_001, false, false, true]);
	}, 60_000);

	it('a write of the identity signed in, while 10,000 writes of another are pending in its scope (kept for them), reads none of them and looks at none per call', async () => {
		let who = 'ann';
		const start = await seeded({ identity: () => who, outbox: { maxEntries: 20_000 } }, async (api) => api.post('todos', { json: { n: 0 } }));
		who = 'bob';
		const { api, counter } = await start();
		win.setOnline(true, false);
		for (const n of [1, 2, 3]) {
			counter.reads = 0;
			idReads.count = 0;
			expect((await api.post('echo', { json: { n } })).status).toBe(200); // Nothing of bob's waits: it goes out.
			// The first good answer lists the store (as every 10 s at most: its ids are read then); after it, a call looks at no entry.
			// Before: 10,001 reads for the first (each of ann's records, to learn whose it is), then 10,001 ids per write.
			expect({ n, reads: counter.reads, ids: n === 1 || idReads.count < 50 }).toEqual({ n, reads: 0, ids: true });
		}

		expect(await api.outbox.size()).toBe(10_001); // Ann's, untouched.
	}, 60_000);

	it('a pass that replays the signed-in identity\'s write behind 10,000 of another\'s reads none of theirs once it knows whose they are', async () => {
		let who = 'ann';
		const start = await seeded({ identity: () => who, outbox: { maxEntries: 20_000 } }, async (api) => api.post('todos', { json: { n: 0 } }));
		who = 'bob';
		const { api, counter } = await start();
		await queued(api.post('echo', { json: { by: 'bob' } }));
		win.setOnline(true, false);
		for (const n of [1, 2]) {
			counter.reads = 0;
			const result = await api.outbox.flush();
			// Bob's write, sent by the first; ann's entries read before: 10,001 (and 10,001 again by each pass).
			expect({ n, sent: result.sent, reads: counter.reads < 20 }).toEqual({ n, sent: n === 1 ? 1 : 0, reads: true });
		}

		expect(await api.outbox.size()).toBe(10_001); // Ann's, untouched.
	}, 60_000);

	it('a pass behind 10,000 writes of a newer app version (left alone, pending) reads none of them again while their retention cannot have ended (defect hunt, eighth round)', async () => {
		const start = await seeded({ outbox: { maxEntries: 20_000 } }, async (api) => api.post('echo', { json: { n: 0 } }), undefined, { version: 2 });
		const { api, counter } = await start();
		await queued(api.post('echo', { json: { n: 1 } }));
		win.setOnline(true, false);
		for (const n of [1, 2]) {
			counter.reads = 0;
			const result = await api.outbox.flush();
			// The two writes of this version, sent by the first; before: 10,000 reads of the newer version's records by each pass.
			expect({ n, sent: result.sent, reads: counter.reads < 20 }).toEqual({ n, sent: n === 1 ? 2 : 0, reads: true });
		}

		expect(await api.outbox.size()).toBe(10_000); // The newer version's, left alone.
		// Once their retention can have ended, a pass reads them: they are dead letters ('expired').
		h.clock.advance(604_800_001);
		expect(await api.outbox.flush()).toMatchObject({ dead: 10_000, remaining: 0 });
	}, 60_000);
});


describe('dead letters at 10,000 (defect hunt, fifth round)', () => {
	it('retry(id) of one reads its record and its dependents\', not every dead letter\'s: retrying each in turn is not quadratic', async () => {
		win.setOnline(false, false);
		const first = h.make();
		await queued(first.post('todos', { json: { n: 0 } }));
		const [key] = await h.store.keys();
		const scope = key!.split('|')[4]!;
		const record = await h.store.get(key!) as { createdAt: number };
		first.close();
		await h.store.delete(key!);
		for (let index = 1; index <= 10_000; index++) {
			const at = record.createdAt - 20_000 + index;
			await h.store.set(`d|${String(at).padStart(15, '0')}|000000|dead-${index}|${scope}`, { ...record, id: `dead-${index}`, idempotencyKey: `dead-${index}`, createdAt: at, nextAttemptAt: at, deadReason: 'rejected' });
		}

		let reads = 0;
		const counted = spyStore(h.store, {
			get: async (_key, run) => {
				reads++;
				return run();
			},
		});
		const api = h.make({ store: () => counted });
		await until(async () => (await api.outbox.deadLetters()).length === 10_000, 20_000);
		reads = 0;
		await api.outbox.retry('dead-5000');
		// Its own record: every dead letter's before (10,001 reads), to find those made dead for it.
		expect(reads).toBe(1);
		expect(await api.outbox.size()).toBe(1);
	}, 60_000);
});

describe('kept values at 10,000 (defect hunt, fifth round)', () => {
	it('a pass reads no kept value (outbox.ref()) before its 24 h can have passed: a write\'s replay does not read all of them', async () => {
		const now = h.clock.now();
		for (let index = 0; index < 10_000; index++) {
			await h.store.set(`v|kept-${index}`, { v: 1, values: { '/id': index }, at: now });
		}

		let reads = 0;
		const counted = spyStore(h.store, {
			get: async (_key, run) => {
				reads++;
				return run();
			},
		});
		win.setOnline(false, false);
		const api = h.make({ store: () => counted });
		for (const n of [1, 2, 3]) {
			win.setOnline(false, false);
			await queued(api.post('echo', { json: { n } }));
			win.setOnline(true, false);
			reads = 0;
			expect((await api.outbox.flush()).sent).toBe(1);
			// The first pass reads each once (when it may go); the next read none: 10,002 reads each before.
			expect({ n, reads: n === 1 || reads < 20 }).toEqual({ n, reads: true });
		}

		// Once 24 h passed (no dependent of theirs stored), a pass removes them all.
		h.clock.advance(86_400_000);
		win.setOnline(false, false);
		await queued(api.post('echo', { json: { n: 4 } }));
		win.setOnline(true, false);
		expect((await api.outbox.flush()).sent).toBe(1);
		expect((await h.store.keys()).filter((key) => key.startsWith('v|'))).toEqual([]);
	}, 60_000);
});

