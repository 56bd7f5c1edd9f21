/**
 * Defect hunt, fifteenth round (B): the outbox. Leads of the fourteenth round's third pass (its moves between keys that
 * wait for the store): a delivered entry's kept values (`v|`) the store refuses, a clear of one identity and the
 * moves of another's, `size()` against `list()` and `stats()`. A second client on the same store stands for a reload.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { createClient, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';

let made = 0;

const quota = (): Error => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
const failures: Array<[string, () => Error]> = [
	['a QuotaExceededError', quota],
	['another failure (disk I/O error)', () => new Error('disk I/O error')],
];

/** A memory store whose `set` of a key with one of the `refused` prefixes throws what `refuse()` gives (nothing: it takes it). */
const refusing = (refused: string[], refuse: () => Error | undefined) => {
	const inner = memoryStore(`h15-${++made}`);
	const store: KeyValueStore = { ...inner, async set(key, value) {
		const error = refused.some((prefix) => key.startsWith(prefix)) ? refuse() : undefined;
		if (error) {
			throw error;
		}

		return inner.set(key, value);
	} };
	const keys = async (prefix: string): Promise<string[]> => (await inner.keys()).filter((key) => key.startsWith(prefix));
	return { store, keys };
};

type Sent = { line: string; key: string | null; body: string };

/**
 * A client over `store` (a new one: a reload) whose transport answers `POST /todos` with 201 `{"id":7}` and fails every
 * other write as a dropped connection while `state.down` (else 200): what it sent in `state.sent`.
 */
const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}, identity?: () => string | undefined, clock?: ManualClock) => {
	const state = { down: true, offline: false, sent: [] as Sent[], hold: undefined as Promise<void> | undefined };
	const fetch = (async (request: Request) => {
		const url = new URL(request.url);
		state.sent.push({ line: `${request.method} ${url.pathname}`, key: request.headers.get('idempotency-key'), body: await request.text() });
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		if (request.method === 'POST' && url.pathname === '/todos') {
			await state.hold;
			return new Response('{"id":7}', { status: 201, headers: { 'content-type': 'application/json' } });
		}

		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h15', ...identity && { identity }, ...clock && { clock }, outbox: outbox(more) });
	return { api, state };
};

describe('a delivered entry\'s kept values the store refuses: its pending key stays until they are stored (README "Writes that depend on earlier writes"; nothing lost at a reload)', () => {
	it.each(failures)('%s on v|: the dependent\'s placeholder resolves after a reload (the parent replayed with its Idempotency-Key and the same body)', async (_, error) => {
		let refuse = true;
		const { store, keys } = refusing(['v|'], () => refuse ? error() : undefined);
		const { api, state } = onStore(store);
		state.offline = true;
		const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		await expect(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
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
		refuse = false;
		const reload = onStore(store);
		reload.state.down = false;
		await reload.api.outbox.flush();
		const posts = reload.state.sent.filter((each) => each.line === 'POST /todos');
		expect(posts.map(({ key, body }) => ({ key, body }))).toEqual([{ key: queued!.key, body: queued!.body }]);
		expect(reload.state.sent.map((each) => each.line)).toEqual(['POST /todos', 'PUT /todos/7']);
		expect([await reload.api.outbox.list(), await reload.api.outbox.deadLetters(), await keys('p|'), (await keys('v|')).length]).toEqual([[], [], [], 1]);
		reload.api.close();
	});

	it.each(failures)('%s on v|, then the store takes writes again: the next write stores the values, then the pending key goes', async (_, error) => {
		let refuse = true;
		const { store, keys } = refusing(['v|'], () => refuse ? error() : undefined);
		const { api, state } = onStore(store);
		state.offline = true;
		const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		await expect(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		state.offline = false;
		await api.outbox.flush();
		expect([(await keys('p|')).length, (await keys('v|')).length]).toEqual([2, 0]);
		refuse = false;
		state.offline = true;
		await expect(api.post('other', { json: { c: 3 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		// The parent's values stored, its pending key gone: the dependent and the new write stay.
		expect([(await keys('p|')).length, (await keys('v|')).length]).toEqual([2, 1]);
		const reload = onStore(store);
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect(reload.state.sent.map((each) => each.line)).toEqual(['PUT /todos/7', 'POST /other']);
		reload.api.close();
		api.close();
	});

	it('a plain clear() while the values wait for the store removes the pending key too: nothing comes back at a reload', async () => {
		const { store, keys } = refusing(['v|'], quota);
		const { api, state } = onStore(store);
		state.offline = true;
		const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		api.outbox.ref(parent, '/id');
		state.offline = false;
		await api.outbox.flush();
		expect((await keys('p|')).length).toBe(1);
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
		let release = (): void => undefined;
		state.hold = new Promise((resolve) => {
			release = resolve;
		});
		const sent: string[] = [];
		api.on('outbox:sent', (event) => sent.push(event.entryId));
		const parent = await api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		await expect(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
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
