/**
 * Sixth round's variants of work bound to who started it, and offline writes for real apps (API.md
 * "Identity", "Work that outlives its caller", "Offline writes for real apps").
 */
import { describe, expect, it } from 'vitest';
import { harnessEachTest, holdingRecordReads, queueOffline, spyStore, throwIfOffline, withoutLocks } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe.each([['with Web Locks', false], ['without Web Locks (as workerd)', true]] as const)('clear({ identity }) (%s)', (_name, noLocks) => {
	const run = async (task: () => Promise<void>) => (noLocks ? withoutLocks(task) : task());

	it('retry(id) of ann\'s dead letter while bob is signed in, racing clear({ identity: \'ann\' }): it does not come back', async () => run(async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store, 'd|');
		let who = 'ann';
		const api = h.make({ identity: () => who, outbox: true, store: () => store });
		const entry = await queueOffline(win, api, async () => api.post('status/400?id=revive-ann'));
		await api.outbox.flush();
		expect(await api.outbox.deadLetters()).toHaveLength(1);
		who = 'bob';
		holdNextRead();
		const retrying = api.outbox.retry(entry.id).catch((error: unknown) => error);
		await reading.wait;
		await api.clear({ identity: 'ann' });
		resume.open();
		await retrying;
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		who = 'ann';
		await api.outbox.flush();
		expect(h.sentOf('revive-ann')).toHaveLength(1);
	}));
});

describe('outbox.ref() vs a clear of another identity', () => {
	it('bob\'s ref() made as his entry is delivered keeps its value through clear({ identity: \'ann\' })', async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store);
		let holdAtAnswer = false;
		const api = h.make({
			identity: () => 'bob', store: () => store,
			fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
				throwIfOffline();
				if (holdAtAnswer && (input as Request).url.includes('id=asked-parent')) {
					holdAtAnswer = false;
					holdNextRead(); // The delivery's read of its record, to keep the values asked of it.
				}

				return fetch(input, init);
			},
		});
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=asked-parent', { json: { a: 1 } }));
		holdAtAnswer = true;
		const flushing = api.outbox.flush();
		await reading.wait;
		const key = api.outbox.ref(entry.id, '/key');
		const clearing = api.clear({ identity: 'ann' });
		resume.open();
		expect(await flushing).toMatchObject({ sent: 1 });
		await clearing;
		const answer = await api.post('mutate?id=asked-child', { json: { parent: key } }).json<{ applied: boolean }>();
		expect(answer.applied).toBe(true); // before: InvalidRequestError (the value of '/key' was not kept)
		expect(JSON.parse(h.state.applied.get('asked-child')![0]!.body)).toEqual({ parent: entry.idempotencyKey });
	});
});

describe('a parent that will never be delivered makes its dependents dead letters at once', () => {
	const queuedId = async (promise: Promise<unknown>): Promise<string> => promise.then(() => '', (error: { entryId: string }) => error.entryId);

	it('discard(parent): its dependent (and theirs) are \'parent\' dead letters (outbox:dead), not listed pending', async () => {
		const api = h.make({});
		const dead = h.record(api, 'outbox:dead');
		win.setOnline(false, false);
		const parent = await queuedId(api.post('mutate?id=orphan-parent', { json: {} }));
		const child = await queuedId(api.patch(`mutate?id=orphan-child&of=${api.outbox.ref(parent, '/key')}`, { json: {} }));
		const grandchild = await queuedId(api.patch(`mutate?id=orphan-grandchild&of=${api.outbox.ref(child, '/key')}`, { json: {} }));
		await api.outbox.discard(parent);
		expect(await api.outbox.list()).toEqual([]); // before: both listed pending
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[child, 'parent'], [grandchild, 'parent']]);
		expect(dead.map((event) => (event as { entryId?: string }).entryId)).toEqual([child, grandchild]);
		win.setOnline(true, false);
		await api.outbox.flush();
		expect(h.sentOf('orphan')).toEqual([]);
	});

	it('a parent rejected by its replay: its dependent behind a write that failed again is a dead letter after that flush', async () => {
		const api = h.make({});
		win.setOnline(false, false);
		const parent = await queuedId(api.post('status/400?id=orphan-rejected', { json: {} }));
		await queuedId(api.post('status/503?id=orphan-between', { json: {} }));
		const child = await queuedId(api.patch(`mutate?id=orphan-blocked&of=${api.outbox.ref(parent, '/key')}`, { json: {} }));
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
		expect((await api.outbox.deadLetters()).map(({ id, deadReason }) => [id, deadReason])).toEqual([[parent, 'rejected'], [child, 'parent']]); // before: [parent] only
		expect((await api.outbox.list()).map(({ url }) => url)).toEqual([`${h.api.url}/status/503?id=orphan-between`]);
		await api.outbox.retry(parent); // retry(parentId) takes its dependents back too.
		expect((await api.outbox.list()).map(({ id }) => id)).toEqual(expect.arrayContaining([parent, child]));
	});
});

describe('outbox.stats()', () => {
	it('lists the store once and reads each record once, pending and dead alike', async () => {
		let listings = 0;
		let reads = 0;
		const store = spyStore(h.store, {
			keys: async (run) => {
				listings++;
				return run();
			},
			get: async (key, run) => {
				reads += key.startsWith('p|') || key.startsWith('d|') ? 1 : 0;
				return run();
			},
		});
		const api = h.make({ store: () => store });
		await queueOffline(win, api, async () => api.post('status/400?id=stats-dead', { json: { a: 1 } }));
		await api.outbox.flush();
		await queueOffline(win, api, async () => api.post('mutate?id=stats-pending', { body: 'abc' }));
		[listings, reads] = [0, 0];
		expect(await api.outbox.stats()).toEqual({ entries: 1, dead: 1, bytes: 10 });
		expect([listings, reads]).toEqual([1, 2]); // before: [2, 2], the store listed twice
	});
});

describe('outbox.ref() racing a clear of its identity through another client of the name', () => {
	it('the pointer it records is not written once the entry was cleared: the entry does not come back', async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store);
		const api = h.make({ identity: () => 'ann', store: () => store });
		const other = api.extend({}); // Shares the store and the world, not this client's queue.
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=asked-cleared', { json: {} }));
		holdNextRead();
		api.outbox.ref(entry.id, '/key'); // Records '/key' with the stored entry (its read held).
		await reading.wait;
		await other.clear({ identity: 'ann' });
		resume.open();
		// Once the recording is done: it holds the entry's own lock (`Queue.entryLock`).
		await navigator.locks.request(`steadfetch:steadfetch/outbox#${entry.id}`, async () => undefined);
		expect(await h.store.keys()).toEqual([]); // before: the entry written back by ref()'s recording
	});
});
