/**
 * Defect hunt, fifteenth round (B): the outbox. Leads of the fourteenth round's third pass (its moves between keys that
 * wait for the store): a delivered entry's kept values (`v|`) the store refuses, a clear of one identity and the
 * moves of another's, `size()` against `list()` and `stats()`. A second client on the same store stands for a reload.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { OutboxQueuedError, type outbox, type KeyValueStore } from '../../src/entries/index.js';
import { failures, holdTodos, outboxOnStore, queueDependent, queueTodo, quota, refDelivered, refusingStore, sentIds } from './outbox-store-kit.js';

let made = 0;

/** A memory store whose `set` of a key with one of the `refused` prefixes throws what `refuse()` gives (nothing: it takes it). */
const refusing = (refused: string[], refuse: () => Error | undefined) => refusingStore(`h15-${++made}`, refused, refuse);

/**
 * A client over `store` (a new one: a reload) whose transport answers `POST /todos` with 201 `{"id":7}` and fails every
 * other write as a dropped connection while `state.down` (else `state.status`): what it sent in `state.sent`.
 */
const kit = outboxOnStore('h15');
const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}, identity?: () => string | undefined, clock?: ManualClock) => kit.onStore(store, more, { identity, clock });
const { reloaded } = kit;

/** A parent and its dependent queued offline over a store whose writes of kept values (`v|`) throw `error()` while `values.refused`. */
const queuedPair = async (error: () => Error) => {
	const values = { refused: true };
	const { store, keys } = refusing(['v|'], () => values.refused ? error() : undefined);
	const { api, state } = onStore(store);
	state.offline = true;
	await queueDependent(api, await queueTodo(api));
	return { values, store, keys, api, state };
};

describe('a delivered entry\'s kept values the store refuses: its pending key stays until they are stored (README "Writes that depend on earlier writes"; nothing lost at a reload)', () => {
	it.each(failures)('%s on v|: the dependent\'s placeholder resolves after a reload (the parent replayed with its Idempotency-Key and the same body)', async (_, error) => {
		const { values, store, keys, api, state } = await queuedPair(error);
		const [queued] = state.sent;
		state.offline = false;
		await api.outbox.flush();
		// The parent delivered here, its dependent not (its transport down): this client never replays the parent again.
		expect(state.sent.map((each) => each.line)).toEqual(['POST /todos', 'POST /todos', 'PUT /todos/7']);
		expect([(await api.outbox.list()).map((entry) => entry.method), await api.outbox.size()]).toEqual([['PUT'], 1]);
		await api.outbox.flush();
		expect(state.sent.filter((each) => each.line === 'POST /todos')).toHaveLength(2);
		// Before: [1, 0]: the parent's pending key deleted, its values only in memory (a reload had nothing to resolve the placeholder from).
		expect([(await keys('p|')).length, (await keys('v|')).length]).toEqual([2, 0]);
		api.close();
		values.refused = false;
		const reload = await reloaded(store);
		const posts = reload.state.sent.filter((each) => each.line === 'POST /todos');
		expect(posts.map(({ key, body }) => ({ key, body }))).toEqual([{ key: queued!.key, body: queued!.body }]);
		expect(reload.state.sent.map((each) => each.line)).toEqual(['POST /todos', 'PUT /todos/7']);
		expect([await reload.api.outbox.list(), await reload.api.outbox.deadLetters(), await keys('p|'), (await keys('v|')).length]).toEqual([[], [], [], 1]);
		reload.api.close();
	});

	it.each(failures)('%s on v|, then the store takes writes again: the next write stores the values, then the pending key goes', async (_, error) => {
		const { values, store, keys, api, state } = await queuedPair(error);
		state.offline = false;
		await api.outbox.flush();
		expect([(await keys('p|')).length, (await keys('v|')).length]).toEqual([2, 0]);
		values.refused = false;
		state.offline = true;
		await expect(api.post('other', { json: { c: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// The parent's values stored, its pending key gone: the dependent and the new write stay.
		expect([(await keys('p|')).length, (await keys('v|')).length]).toEqual([2, 1]);
		const reload = await reloaded(store);
		expect(reload.state.sent.map((each) => each.line)).toEqual(['PUT /todos/7', 'POST /other']);
		reload.api.close();
		api.close();
	});

	it('a plain clear() while the values wait for the store removes the pending key too: nothing comes back at a reload', async () => {
		const { store, keys } = refusing(['v|'], quota);
		const { api, state } = onStore(store);
		await refDelivered(api, state, keys);
		await api.clear();
		expect([await api.outbox.list(), await keys('p|'), await keys('v|')]).toEqual([[], [], []]);
		const reload = onStore(store);
		await reload.api.outbox.flush();
		expect([reload.state.sent, await reload.api.outbox.list(), await reload.api.outbox.deadLetters()]).toEqual([[], [], []]);
		reload.api.close();
		api.close();
	});

	it('the first attempt of a write told "queued" (networkTimeoutMs) answered later: its values refused, its pending key stays for a reload', async () => {
		const { store, keys } = refusing(['v|'], quota);
		const { api, state } = onStore(store, { networkTimeoutMs: 20 });
		const release = holdTodos(state);
		const sent = sentIds(api);
		const parent = await queueTodo(api);
		await queueDependent(api, parent);
		state.hold = undefined;
		release();
		await waitFor(() => sent.includes(parent), 'the parent delivered');
		expect(await api.outbox.list()).toHaveLength(1);
		// Before: 1 (the parent's pending key deleted as it was delivered).
		expect((await keys('p|')).length).toBe(2);
		api.close();
		// Past the lease of its first attempt (60 s: API.md "Work that outlives its caller").
		const reload = onStore(store, {}, undefined, new ManualClock(Date.now() + 600_000));
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect(reload.state.sent.map((each) => each.line)).toEqual(['POST /todos', 'PUT /todos/7']);
		reload.api.close();
	});
});

const urls = async (entries: Promise<Array<{ url: string }>>): Promise<string[]> => (await entries).map((entry) => new URL(entry.url).pathname);

describe('clear({ identity }) leaves another identity\'s moves that wait for the store (API.md: "`client.clear({ identity })` removes one identity\'s cache and outbox")', () => {
	/** Bob's client (`who.now`), its store refusing keys with the prefixes `refused` while `refusal.on`. */
	const bobs = (refused: string[], more: Parameters<typeof outbox>[0] = {}) => {
		const refusal = { on: false };
		const { store, keys } = refusing(refused, () => refusal.on ? new Error('disk I/O error') : undefined);
		const who = { now: 'bob' as string | undefined };
		const { api, state } = onStore(store, more, () => who.now);
		return { api, state, store, keys, refusal, who };
	};

	/** `PUT items/1` with `json` queued, then answered 422: its dead letter. */
	const deadPut = async (api: ReturnType<typeof bobs>['api'], state: ReturnType<typeof bobs>['state'], json: object) => {
		await expect(api.put('items/1', { json })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.down = false;
		state.status = 422;
		await api.outbox.flush();
		const [dead] = await api.outbox.deadLetters();
		return dead!;
	};

	it('bob\'s dead letter retried while the store fails its pending key: after a clear of alice it stays pending and is delivered', async () => {
		const { api, state, keys, refusal } = bobs(['p|']);
		const dead = await deadPut(api, state, { b: 1 });
		refusal.on = true;
		state.status = 200;
		state.down = true;
		await api.outbox.retry(dead.id);
		expect([await urls(api.outbox.list()), await api.outbox.deadLetters()]).toEqual([['/items/1'], []]);
		await api.clear({ identity: 'alice' });
		// Before: [[], ['/items/1']]: bob's entry listed as a dead letter, never delivered.
		expect([await urls(api.outbox.list()), await urls(api.outbox.deadLetters())]).toEqual([['/items/1'], []]);
		refusal.on = false;
		state.down = false;
		const sent = state.sent.length;
		await api.outbox.flush();
		expect(state.sent.slice(sent).map((each) => each.line)).toEqual(['PUT /items/1']);
		expect([await api.outbox.list(), await api.outbox.deadLetters(), await keys('p|'), await keys('d|')]).toEqual([[], [], [], []]);
		api.close();
	});

	it('bob\'s delivered write whose kept values wait for the store: a clear of alice does not make it pending again here (never sent twice)', async () => {
		const { api, state, keys, refusal } = bobs(['v|']);
		await refDelivered(api, state, keys, () => {
			refusal.on = true;
		});
		await api.clear({ identity: 'alice' });
		const sent = state.sent.length;
		// Before: ['/todos'] pending again, and replayed ('POST /todos' sent a second time).
		expect([await api.outbox.list(), await api.outbox.size()]).toEqual([[], 0]);
		await api.outbox.flush();
		expect(state.sent.slice(sent)).toEqual([]);
		refusal.on = false;
		state.offline = true;
		await expect(api.post('other', { json: { c: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// Its values stored: its pending key goes as the move ends.
		expect([await urls(api.outbox.list()), (await keys('p|')).length, (await keys('v|')).length]).toEqual([['/other'], 1, 1]);
		api.close();
	});

	it('bob\'s dead letter whose dead key waits for the store: after a clear of alice its pending key still goes once the store takes the dead key', async () => {
		const { api, state, keys, store, refusal } = bobs(['d|']);
		await expect(api.put('items/1', { json: { b: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		refusal.on = true;
		state.down = false;
		state.status = 422;
		await api.outbox.flush();
		expect((await keys('p|')).length).toBe(1);
		await api.clear({ identity: 'alice' });
		refusal.on = false;
		state.down = true;
		await expect(api.put('items/2', { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// Before: [2, 1]: bob's old pending key left in the store for good.
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 1]);
		const reload = onStore(store, {}, () => 'bob');
		expect([await urls(reload.api.outbox.list()), await urls(reload.api.outbox.deadLetters())]).toEqual([['/items/2'], ['/items/1']]);
		reload.api.close();
		api.close();
	});

	it('coalesce: bob\'s replaced PUT whose replacement waits for the store is not sent after a clear of alice; only his latest write goes', async () => {
		const { api, state, refusal } = bobs(['p|'], { coalesce: true });
		await expect(api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		refusal.on = true;
		await expect(api.put('items/1', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(await api.outbox.size()).toBe(1);
		await api.clear({ identity: 'alice' });
		// Before: 2 (the replaced write pending again, sent before the latest).
		expect(await api.outbox.size()).toBe(1);
		refusal.on = false;
		state.down = false;
		const sent = state.sent.length;
		await api.outbox.flush();
		expect(state.sent.slice(sent).map((each) => [each.line, each.body])).toEqual([['PUT /items/1', '{"v":2}']]);
		api.close();
	});

	it('alice\'s own retried dead letter waiting for the store is removed by her clear: nothing at a reload', async () => {
		const { api, state, keys, store, refusal, who } = bobs(['p|']);
		who.now = 'alice';
		const dead = await deadPut(api, state, { a: 1 });
		refusal.on = true;
		state.down = true;
		await api.outbox.retry(dead.id);
		refusal.on = false;
		await api.clear({ identity: 'alice' });
		expect([await api.outbox.list(), await api.outbox.deadLetters(), await keys('p|'), await keys('d|')]).toEqual([[], [], [], []]);
		const reload = onStore(store, {}, () => 'alice');
		expect([await reload.api.outbox.list(), await reload.api.outbox.deadLetters()]).toEqual([[], []]);
		reload.api.close();
		api.close();
	});
});

describe('a pending key whose record the store gives back as nothing: list() and stats() show what size() counts (API.md: size() "pending entries", list() "pending, oldest first")', () => {
	/** The store key of a pending record (record.ts `makeKey`). */
	const pendingKey = (createdAt: number, id: string, scope: string): string => `p|${String(createdAt).padStart(15, '0')}|000000|${id}|${encodeURIComponent(scope)}`;

	/** A client with one write queued, and beside it a pending key planted in the store by `plant` (after it: `offset` ms later). */
	const planted = async (plant: (store: KeyValueStore, key: string) => Promise<void>, offset = 1) => {
		const { store } = refusing([], () => undefined);
		const { api, state } = onStore(store);
		state.offline = true;
		await expect(api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const [queued] = await api.outbox.list();
		const key = pendingKey(queued!.createdAt + offset, 'planted', 'https://api.example.com');
		await plant(store, key);
		return { api, state, store, queued: queued! };
	};

	it.each([
		['a value undefined', async (store: KeyValueStore, key: string) => store.set(key, undefined)],
	])('%s: listed as unreadable (before: size() 2, list() and stats() 1, for good), and discard(id) removes it', async (_, plant) => {
		const { api, queued } = await planted(plant);
		const listed = await api.outbox.list();
		expect([await api.outbox.size(), listed.map((entry) => entry.id), listed[1]?.lastError?.message, (await api.outbox.stats()).entries])
			.toEqual([2, [queued.id, 'planted'], 'Unreadable', 2]);
		await api.outbox.discard('planted');
		expect([await api.outbox.size(), (await api.outbox.list()).map((entry) => entry.id), (await api.outbox.stats()).entries]).toEqual([1, [queued.id], 1]);
		api.close();
	});

	it('a pending key removed (another tab delivered it) between the listing and the read of its record is not shown', async () => {
		const { store, inner, reads } = refusing([], () => undefined);
		const { api, state } = onStore(store);
		state.offline = true;
		await expect(api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.put('items/2', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const [first, second] = await api.outbox.list();
		reads.gone = (await inner.keys()).find((key) => key.includes(first!.id))!;
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([second!.id]);
		expect([await api.outbox.size(), (await api.outbox.stats()).entries]).toEqual([1, 1]);
		api.close();
	});
});
