/**
 * The outbox over a store that refuses writes, and a client over it whose transport is up or down on demand: shared by
 * the outbox's hunt files (a second client on the same store stands for a reload).
 */
import { expect } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { ManualClock } from '../helpers/manual-clock.js';

export const quota = (): Error => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

/** The two ways a store refuses a write, by name (for `it.each`). */
export const failures: Array<[string, () => Error]> = [
	['a QuotaExceededError', quota],
	['another failure (disk I/O error)', () => new Error('disk I/O error')],
];

/**
 * A memory store (named `name`) whose `set` of a key with one of the `refused` prefixes throws what `refuse()` gives
 * (nothing: it takes it); `keys(prefix)`: the keys it holds with that prefix; a `get` of the key `reads.gone` finds it
 * removed (another tab delivered it between a listing and this read).
 */
export const refusingStore = (name: string, refused: string[], refuse: () => Error | undefined) => {
	const inner = memoryStore(name);
	const reads = { gone: '' };
	const store: KeyValueStore = { ...inner, async set(key, value) {
		const error = refused.some((prefix) => key.startsWith(prefix)) ? refuse() : undefined;
		if (error) {
			throw error;
		}

		return inner.set(key, value);
	}, async get(key) {
		if (key === reads.gone) {
			await inner.delete(key); // Another tab's delivery lands between the listing and this read.
		}

		return inner.get(key);
	} };
	const keys = async (prefix: string): Promise<string[]> => (await inner.keys()).filter((key) => key.startsWith(prefix));
	return { store, inner, keys, reads };
};

let made = 0;

/**
 * A memory store whose `delete` of a key with one of the prefixes in `refused.deletes` throws (a disk I/O error), or
 * with one of `refused.held` waits (past the client's `storageTimeoutMs`) until `release()`, then lands.
 */
export const failingDeletes = () => {
	const inner = memoryStore(`deletes-${++made}`);
	const refused = { deletes: [] as string[], held: [] as string[] };
	const waits: Array<() => void> = [];
	const store: KeyValueStore = { ...inner, async delete(key) {
		if (refused.deletes.some((prefix) => key.startsWith(prefix))) {
			throw new Error('disk I/O error');
		}

		if (refused.held.some((prefix) => key.startsWith(prefix))) {
			await new Promise<void>((resume) => waits.push(resume));
		}

		return inner.delete(key);
	} };
	const release = (): void => {
		refused.held = [];
		for (const resume of waits.splice(0)) {
			resume();
		}
	};
	const keys = async (prefix: string): Promise<string[]> => (await inner.keys()).filter((key) => key.startsWith(prefix));
	return { store, inner, refused, keys, release };
};

export type Sent = { line: string; key: string | null; body: string };

export interface OnStoreOptions {
	identity?: (() => string | undefined) | undefined;
	clock?: ManualClock | undefined;
}

/**
 * `onStore(store, more, options)`: a client named `name` over `store` (a new one: a reload) whose transport answers
 * `POST /todos` with 201 `{"id":7}` (after `state.hold`) and fails every other write as a dropped connection while
 * `state.down` (else `state.status`, 200 at first); every write fails so while `state.offline`; what it sent in
 * `state.sent`. `reloaded(store)`: such a client with its transport up, flushed once.
 */
export const outboxOnStore = (name: string) => {
	const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}, { identity, clock }: OnStoreOptions = {}) => {
		const state = { down: true, offline: false, status: 200, sent: [] as Sent[], hold: undefined as Promise<void> | undefined };
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

			return new Response('{}', { status: state.status, headers: { 'content-type': 'application/json' } });
		}) as typeof globalThis.fetch;
		// A fixed draw (`random`): a replay's backoff after a failure is 500 ms, never one a draw near 0 makes due within the
		// test's own flush (a clean-clone CI run at 3735e95d sent a dependent twice in one flush: its 1,000 ms × draw had passed).
		const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name, ...identity && { identity }, ...clock && { clock }, outbox: outbox(more) });
		return { api, state };
	};
	const reloaded = async (store: KeyValueStore) => {
		const reload = onStore(store);
		reload.state.down = false;
		await reload.api.outbox.flush();
		return reload;
	};
	return { onStore, reloaded };
};

type OnStore = ReturnType<ReturnType<typeof outboxOnStore>['onStore']>;

/** `POST /todos` `{a:1}` queued (the caller sees OutboxQueuedError): its entry id (`''` if it was not queued). */
export const queueTodo = async (api: OnStore['api']): Promise<string> =>
	api.post('todos', { json: { a: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);

/** `PUT /todos/<parent's /id>` `{b:2}` queued behind `parent` (a placeholder of its answer). */
export const queueDependent = async (api: OnStore['api'], parent: string): Promise<void> => {
	await expect(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
};

/** Hold every `POST /todos` answer of `state`'s transport until the returned `release()`. */
export const holdTodos = (state: OnStore['state']): (() => void) => {
	let release = (): void => undefined;
	state.hold = new Promise((resolve) => {
		release = resolve;
	});
	return () => release();
};

/** The entry ids of the `outbox:sent` events of `api`, as they come. */
export const sentIds = (api: OnStore['api']): string[] => {
	const sent: string[] = [];
	api.on('outbox:sent', (event) => sent.push(event.entryId));
	return sent;
};

/**
 * `POST /todos` queued offline and its answer taken as a ref(), then delivered after `before()` (the store set to refuse
 * its kept values, say): its pending key stays, the one key of the store's `p|` (`keys`). Its entry id.
 */
export const refDelivered = async (api: OnStore['api'], state: OnStore['state'], keys: (prefix: string) => Promise<string[]>, before = (): void => undefined): Promise<string> => {
	state.offline = true;
	const parent = await queueTodo(api);
	api.outbox.ref(parent, '/id');
	before();
	state.offline = false;
	await api.outbox.flush();
	expect((await keys('p|')).length).toBe(1);
	return parent;
};
