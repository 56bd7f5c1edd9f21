/**
 * Defect hunt, fifteenth round, second pass: the outbox. Leads of the first pass: a key of the outbox whose value the store
 * gives back as nothing (`undefined`), pending or dead, and a `discard(id)` of an entry delivered while its kept values
 * (`v|`) wait for the store. A second client on the same store stands for a reload.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { InvalidRequestError, OutboxQueuedError, type outbox, type KeyValueStore } from '../../src/entries/index.js';
import { holdTodos, outboxOnStore, queueTodo, quota, refDelivered, refusingStore, sentIds } from './outbox-store-kit.js';

let made = 0;

/**
 * A memory store whose `set` of a key with one of the `refused` prefixes throws (a `QuotaExceededError`, or with `disk`
 * another failure) while `refusal.on`; `gone`: a key a `get` finds removed (another tab delivered it).
 */
const refusing = (refused: string[] = [], disk = false) => {
	const { store, inner, keys, reads } = refusingStore(`h15b-${++made}`, refused, () => refusal.on ? disk ? new Error('disk I/O error') : quota() : undefined);
	const refusal = Object.assign(reads, { on: false });
	return { store, inner, keys, refusal };
};

/**
 * A client over `store` (a new one: a reload) whose transport answers `POST /todos` with 201 `{"id":7}` and fails every
 * other write as a dropped connection while `state.down` (else 200); every write fails so while `state.offline`.
 */
const kit = outboxOnStore('h15b');
const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}, clock?: ManualClock) => kit.onStore(store, more, { clock });
const { reloaded } = kit;

/** The store key of a pending (`p`) or dead (`d`) record (record.ts `makeKey`). */
const recordKey = (state: 'p' | 'd', createdAt: number, id: string, scope = 'https://api.example.com'): string =>
	`${state}|${String(createdAt).padStart(15, '0')}|000000|${id}|${encodeURIComponent(scope)}`;

const ids = async (entries: Promise<Array<{ id: string }>>): Promise<string[]> => (await entries).map((entry) => entry.id);

describe('a pending key whose value reads as nothing: a pass makes it a dead letter \'Unreadable\' (API.md: flush() "remaining", maxEntries, deadLetters())', () => {
	/** A client with one write queued, and after it a pending key whose value is `undefined` (`planted`). */
	const planted = async (more: Parameters<typeof outbox>[0] = {}) => {
		const { store, inner, keys, refusal } = refusing();
		const { api, state } = onStore(store, more);
		state.offline = true;
		await expect(api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const [queued] = await api.outbox.list();
		const key = recordKey('p', queued!.createdAt + 1, 'planted');
		await inner.set(key, undefined);
		state.offline = false;
		state.down = false;
		return { api, state, store, inner, keys, refusal, key, queued: queued! };
	};

	it('flush(): the key is a dead letter (before: remaining 1 at every flush, no dead letter); discard(id) removes it, retry(id) refuses it', async () => {
		const { api, state, keys } = await planted();
		const first = await api.outbox.flush();
		const second = await api.outbox.flush();
		// Before: remaining 1 and 1, dead 0, no dead letter.
		expect([first, second.remaining]).toEqual([{ sent: 1, failed: 0, dead: 1, remaining: 0 }, 0]);
		expect(state.sent.map((each) => each.line)).toEqual(['PUT /items/1', 'PUT /items/1']);
		const [dead] = await api.outbox.deadLetters();
		expect([dead?.id, dead?.method, dead?.url, dead?.deadReason, dead?.lastError?.message]).toEqual(['planted', '', '', 'rejected', 'Unreadable']);
		expect([await api.outbox.size(), await api.outbox.list(), await api.outbox.stats()]).toEqual([0, [], { entries: 0, dead: 1, bytes: 0 }]);
		await expect(api.outbox.retry('planted')).rejects.toBeInstanceOf(InvalidRequestError);
		await api.outbox.discard('planted');
		expect([await api.outbox.deadLetters(), await keys('p|'), await keys('d|')]).toEqual([[], [], []]);
		api.close();
	});

	it('maxEntries: the key no longer holds a place once a pass made it a dead letter (before: OutboxFullError until the app discarded it)', async () => {
		const { api, state } = await planted({ maxEntries: 2 });
		await api.outbox.flush();
		state.offline = true;
		await expect(api.put('items/2', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.put('items/3', { json: { v: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(await api.outbox.size()).toBe(2);
		api.close();
	});

	it('a reload (another client on the store) makes it a dead letter as well, told outbox:dead once', async () => {
		const { api, store } = await planted();
		api.close();
		const reload = onStore(store);
		reload.state.down = false;
		const dead: string[] = [];
		reload.api.on('outbox:dead', (event) => dead.push(`${event.entryId} ${event.deadReason}`));
		expect((await reload.api.outbox.flush()).remaining).toBe(0);
		await reload.api.outbox.flush();
		expect([dead, await ids(reload.api.outbox.deadLetters())]).toEqual([['planted rejected'], ['planted']]);
		reload.api.close();
	});

	it('a pending key removed meanwhile (another tab delivered it between the listing and its read) is left alone: no dead letter', async () => {
		const { api, refusal, key, keys } = await planted();
		refusal.gone = key; // The pass lists the key; its read finds it gone.
		const result = await api.outbox.flush();
		expect([result, await api.outbox.deadLetters(), await keys('d|'), await keys('p|')]).toEqual([{ sent: 1, failed: 0, dead: 0, remaining: 0 }, [], [], []]);
		api.close();
	});
});

describe('a dead key whose value reads as nothing, or is no record: listed as an unreadable dead letter (API.md: deadLetters(), stats().dead, discard(id) "remove a pending entry or dead letter")', () => {
	it.each([
		['a value undefined', undefined],
		['a value that is no record', { v: 1, id: 'planted' }],
		['a string', 'garbage'],
	])('%s: shown by deadLetters() and stats(), discard(id) removes it (before: in no view)', async (_, value) => {
		const { store, inner, keys } = refusing();
		const { api } = onStore(store);
		await inner.set(recordKey('d', 1_700_000_000_000, 'planted'), value);
		const [dead] = await api.outbox.deadLetters();
		// Before: undefined (not listed), stats().dead 0.
		expect([dead?.id, dead?.method, dead?.url, dead?.deadReason, dead?.lastError?.message, dead?.createdAt]).toEqual(['planted', '', '', 'rejected', 'Unreadable', 1_700_000_000_000]);
		expect([await api.outbox.list(), await api.outbox.size(), await api.outbox.stats()]).toEqual([[], 0, { entries: 0, dead: 1, bytes: 0 }]);
		await expect(api.outbox.retry('planted')).rejects.toBeInstanceOf(InvalidRequestError);
		await api.outbox.discard('planted');
		expect([await api.outbox.deadLetters(), (await api.outbox.stats()).dead, await keys('d|')]).toEqual([[], 0, []]);
		api.close();
	});

	it('a dead key removed meanwhile (another tab discarded it between the listing and its read) is not shown', async () => {
		const { store, inner, refusal } = refusing();
		const { api } = onStore(store);
		const key = recordKey('d', 1_700_000_000_000, 'planted');
		await inner.set(key, undefined);
		refusal.gone = key;
		expect([await api.outbox.deadLetters(), (await api.outbox.stats()).dead]).toEqual([[], 0]);
		await expect(api.outbox.retry('planted')).rejects.toMatchObject({ code: 'OUTBOX_NOT_FOUND' });
		api.close();
	});
});

describe('discard(id) of an entry delivered while its kept values wait for the store (API.md: discard(id) "remove a pending entry"; Identity: nothing it removed ever comes back)', () => {
	/** A parent POST delivered here with a dependent PUT queued behind it (which fails: its transport down), the store refusing `v|`. */
	const delivered = async () => {
		const { store, keys, refusal } = refusing(['v|']);
		// The dependent's failed replay is not due again within the flush: its backoff (full jitter, [0, base)) far off. With the
		// default 1 s, a pass the flush runs once more could find it due (a clean-clone run sent 'PUT /todos/7' twice).
		const { api, state } = onStore(store, { baseBackoffMs: 600_000, maxBackoffMs: 600_000 });
		state.offline = true;
		const parent = await queueTodo(api);
		const child = await api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		refusal.on = true;
		state.offline = false;
		await api.outbox.flush();
		expect(state.sent.map((each) => each.line)).toEqual(['POST /todos', 'POST /todos', 'PUT /todos/7']);
		expect((await keys('p|')).length).toBe(2); // The parent's pending key stays until its values are stored.
		return { api, state, store, keys, refusal, parent, child };
	};

	it('the parent\'s pending key goes with it: a reload replays nothing (before: POST /todos sent again), its dependent a \'parent\' dead letter', async () => {
		const { api, store, keys, refusal, parent, child } = await delivered();
		await api.outbox.discard(parent);
		const dead = await api.outbox.deadLetters();
		expect([dead.map((entry) => [entry.id, entry.deadReason]), await api.outbox.list()]).toEqual([[[child, 'parent']], []]);
		api.close();
		refusal.on = false;
		// Before: ['POST /todos', 'PUT /todos/7'] (the parent's pending key replayed once at the reload).
		const reload = await reloaded(store);
		expect(reload.state.sent.map((each) => each.line)).toEqual([]);
		expect([await keys('p|'), (await keys('d|')).length, (await ids(reload.api.outbox.deadLetters()))]).toEqual([[], 1, [child]]);
		reload.api.close();
	});

	it('a parent with only a ref() (no dependent queued): discard(id) removes its pending key, nothing sent at a reload', async () => {
		const { store, keys, refusal } = refusing(['v|']);
		const { api, state } = onStore(store);
		const parent = await refDelivered(api, state, keys, () => {
			refusal.on = true;
		});
		await api.outbox.discard(parent);
		// Before: 1 (left in the store, listed by none, replayed at a reload).
		expect(await keys('p|')).toEqual([]);
		refusal.on = false;
		state.offline = true;
		await expect(api.post('other', { json: { c: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect([(await keys('p|')).length, await keys('v|')]).toEqual([1, []]);
		const reload = await reloaded(store);
		expect(reload.state.sent.map((each) => each.line)).toEqual(['POST /other']);
		reload.api.close();
		api.close();
	});

	it('through another client of the name (extend()): the same, nothing replayed at a reload', async () => {
		const { api, store, keys, refusal, parent, child } = await delivered();
		await api.extend({ headers: { 'x-other': '1' } }).outbox.discard(parent);
		expect([(await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]), (await keys('p|')).length]).toEqual([[[child, 'parent']], 0]);
		api.close();
		refusal.on = false;
		const reload = await reloaded(store);
		expect(reload.state.sent.map((each) => each.line)).toEqual([]);
		reload.api.close();
	});

	it('a write told "queued" (networkTimeoutMs) whose first attempt was answered later: discard(id) removes its pending key, nothing replayed at a reload', async () => {
		const { store, keys, refusal } = refusing(['v|']);
		const { api, state } = onStore(store, { networkTimeoutMs: 20 });
		const release = holdTodos(state);
		const sent = sentIds(api);
		refusal.on = true;
		const parent = await queueTodo(api);
		api.outbox.ref(parent, '/id');
		state.hold = undefined;
		release();
		await waitFor(() => sent.includes(parent), 'the parent delivered');
		expect((await keys('p|')).length).toBe(1);
		await api.outbox.discard(parent);
		// Before: 1 (left in the store, listed by none, replayed at a reload past its lease).
		expect(await keys('p|')).toEqual([]);
		api.close();
		refusal.on = false;
		const reload = onStore(store, {}, new ManualClock(Date.now() + 600_000));
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect(reload.state.sent.map((each) => each.line)).toEqual([]);
		reload.api.close();
	});
});

describe('coalesce: discard(id) of a PUT whose pending key waits for the store while it supersedes others (API.md: "outbox:superseded fires for each removed entry"; discard: nothing removed comes back)', () => {
	/** A client with coalesce over a store refusing `p|` while `refusal.on`: `first` writes queued as stored, then the superseding PUT refused. */
	const superseding = async (first: Array<['put' | 'patch', number]>) => {
		const { store, keys, refusal } = refusing(['p|'], true);
		const { api, state } = onStore(store, { coalesce: true });
		const superseded: string[] = [];
		api.on('outbox:superseded', (event) => superseded.push(event.entryId));
		const queued = async (call: Promise<unknown>): Promise<string> => call.then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		const olds: string[] = [];
		for (const [method, v] of first) {
			olds.push(await queued(api[method]('items/1', { json: { v } })));
		}

		refusal.on = true;
		const latest = await queued(api.put('items/1', { json: { v: 9 } }));
		expect([superseded, await ids(api.outbox.list())]).toEqual([olds, [latest]]);
		return { api, state, store, keys, refusal, latest };
	};

	it.each([
		['one PUT it superseded', [['put', 1]] as Array<['put' | 'patch', number]>],
		['two PATCHes it superseded (a chain of moves)', [['patch', 1], ['patch', 2]] as Array<['put' | 'patch', number]>],
	])('%s: neither sent here nor at a reload (before: the superseded writes came back pending and were sent)', async (_, first) => {
		const { api, state, store, keys, refusal, latest } = await superseding(first);
		await api.outbox.discard(latest);
		expect([await api.outbox.list(), await api.outbox.size()]).toEqual([[], 0]);
		refusal.on = false;
		state.down = false;
		const sent = state.sent.length;
		await api.outbox.flush();
		expect(state.sent.slice(sent)).toEqual([]);
		expect(await keys('p|')).toEqual([]);
		api.close();
		const reload = await reloaded(store);
		expect([reload.state.sent, await reload.api.outbox.list(), await reload.api.outbox.deadLetters()]).toEqual([[], [], []]);
		reload.api.close();
	});

	it('without the store failing, the same: discard(id) of the superseding PUT leaves nothing to send', async () => {
		const { store } = refusing();
		const { api, state } = onStore(store, { coalesce: true });
		await expect(api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const latest = await api.put('items/1', { json: { v: 2 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		await api.outbox.discard(latest);
		state.down = false;
		const sent = state.sent.length;
		await api.outbox.flush();
		expect([state.sent.slice(sent), await api.outbox.list()]).toEqual([[], []]);
		api.close();
	});
});
