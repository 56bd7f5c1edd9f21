/**
 * Defect hunt, fourteenth round, second pass (C): the outbox's URLs and its quota — coalescing of one URL spelled
 * with other percent-encodings (RFC 3986 6.2.2), `cache.delete` of both spellings, and a store that refuses a new
 * entry for its quota (API.md `OutboxFullError` `reason: 'quota'`). A recording transport, the memory store.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { StorageErrorEvent } from '../../src/core/event-types.js';
import { OutboxFullError } from '../../src/errors/OutboxFullError.js';
import { recordingFetch } from '../helpers/recording-fetch.js';
import { fetchAndStore, useCacheKit } from './cache-kit.js';
import { normalised } from '../../src/cache/keys.js';

let made = 0;

/**
 * A client whose transport is down until `state.down` is false, with `coalesce` (more outbox options in `more`). Every
 * client here draws 0.5 (`random`): a failed replay waits 500 ms, so no background pass replays an entry a test is
 * about to coalesce (a draw near 0 made it due at once).
 */
const coalescing = (more: Parameters<typeof outbox>[0] = {}) => {
	const state = { down: true, sent: [] as string[] };
	const api = createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', random: () => 0.5, retry: 0, breaker: false, store: memoryStore, name: `h14b-${++made}`, outbox: outbox({ coalesce: true, ...more }) });
	return { api, state };
};

/** Queue each write (the transport down): each is told "queued". */
const queueAll = async (api: ReturnType<typeof coalescing>['api'], writes: Array<[method: 'put' | 'delete', path: string]>): Promise<void> => {
	for (const [index, [method, path]] of writes.entries()) {
		await expect(api[method](path, method === 'put' ? { json: { n: index } } : {})).rejects.toBeInstanceOf(OutboxQueuedError);
	}
};

describe('coalesce: writes to one URL spelled with other percent-encodings are writes of the same URL (API.md: "of the same URL"; RFC 3986 6.2.2)', () => {
	it.each([
		['PUT /todos/%7E, then PUT /todos/~ twice', [['put', 'todos/%7E'], ['put', 'todos/~'], ['put', 'todos/~']], 'https://api.example.com/todos/~', 'PUT https://api.example.com/todos/~ {"n":2}'],
		['PUT /todos/~, then PUT /todos/%7e (lower-case hex)', [['put', 'todos/~'], ['put', 'todos/%7e']], 'https://api.example.com/todos/%7e', 'PUT https://api.example.com/todos/%7e {"n":1}'],
		['PUT /%74odos/1 (an encoded letter), then PUT /todos/1', [['put', '%74odos/1'], ['put', 'todos/1']], 'https://api.example.com/todos/1', 'PUT https://api.example.com/todos/1 {"n":1}'],
		['PUT /todos/a-b, then PUT /todos/a%2db (an encoded hyphen)', [['put', 'todos/a-b'], ['put', 'todos/a%2db']], 'https://api.example.com/todos/a%2db', 'PUT https://api.example.com/todos/a%2db {"n":1}'],
		['PUT /todos/%c3%a9, then PUT /todos/%C3%A9 (hex case)', [['put', 'todos/%c3%a9'], ['put', 'todos/%C3%A9']], 'https://api.example.com/todos/%C3%A9', 'PUT https://api.example.com/todos/%C3%A9 {"n":1}'],
		['PUT /todos/%7E, then DELETE /todos/~', [['put', 'todos/%7E'], ['delete', 'todos/~']], 'https://api.example.com/todos/~', 'DELETE https://api.example.com/todos/~ '],
	] as Array<[string, Array<['put' | 'delete', string]>, string, string]>)('%s: one entry stays, replayed with the latest write\'s URL', async (_, writes, url, sent) => {
		const { api, state } = coalescing();
		await queueAll(api, writes);
		// Before: one entry per spelling (['…/todos/%7E', '…/todos/~'] for the first).
		expect((await api.outbox.list()).map((entry) => entry.url)).toEqual([url]);
		state.down = false;
		state.sent = [];
		await api.outbox.flush();
		expect(state.sent).toEqual([sent]);
		api.close();
	});

	it('an encoded reserved character stays another URL: PUT /todos/a%2Fb and PUT /todos/a/b are both sent', async () => {
		const { api } = coalescing();
		await queueAll(api, [['put', 'todos/a%2Fb'], ['put', 'todos/a/b'], ['put', 'todos/a%2fb']]);
		expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/todos/a/b', 'https://api.example.com/todos/a%2fb']);
		api.close();
	});

	it('at maxEntries, a PUT of the pending URL spelled otherwise takes its place (not OutboxFullError)', async () => {
		const { api } = coalescing({ maxEntries: 1 });
		await queueAll(api, [['put', 'todos/%7E']]);
		// Before: OutboxFullError ('entries'), the outbox full of the same URL's write.
		await expect(api.put('todos/~', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/todos/~']);
		api.close();
	});

	it('after a reload (the entries read from the store), PUT /todos/~ takes the place of the stored PUT /todos/%7E', async () => {
		const name = `h14b-reload-${++made}`;
		const state = { down: true, sent: [] as string[] };
		const kept = memoryStore(name);
		const make = () => createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', random: () => 0.5, retry: 0, breaker: false, store: () => kept, name, outbox: outbox({ coalesce: true }) });
		const first = make();
		await queueAll(first, [['put', 'todos/%7E']]);
		first.close();
		const after = make();
		expect((await after.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/todos/%7E']);
		await queueAll(after, [['put', 'todos/x'], ['put', 'todos/~']]);
		expect((await after.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/todos/x', 'https://api.example.com/todos/~']);
		after.close();
	});
});

describe('cache.delete(url) drops the copies of every spelling of the URL (RFC 3986 6.2.2), as its removal note names the normalised path', () => {
	const kit = useCacheKit();
	it.each([
		['cache.delete(\'/x/~\') drops the copies of /x/%7E and /x/%7e', 'cd14/a/~', ['cd14/a/%7E', 'cd14/a/%7e', 'cd14/a/~'], []],
		['cache.delete(\'/x/%7E\') drops the copies of /x/~ and /x/%7e', 'cd14/b/%7E', ['cd14/b/~', 'cd14/b/%7e'], []],
		['cache.delete(\'/%74odos/1\') (an encoded letter) drops the copy of /todos/1', 'cd14/c/%74odos/1', ['cd14/c/todos/1'], []],
		['cache.delete(\'/x/%c3%a9\') drops the copy of /x/%C3%A9 (hex case)', 'cd14/d/%c3%a9', ['cd14/d/%C3%A9'], []],
		['cache.delete(\'/x?q=%7E\') drops the copy of /x?q=~ (the query too), not of /x?q=1', 'cd14/e?q=%7E', ['cd14/e?q=~', 'cd14/e?q=1'], ['cd14/e?q=1']],
		['cache.delete(\'/x/a/b\') leaves the copy of /x/a%2Fb (an encoded reserved character)', 'cd14/f/a/b', ['cd14/f/a/b', 'cd14/f/a%2Fb'], ['cd14/f/a%2Fb']],
	])('%s', async (_, deleted, stored, left) => {
		const api = kit.make();
		// One copy per URL however it is spelled (the key's URL normalised since the fortieth hunt): a spelling already
		// stored is read (its copy answered or rewritten), the others each store one.
		const spellings = new Set<string>();
		for (const path of stored) {
			if (spellings.has(normalised(path))) {
				await api.get(path).text();
			} else {
				spellings.add(normalised(path));
				await fetchAndStore(api, path);
			}
		}

		expect((await api.cache.list()).length).toBe(spellings.size);
		await api.cache.delete(deleted);
		// Before: the copies of the other spellings stayed (['…/cd14/a/%7E', '…/cd14/a/%7e'] for the first).
		expect((await api.cache.list()).map((entry) => entry.url).sort()).toEqual(left.map((path) => `${kit.url}/${path}`).sort());
		api.close();
	});

	it('with the client\'s searchParams: cache.delete(\'/x/~\') drops the copy a call of /x/%7E stored (its URL with them added)', async () => {
		const api = kit.make({ searchParams: { v: 2 } });
		// Its URL as the key holds it: normalised (`%7E` is `~`).
		expect((await fetchAndStore(api, 'cd14/g/%7E')).url).toBe(`${kit.url}/cd14/g/~?v=2`);
		await api.cache.delete('cd14/g/~');
		expect(await api.cache.list()).toEqual([]);
		api.close();
	});
});

/** A memory store whose `set` of a pending entry's key (`p|…`) throws what `refuse()` gives (nothing: it takes it), after `before` when given. */
const refusing = (refuse: () => unknown, before?: () => Promise<unknown>) => {
	const inner = memoryStore(`h14b-quota-${++made}`);
	const store: KeyValueStore = { ...inner, async set(key, value) {
		if (key.startsWith('p|')) {
			await before?.();
			const error = refuse();
			if (error) {
				throw error;
			}
		}

		return inner.set(key, value);
	} };
	return { inner, store, pending: async () => (await inner.keys()).filter((key) => key.startsWith('p|')) };
};

/** A client over `store` whose transport is down until `state.down` is false; its `storage:error` events in `errors`. */
const onStore = (store: KeyValueStore, more: Parameters<typeof outbox>[0] = {}, fetch?: typeof globalThis.fetch, storageTimeoutMs?: number) => {
	const state = { down: true, sent: [] as string[] };
	const api = createClient({ fetch: fetch ?? recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', random: () => 0.5, retry: 0, breaker: false, store: () => store, name: `h14b-q-${++made}`, outbox: outbox(more), ...storageTimeoutMs && { storageTimeoutMs } });
	const errors: StorageErrorEvent[] = [];
	api.on('storage:error', (event) => errors.push(event));
	return { api, state, errors };
};

const quotaErrors: Array<[string, () => Error]> = [
	['a DOMException named QuotaExceededError', () => new DOMException('The quota has been exceeded.', 'QuotaExceededError')],
	['an error whose name is QuotaExceededError', () => Object.assign(new Error('quota'), { name: 'QuotaExceededError' })],
];

describe('a store that refuses a new entry for its quota: OutboxFullError reason \'quota\', nothing pending (API.md OutboxFullError: "nothing was stored")', () => {
	it.each(quotaErrors)('%s: the call rejects with OutboxFullError (quota), storage:error is emitted, nothing stays in memory or the store', async (_, error) => {
		let full = true;
		const { store, pending } = refusing(() => full && error());
		const { api, state, errors } = onStore(store);
		const result = await api.post('todos', { json: { a: 1 } }).catch((failure: unknown) => failure);
		// Before: OutboxQueuedError, the write kept in memory only (size() 1), lost at a reload.
		expect(result).toBeInstanceOf(OutboxFullError);
		expect([(result as OutboxFullError).reason, (result as OutboxFullError).code]).toEqual(['quota', 'OUTBOX_FULL']);
		expect(errors.map((event) => [event.part, event.operation, (event.error as Error).name])).toEqual([['outbox', 'set', 'QuotaExceededError']]);
		expect([await api.outbox.size(), await api.outbox.list(), await pending()]).toEqual([0, [], []]);
		// The store takes writes again: the next write is stored alone (before: the refused one written with it, and replayed).
		full = false;
		await expect(api.post('other', { json: { b: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/other']);
		expect(await pending()).toHaveLength(1);
		state.down = false;
		state.sent = [];
		await api.outbox.flush();
		expect(state.sent).toEqual(['POST https://api.example.com/other {"b":2}']);
		api.close();
	});

	it('with queuedResponse: \'accepted\': OutboxFullError (quota), never a 202', async () => {
		const { store, pending } = refusing(() => new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
		const { api } = onStore(store, { queuedResponse: 'accepted' });
		const result = await api.post('todos', { json: { a: 1 } }).then((response) => response.status, (failure: unknown) => failure);
		// Before: 202.
		expect([result instanceof OutboxFullError && result.reason, await api.outbox.size(), await pending()]).toEqual(['quota', 0, []]);
		api.close();
	});

	it('with coalesce: the PUT refused for the quota supersedes nothing: the pending PUT stays, no outbox:superseded', async () => {
		let full = false;
		const { store, pending } = refusing(() => full && new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
		const { api } = onStore(store, { coalesce: true });
		const superseded: unknown[] = [];
		api.on('outbox:superseded', (event) => superseded.push(event));
		await expect(api.put('todos/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		full = true;
		const result = await api.put('todos/1', { json: { v: 2 } }).catch((failure: unknown) => failure);
		// Before: OutboxQueuedError, the first PUT superseded (removed from the store) by one kept in memory only.
		expect([result instanceof OutboxFullError && result.reason, superseded]).toEqual(['quota', []]);
		expect([(await api.outbox.list()).map((entry) => entry.url), await pending()]).toEqual([['https://api.example.com/todos/1'], [expect.stringMatching(/^p\|/)]]);
		api.close();
	});

	it('any other failure of the store keeps the write in memory, as before: OutboxQueuedError, storage:error', async () => {
		const { store, pending } = refusing(() => new Error('disk I/O error'));
		const { api, errors } = onStore(store);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect([errors.map((event) => [event.part, event.operation]), await api.outbox.size(), await pending()]).toEqual([[['outbox', 'set']], 1, []]);
		api.close();
	});

	it('with networkTimeoutMs: the write refused at its deadline is not told "queued": the caller waits for its attempt (a failure: OutboxFullError quota; an answer: the answer)', async () => {
		const answers: Array<(response?: Response) => void> = [];
		const fetch = (async () => new Promise<Response>((resolve, reject) => answers.push((response) => response ? resolve(response) : reject(new TypeError('fetch failed'))))) as typeof globalThis.fetch;
		const { store, pending } = refusing(() => new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
		const { api, errors } = onStore(store, { networkTimeoutMs: 20 }, fetch);
		let settled = false;
		const failing = api.post('todos', { json: { a: 1 } }).catch((failure: unknown) => failure).finally(() => {
			settled = true;
		});
		// Its record's write at the deadline was refused (before: OutboxQueuedError at once, the write in memory only).
		await vi.waitFor(() => expect(errors).toHaveLength(1));
		expect([settled, await api.outbox.size(), await pending()]).toEqual([false, 0, []]);
		answers[0]!();
		const result = await failing;
		expect(result instanceof OutboxFullError && result.reason).toBe('quota');
		const answered = api.post('todos', { json: { a: 2 } }).then((response) => response.status);
		await vi.waitFor(() => expect(errors).toHaveLength(2));
		answers[1]!(new Response('{}', { status: 201 }));
		expect([await answered, await api.outbox.size()]).toEqual([201, 0]);
		api.close();
	});

	it('a quota error after the caller was told "queued" (a store slower than storageTimeoutMs) stays as before: kept in memory, storage:error', async () => {
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		const { store, pending } = refusing(() => new DOMException('The quota has been exceeded.', 'QuotaExceededError'), async () => gate);
		const { api, errors } = onStore(store, {}, undefined, 50);
		await expect(api.post('todos', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		open();
		await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1));
		expect([await api.outbox.size(), (await api.outbox.list()).map((entry) => entry.url), await pending()]).toEqual([1, ['https://api.example.com/todos'], []]);
		api.close();
	});
});
