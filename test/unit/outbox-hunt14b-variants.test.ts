/**
 * Defect hunt, fourteenth round, second pass (C): the outbox's URLs and its quota — coalescing of one URL spelled
 * with other percent-encodings (RFC 3986 6.2.2), `cache.delete` of both spellings, and a store that refuses a new
 * entry for its quota (API.md `OutboxFullError` `reason: 'quota'`). A recording transport, the memory store.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { recordingFetch } from '../helpers/recording-fetch.js';
import { fetchAndStore, useCacheKit } from './cache-kit.js';

let made = 0;

/** A client whose transport is down until `state.down` is false, with `coalesce` (more outbox options in `more`). */
const coalescing = (more: Parameters<typeof outbox>[0] = {}) => {
	const state = { down: true, sent: [] as string[] };
	const api = createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: `h14b-${++made}`, outbox: outbox({ coalesce: true, ...more }) });
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
		const make = () => createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => kept, name, outbox: outbox({ coalesce: true }) });
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
		for (const path of stored) {
			await fetchAndStore(api, path);
		}

		expect((await api.cache.list()).length).toBe(stored.length);
		await api.cache.delete(deleted);
		// Before: the copies of the other spellings stayed (['…/cd14/a/%7E', '…/cd14/a/%7e'] for the first).
		expect((await api.cache.list()).map((entry) => entry.url).sort()).toEqual(left.map((path) => `${kit.url}/${path}`).sort());
		api.close();
	});

	it('with the client\'s searchParams: cache.delete(\'/x/~\') drops the copy a call of /x/%7E stored (its URL with them added)', async () => {
		const api = kit.make({ searchParams: { v: 2 } });
		expect((await fetchAndStore(api, 'cd14/g/%7E')).url).toBe(`${kit.url}/cd14/g/%7E?v=2`);
		await api.cache.delete('cd14/g/~');
		expect(await api.cache.list()).toEqual([]);
		api.close();
	});
});
