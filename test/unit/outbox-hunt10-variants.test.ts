/**
 * Defect hunt, tenth round (D): offline writes for real apps — variants of dependent writes
 * (`outbox.ref()`) recorded by another client of the name while a replay is in flight, on a store that
 * fails one read (the Standards: storage failures never fail a request; API.md "Writes that depend on
 * earlier writes": "`ref(entryId, pointer)` records the pointer with the stored entry, so whichever tab
 * delivers it keeps the value"); a store that stops answering reads in the middle of a long listing (never
 * a stall); `coalesce` and an entry a pointer was just asked of ("an entry that others depend on is never
 * superseded"); `retry(id)` while a pass buries the entry (nothing lost); FIFO when a rewritten entry is not
 * written back. ManualClock, random 0.5, the real loopback API.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { harnessEachTest, gate, holdingRecordReads, spyStore, throwIfOffline, until, type Harness } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** The harness's store, whose next read of a pending record of the entry `failNextRead(id)` names fails (an aborted transaction), once. */
const failingOnce = () => {
	let failNext = '';
	const store = spyStore(h.store, {
		get: async (key, run) => {
			if (failNext && key.startsWith('p|') && key.includes(failNext)) {
				failNext = '';
				throw new DOMException('The transaction was aborted', 'AbortError');
			}

			return run();
		},
	});
	return { store, failNextRead: (id: string) => {
		failNext = id;
	} };
};

/** The harness's store, whose next delete of a pending key of the entry `holdDeleteOf(id)` names waits for `release` (`deleting` opens as it starts). */
const holdingPendingDelete = () => {
	let held = '';
	const deleting = gate();
	const release = gate();
	const store = spyStore(h.store, {
		delete: async (key, run) => {
			if (held && key.startsWith('p|') && key.includes(held)) {
				held = '';
				deleting.open();
				await release.wait;
			}

			return run();
		},
	});
	return { store, deleting, release, holdDeleteOf: (id: string) => {
		held = id;
	} };
};

/** A fetch that holds the next request whose URL holds `part` once `hold()` was called, until `release()`; `answered` runs as its answer comes. */
const holding = (part: string, answered: () => void) => {
	const inFlight = gate();
	const release = gate();
	let held = false;
	const fetchHeld = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
		throwIfOffline();
		if (held && (input as Request).url.includes(part)) {
			held = false;
			inFlight.open();
			await release.wait;
			const response = await fetch(input, init);
			answered();
			return response;
		}

		return fetch(input, init);
	};
	return { fetch: fetchHeld, inFlight, release, hold: () => { held = true; } };
};

type Client = ReturnType<Harness['make']>;

/**
 * A parent (`parentPath`) queued offline, then replayed and held in flight while a dependent holding `ref(parent, '/key')`
 * is queued through `dependentVia(api)` (another client of the name); `answered(parent)` runs as the replay's answer comes
 * (the store's reads of the parent fail from then on, as the test sets). With `closeFirst`, that client is closed before
 * the answer is let through (another tab gone). Resolves once that pass is over.
 */
const dependentDuringFlight = async (parentPath: string, store: Harness['store'], answered: (parent: string) => void, dependentVia: (api: Client) => Client, closeFirst: boolean) => {
	const held = holding('id=parent', () => {
		answered(parent);
	});
	const api = h.make({ store: () => store, fetch: held.fetch });
	const errors = h.record(api, 'storage:error');
	win.setOnline(false, false);
	const parent: string = await api.post(parentPath, { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
	win.setOnline(true, false);
	held.hold();
	const flushed = api.outbox.flush();
	await held.inFlight.wait;
	const other = dependentVia(api);
	const child = await other.patch('mutate?id=child', { json: { parentKey: other.outbox.ref(parent, '/key') } }).then(() => 'sent', (error: unknown) => error);
	expect(child).toBeInstanceOf(OutboxQueuedError);
	if (closeFirst) {
		other.close();
	}

	held.release.open();
	await flushed;
	return { api, errors, other };
};

/** The dependent went out with the parent's value: no dead letter, nothing pending. */
const expectDelivered = async (api: Client): Promise<void> => {
	const [sent] = h.state.applied.get('child') ?? [];
	expect({ dead: (await api.outbox.deadLetters()).map((each) => each.deadReason), size: await api.outbox.size(), parentKey: sent && JSON.parse(sent.body).parentKey })
		.toEqual({ dead: [], size: 0, parentKey: h.state.applied.get('parent')![0]!.key });
};

describe('a dependent queued by another client of the name while its parent\'s replay is in flight', () => {
	it('the replay fails (503) and the read as its entry is written back fails once: the dependent still goes out with the value, never a \'parent\' dead letter', async () => {
		const { store, failNextRead } = failingOnce();
		// The next read of the parent's record after its replay's answer (the one made to write it back) fails; another client of
		// the name (another tab's) queues a write holding a placeholder of the entry in flight.
		const { api, errors } = await dependentDuringFlight('mutate?id=parent&fail=503&times=1', store, failNextRead, () => h.make({ store: () => store }), true);
		await until(() => errors.length > 0);
		h.clock.advance(60_000);
		await api.outbox.flush();
		h.clock.advance(60_000);
		await api.outbox.flush();
		await expectDelivered(api);
	});
});

describe('a store that stops answering reads in the middle of a long outbox', () => {
	// The window counted (list(), then stats()) lasts two deadlines: 40 ms, or far longer on a busy machine, whose timers
	// fire late. Passes of the drain read records too, in the background: the client's start (a timer's), then the drain's
	// timer for the offline probe's backoff (the harness's 1 s, real ms). The start is over before the store stops
	// answering, and the backoff is minutes: no pass runs in the window however long it lasts (the 400 ms row: a window
	// longer than that 1 s backoff's 500 ms, as under load; with the old set-up it counted 3 to 5 reads).
	it.each([20, 400])('list() and stats() wait for one read the store does not answer, not one per entry (storage:error, never a stall; storageTimeoutMs %i)', async (storageTimeoutMs) => {
		let hung = false;
		let reads = 0;
		let before = 0;
		const store = spyStore(h.store, {
			get: async (key, run) => {
				if (hung && /^[pd]\|/.test(key)) {
					reads++;
					return new Promise(() => undefined); // IndexedDB blocked: the read never settles.
				}

				before += key.startsWith('p|') ? 1 : 0;
				return run();
			},
		});
		// A write's replay that fails waits minutes (real ms: the drain's timer), not the harness's 1 s.
		const api = h.make({ store: () => store, storageTimeoutMs, outbox: { baseBackoffMs: 600_000 } });
		const errors = h.record(api, 'storage:error');
		win.setOnline(false, false);
		for (let n = 0; n < 40; n++) {
			await expect(api.post(`mutate?id=long-${n}`, { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		// The client's start (a timer's: its count of each record queued, and its first drain) is over, and no drain runs.
		await until(() => before >= 40);
		await api.outbox.flush();
		hung = true;
		/** What `run` gave, and how many reads of a record it waited for. */
		const counted = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
			const before = reads;
			const value = await run();
			return [value, reads - before];
		};
		const [listed, listReads] = await counted(async () => api.outbox.list());
		const [stats, statsReads] = await counted(async () => api.outbox.stats());
		// One read each, not 40; list() shows and stats() counts the entries it did not read, as size() does (their bytes
		// unknown, shown as not read).
		expect({ reads: [listReads, statsReads], listed: listed.length, notRead: listed.filter(({ lastError }) => lastError?.code === 'TIMEOUT').length, stats: stats.entries, errors: errors.length > 0 })
			.toEqual({ reads: [1, 1], listed: 40, notRead: 40, stats: 40, errors: true });
	});
});

describe('coalesce and an entry a placeholder was just asked of (outbox.ref())', () => {
	it('a PUT of its URL made right after ref() does not supersede it: the call holding the placeholder is queued behind it, and both PUTs go out', async () => {
		// The store is slow to answer the read ref() makes to record its pointer with the entry (IndexedDB on a busy device).
		const held = holdingRecordReads(h.store);
		const api = h.make({ store: () => held.store, outbox: { coalesce: true } });
		win.setOnline(false, false);
		const first: string = await api.put('mutate?id=doc', { json: { v: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		held.holdNextRead();
		const placeholder = api.outbox.ref(first, '/key');
		await held.reading.wait;
		const second = await api.put('mutate?id=doc', { json: { v: 2 } }).then(() => 'sent', (error: unknown) => error);
		held.resume.open();
		const child = await api.post(`mutate?id=child&parent=${placeholder}`, { json: {} }).then(() => 'sent', (error: unknown) => error);
		expect({ second: second instanceof OutboxQueuedError, child: child instanceof OutboxQueuedError ? 'queued' : String(child), first: (await api.outbox.list()).some((each) => each.id === first) })
			.toEqual({ second: true, child: 'queued', first: true });
		win.setOnline(true, false);
		await api.outbox.flush();
		const [made] = h.state.applied.get('doc')!;
		expect({ doc: h.state.applied.get('doc')!.map((each) => JSON.parse(each.body).v), parent: new URL(h.sentOf('child')[0]!.url).searchParams.get('parent') })
			.toEqual({ doc: [1, 2], parent: made!.key });
	});
});

describe('retry(id) through another client of the name while a pass is making the entry a dead letter', () => {
	it('the entry is pending again once the burial is done, never lost between the two (its dead key written, its pending key not yet removed)', async () => {
		const { store, deleting, release, holdDeleteOf } = holdingPendingDelete();
		const api = h.make({ store: () => store });
		win.setOnline(false, false);
		const id: string = await api.post('mutate?id=buried&fail=422&times=1', { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		win.setOnline(true, false);
		holdDeleteOf(id);
		const flushed = api.outbox.flush();
		await deleting.wait; // Its dead key is written; its pending key's delete is under way.
		const other = h.make({ store: () => store });
		let settled = false;
		const retried = other.outbox.retry(id).then(() => 'revived', (error: unknown) => String(error)).finally(() => {
			settled = true;
		});
		// The retry is done, or waits for the entry (its lock).
		await until(async () => settled || ((await navigator.locks.query()).pending ?? []).some((each) => each.name?.endsWith(`#${id}`)));
		release.open();
		await flushed;
		expect(await retried).toBe('revived');
		// Delivered (by either client), or still queued: never gone unsent.
		await until(async () => h.state.applied.has('buried') || (await api.outbox.flush()).sent > 0 || (await h.store.keys()).length === 0);
		expect({ applied: h.state.applied.get('buried')?.length ?? 0, left: await h.store.keys() }).toEqual({ applied: 1, left: [] });
	});
});

describe('an entry migrate() or onConflict rewrites while the store does not answer the read made to write it back', () => {
	for (const through of ['migrate', 'onConflict'] as const) {
		it(`nothing is written, the entry stays pending, and a later write of its scope waits behind it (FIFO) (${through})`, async () => {
			const { store, failNextRead } = failingOnce();
			const before = h.make({ store: () => store });
			win.setOnline(false, false);
			const first: string = await before.post(`mutate?id=first&fail=${through === 'onConflict' ? 412 : ''}&times=1`, { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
			await expect(before.post('mutate?id=second', { json: { n: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
			before.close();
			// The app's answer comes; the next read of the entry (to write the new one back) fails, once.
			let armed = true;
			const failing = <T>(value: T): T => {
				failNextRead(armed ? first : '');
				armed = false;
				return value;
			};
			const api = h.make({ store: () => store, outbox: through === 'migrate'
				? { version: 2, migrate: (entry) => failing({ ...entry, headers: { ...entry.headers, 'x-version': '2' } }) }
				: { onConflict: () => failing({ json: { n: 1, rebased: true } }) } });
			win.setOnline(true, false);
			await api.outbox.flush();
			expect({ first: h.state.applied.get('first')?.length ?? 0, second: h.state.applied.get('second')?.length ?? 0, pending: (await api.outbox.list()).length })
				.toEqual({ first: 0, second: 0, pending: 2 });
			h.clock.advance(60_000);
			await api.outbox.flush();
			expect([...h.state.applied.keys()]).toEqual(['first', 'second']);
		});
	}
});

describe('retry(id) of a parent through another client of the name while a pass is making its dependent a \'parent\' dead letter (second pass)', () => {
	it('the dependent is pending again with it once its burial is done, and goes out with the value: never lost between the two', async () => {
		const { store, deleting, release, holdDeleteOf } = holdingPendingDelete();
		const api = h.make({ store: () => store });
		win.setOnline(false, false);
		const parent: string = await api.post('mutate?id=parent&fail=422&times=1', { json: { n: 1 } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		const child: string = await api.patch('mutate?id=child', { json: { parentKey: api.outbox.ref(parent, '/key') } }).then(() => 'sent', (error: { entryId: string }) => error.entryId);
		win.setOnline(true, false);
		holdDeleteOf(child);
		const flushed = api.outbox.flush();
		await deleting.wait; // The parent is a dead letter; its dependent's dead key is written, its pending key's delete under way.
		const other = h.make({ store: () => store });
		let settled = false;
		const retried = other.outbox.retry(parent).then(() => 'revived', (error: unknown) => String(error)).finally(() => {
			settled = true;
		});
		// The retry is done, or waits for the dependent (its lock).
		await until(async () => settled || ((await navigator.locks.query()).pending ?? []).some((each) => each.name?.endsWith(`#${child}`)));
		release.open();
		await flushed;
		expect(await retried).toBe('revived');
		other.close();
		h.clock.advance(60_000);
		await api.outbox.flush();
		h.clock.advance(60_000);
		await api.outbox.flush();
		const [sent] = h.state.applied.get('child') ?? [];
		expect({ dead: (await api.outbox.deadLetters()).map((each) => each.deadReason), size: await api.outbox.size(), parentKey: sent && JSON.parse(sent.body).parentKey })
			.toEqual({ dead: [], size: 0, parentKey: h.state.applied.get('parent')![0]!.key });
	});
});

describe('a dependent queued by another client of the name (another tab) while its parent\'s replay is in flight, and the delivery\'s read fails once (second pass)', () => {
	it('the parent is delivered and the read of its record to keep its values fails once: the dependent still goes out with the value, never a \'parent\' dead letter', async () => {
		const { store, failNextRead } = failingOnce();
		// The next read of the parent's record after its replay's answer (the one its delivery makes to keep the values asked) fails.
		const { api, errors } = await dependentDuringFlight('mutate?id=parent', store, failNextRead, () => h.make({ store: () => store }), true);
		expect(errors.length).toBeGreaterThan(0);
		h.clock.advance(60_000);
		await api.outbox.flush();
		await expectDelivered(api);
	});
});

describe('a dependent queued through an extend()ed client while its parent\'s replay is in flight, and the store stops answering the parent\'s reads (second pass)', () => {
	it('the parent is delivered and no read of its record is answered: the dependent still goes out with the value the client of the name asked for, never a \'parent\' dead letter', async () => {
		let failing = '';
		const store = spyStore(h.store, {
			get: async (key, run) => {
				if (failing && key.startsWith('p|') && key.includes(failing)) {
					throw new DOMException('The transaction was aborted', 'AbortError');
				}

				return run();
			},
		});
		// From the replay's answer on, the store answers no read of the parent's record; another client of the name in this
		// realm (extend(): one outbox) queues a write holding a placeholder of the entry in flight.
		const { api, errors, other } = await dependentDuringFlight('mutate?id=parent', store, (parent) => {
			failing = parent;
		}, (client) => client.extend({ headers: { 'x-view': 'list' } }), false);
		expect(errors.length).toBeGreaterThan(0);
		failing = '';
		h.clock.advance(60_000);
		await api.outbox.flush();
		other.close();
		await expectDelivered(api);
	});
});
