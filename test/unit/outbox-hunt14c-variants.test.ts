/**
 * Defect hunt, fourteenth round, third pass (D): the outbox's moves under a full store — a move of an entry from one
 * key to another (pending → dead: a dead letter; dead → pending: `retry(id)`) that the store refuses. The old key
 * goes only once the store confirmed the new one; a second client on the same store stands for a reload.
 */
import { describe, expect, it } from 'vitest';
import { createClient, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { StorageErrorEvent } from '../../src/core/event-types.js';
import { OutboxFullError } from '../../src/errors/OutboxFullError.js';
import { failures, quota, refusingStore } from './outbox-store-kit.js';

let made = 0;

/** A memory store whose `set` of a key with one of the `refused` prefixes throws what `refuse()` gives (nothing: it takes it). */
const refusing = (refused: string[], refuse: () => Error | undefined) => refusingStore(`h14c-${++made}`, refused, refuse);

/**
 * A client over `store` (a new one: a reload) whose transport fails as a dropped connection while `state.status` is 0,
 * else answers that status; what it sent in `state.sent`, its `storage:error` events in `errors`.
 */
const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}) => {
	const state = { status: 0, sent: [] as string[] };
	const fetch = (async (request: Request) => {
		state.sent.push(`${request.method} ${new URL(request.url).pathname}`);
		if (!state.status) {
			throw new TypeError('fetch failed');
		}

		return new Response('{"id":1}', { status: state.status, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h14c', outbox: outbox(more) });
	const errors: StorageErrorEvent[] = [];
	api.on('storage:error', (event) => errors.push(event));
	return { api, state, errors };
};

const urls = async (entries: Promise<Array<{ url: string }>>): Promise<string[]> => (await entries).map((entry) => new URL(entry.url).pathname);

describe('a dead letter the store refuses: the pending key stays in the store until its dead key is stored (the standard: "reaches the server or a dead-letter list the user can see"; nothing lost at a reload)', () => {
	it.each(failures)('%s on the dead key (a 422): a dead letter here, never replayed again here; pending after a reload; dead there once the store takes it', async (_, error) => {
		let refuse = true;
		const { store, keys } = refusing(['d|'], () => refuse ? error() : undefined);
		const { api, state, errors } = onStore(store);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.status = 422;
		await api.outbox.flush();
		expect(errors.map((event) => [event.operation, event.key?.slice(0, 2)])).toContainEqual(['set', 'd|']);
		expect([await urls(api.outbox.deadLetters()), await urls(api.outbox.list()), await api.outbox.size()]).toEqual([['/todos'], [], 0]);
		// Not replayed again by this client (its pending index forgot it), listed again or not.
		const sent = state.sent.length;
		await api.outbox.flush();
		expect(state.sent.length).toBe(sent);
		// Before: the pending key deleted, the dead one only in memory: [] in the store, and a reload saw nothing ([] and []).
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 0]);
		const reload = onStore(store);
		expect([await urls(reload.api.outbox.list()), await urls(reload.api.outbox.deadLetters())]).toEqual([['/todos'], []]);
		reload.api.close();
		// The store takes writes again: the next write stores the dead key, then the pending key goes.
		refuse = false;
		state.status = 0;
		await expect(api.post('other', { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 1]);
		const later = onStore(store);
		expect([await urls(later.api.outbox.list()), await urls(later.api.outbox.deadLetters())]).toEqual([['/other'], ['/todos']]);
		later.api.close();
		api.close();
	});

	it.each([
		['discard(id)', async (api: ReturnType<typeof onStore>['api'], id: string) => api.outbox.discard(id)],
		['client.clear()', async (api: ReturnType<typeof onStore>['api']) => api.clear()],
	])('%s of such a dead letter removes its pending key from the store too: nothing at a reload', async (_, remove) => {
		const { store, keys } = refusing(['d|'], quota);
		const { api, state } = onStore(store);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.status = 422;
		await api.outbox.flush();
		const [dead] = await api.outbox.deadLetters();
		expect((await keys('p|')).length).toBe(1);
		await remove(api, dead!.id);
		expect([await api.outbox.deadLetters(), await api.outbox.list(), await keys('p|'), await keys('d|')]).toEqual([[], [], [], []]);
		const reload = onStore(store);
		expect([await reload.api.outbox.list(), await reload.api.outbox.deadLetters()]).toEqual([[], []]);
		reload.api.close();
		api.close();
	});

	it('max-attempts: a dead letter whose dead key the store refuses stays pending in the store', async () => {
		const { store, keys } = refusing(['d|'], quota);
		const { api, state } = onStore(store, { maxAttempts: 1 });
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.status = 503;
		await api.outbox.flush();
		expect([(await api.outbox.deadLetters()).map((entry) => entry.deadReason), await api.outbox.size()]).toEqual([['max-attempts'], 0]);
		// Before: [0, 0].
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 0]);
		api.close();
	});

	it('parent: a dependent made a dead letter with its parent, both dead keys refused, both stay pending in the store', async () => {
		const { store, keys } = refusing(['d|'], quota);
		const { api, state } = onStore(store);
		const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		await expect(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.status = 422;
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((entry) => entry.deadReason).sort()).toEqual(['parent', 'rejected']);
		expect(await api.outbox.size()).toBe(0);
		// Before: [0, 0].
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([2, 0]);
		api.close();
	});
});

describe('retry(id) when the store refuses the pending key: OutboxFullError (quota) and the dead letter stays (README maxEntries: retry rejects when it cannot be pending)', () => {
	const buried = async (error: () => Error) => {
		let refuse = false;
		const { store, keys } = refusing(['p|'], () => refuse ? error() : undefined);
		const { api, state, errors } = onStore(store);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.status = 422;
		await api.outbox.flush();
		const [dead] = await api.outbox.deadLetters();
		expect([dead?.deadReason, (await keys('d|')).length]).toEqual(['rejected', 1]);
		refuse = true;
		return { api, state, errors, dead: dead!, store, keys, take: () => {
			refuse = false;
		} };
	};

	it('a QuotaExceededError: retry rejects with OutboxFullError (quota); the dead letter stays as it was, here and after a reload', async () => {
		const { api, dead, store, keys, errors } = await buried(quota);
		const result = await api.outbox.retry(dead.id).then(() => 'resolved', (failure: unknown) => failure);
		// Before: 'resolved', the dead key deleted and the pending one in memory only (gone at a reload).
		expect(result).toBeInstanceOf(OutboxFullError);
		expect((result as OutboxFullError).reason).toBe('quota');
		expect(errors.map((event) => (event.error as Error).name)).toContain('QuotaExceededError');
		const [again] = await api.outbox.deadLetters();
		expect([again?.id, again?.deadReason, again?.attempts, await api.outbox.size()]).toEqual([dead.id, 'rejected', dead.attempts, 0]);
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([0, 1]);
		const reload = onStore(store);
		expect([await urls(reload.api.outbox.list()), await urls(reload.api.outbox.deadLetters())]).toEqual([[], ['/todos']]);
		reload.api.close();
		api.close();
	});

	it('another failure: retry resolves, pending here (kept in memory, storage:error); the dead key stays in the store until the pending key is stored', async () => {
		const { api, dead, store, keys, take, state } = await buried(() => new Error('disk I/O error'));
		state.status = 0;
		await api.outbox.retry(dead.id);
		expect([await urls(api.outbox.list()), await urls(api.outbox.deadLetters())]).toEqual([['/todos'], []]);
		// Before: [0, 0]: neither key, nothing at a reload.
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([0, 1]);
		const reload = onStore(store);
		expect(await urls(reload.api.outbox.deadLetters())).toEqual(['/todos']);
		reload.api.close();
		take();
		await expect(api.post('other', { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([2, 0]);
		const later = onStore(store);
		expect([(await urls(later.api.outbox.list())).sort(), await urls(later.api.outbox.deadLetters())]).toEqual([['/other', '/todos'], []]);
		later.api.close();
		api.close();
	});

	it('another failure, then the retried entry delivered before the store took its pending key: its dead key goes with it (no dead letter comes back)', async () => {
		const { api, dead, store, keys, state } = await buried(() => new Error('disk I/O error'));
		state.status = 0;
		await api.outbox.retry(dead.id);
		state.status = 201;
		await api.outbox.flush();
		expect([await api.outbox.list(), await api.outbox.deadLetters(), await keys('p|'), await keys('d|')]).toEqual([[], [], [], []]);
		const reload = onStore(store);
		expect([await reload.api.outbox.list(), await reload.api.outbox.deadLetters()]).toEqual([[], []]);
		reload.api.close();
		api.close();
	});

	it('a QuotaExceededError on a \'parent\' dead letter\'s pending key: retry(id) revives its parent, the dependent stays a dead letter', async () => {
		const { store, keys } = refusing([], () => undefined);
		const { api, state } = onStore(store);
		const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		const child = await api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		state.status = 422;
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((entry) => entry.deadReason).sort()).toEqual(['parent', 'rejected']);
		state.status = 0;
		// The store refuses the pending key of the dependent only.
		Object.assign(store, { set: ((set) => async (key: string, value: unknown) => key.includes(child) && key.startsWith('p|') ? Promise.reject(quota()) : set(key, value))(store.set) });
		await api.outbox.retry(parent);
		expect([await urls(api.outbox.list()), (await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])]).toEqual([['/todos'], [[child, 'parent']]]);
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 1]);
		api.close();
	});
});

describe('coalesce: a write that supersedes pending ones, kept in memory because the store failed: the ones it replaces stay in the store until it is stored (a move of their place)', () => {
	it('another failure on the new PUT\'s key: told "queued", the older PUTs stay in the store (a reload sends the latest stored), removed once the new one is stored', async () => {
		let refuse = false;
		const { store, keys } = refusing(['p|'], () => refuse ? new Error('disk I/O error') : undefined);
		const { api } = onStore(store, { coalesce: true });
		await expect(api.put('todos/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.put('todos/1', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		refuse = true;
		await expect(api.put('todos/1', { json: { v: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(await urls(api.outbox.list())).toEqual(['/todos/1']);
		// Before: [] in the store: the PUT of v2 deleted, the one of v3 in memory only; a reload saw nothing.
		expect((await keys('p|')).length).toBe(1);
		const reload = onStore(store);
		expect(await urls(reload.api.outbox.list())).toEqual(['/todos/1']);
		reload.api.close();
		refuse = false;
		await expect(api.post('other', { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const later = onStore(store);
		expect((await later.api.outbox.list()).map((entry) => [new URL(entry.url).pathname, entry.method]).sort()).toEqual([['/other', 'POST'], ['/todos/1', 'PUT']]);
		expect((await keys('p|')).length).toBe(2);
		later.api.close();
		api.close();
	});

	it('the new PUT delivered while the store still refuses its key: the older PUT it replaced goes with it, never replayed after a reload', async () => {
		let refuse = false;
		const { store, keys } = refusing(['p|'], () => refuse ? new Error('disk I/O error') : undefined);
		const { api, state } = onStore(store, { coalesce: true });
		await expect(api.put('todos/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		refuse = true;
		await expect(api.put('todos/1', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await keys('p|')).length).toBe(1);
		state.status = 200;
		await api.outbox.flush();
		expect([state.sent.filter((line) => line === 'PUT /todos/1').length, await api.outbox.size(), await keys('p|')]).toEqual([2, 0, []]);
		const reload = onStore(store);
		expect(await reload.api.outbox.list()).toEqual([]);
		reload.api.close();
		api.close();
	});
});
