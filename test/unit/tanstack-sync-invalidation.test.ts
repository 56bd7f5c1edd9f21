/**
 * `syncInvalidation` (steadfetch/tanstack-query) with a real `QueryClient` from @tanstack/query-core
 * and a loopback API: a delivered write invalidates the queries made with `queryOptionsFor` whose URL
 * (`meta.steadfetchUrl`, absolute as the client resolves it) is the written URL, its collection (a
 * POST) or its parent path (PUT, PATCH, DELETE), each with any query string, plus what `touches`
 * returns; at once or by an outbox replay; unsubscribed, nothing. Bad `touches`: a TypeError at the
 * call; one that throws adds nothing and breaks nothing.
 */
import { QueryClient, QueryObserver, type QueryKey } from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { queryOptionsFor, syncInvalidation } from '../../src/entries/tanstack-query.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let api: RunningServer;
let down = false;
/** GETs the API answered, by path and query. */
const reads: string[] = [];
const closing: Array<() => void> = [];
let names = 0;

beforeAll(async () => {
	api = await serve((request) => {
		if (down) {
			return new Response('down', { status: 503 });
		}

		const { pathname, search } = new URL(request.url);
		if (request.method === 'GET') {
			reads.push(`${pathname}${search}`);
		}

		return Response.json({ path: `${pathname}${search}` }, { status: request.method === 'POST' ? 201 : 200 });
	});
});
afterAll(async () => api.close());
afterEach(() => {
	down = false;
	reads.length = 0;
	for (const close of closing.splice(0)) {
		close();
	}
});

/** A QueryClient holding a fetched query per `[key, url]` (inactive: an invalidation marks it, no refetch). */
const queries = async (client: Parameters<typeof queryOptionsFor>[0], entries: Array<[QueryKey, string]>) => {
	const queryClient = new QueryClient();
	closing.push(() => queryClient.clear());
	for (const [queryKey, url] of entries) {
		await queryClient.fetchQuery({ queryKey, ...queryOptionsFor(client, url) });
	}

	const invalidated = (): string[] => queryClient.getQueryCache().getAll().filter((query) => query.state.isInvalidated).map((query) => JSON.stringify(query.queryKey)).sort();
	return { queryClient, invalidated };
};

const core = () => {
	const client = createCore({ prefix: `${api.url}/v1/`, retry: 0 });
	closing.push(() => client.close());
	return client;
};

const list: Array<[QueryKey, string]> = [
	[['todo', 1], 'todos/1'], [['todo', 1, 'tags'], 'todos/1?expand=tags'], [['todos'], 'todos'], [['todos', 2], 'todos?page=2'],
	[['todo', 2], 'todos/2'], [['todo', 10], 'todos/10'], [['users'], 'users'], [['todos', 'done'], 'todos/done/1'],
];

describe('queryOptionsFor: meta.steadfetchUrl', () => {
	it('is the absolute URL as the client resolves it (prefix, baseUrl, an absolute input); a meta spread after replaces it', () => {
		expect(queryOptionsFor(core(), 'todos/1?x=1').meta).toEqual({ steadfetchUrl: `${api.url}/v1/todos/1?x=1` });
		const based = createCore({ baseUrl: `${api.url}/v2/` });
		closing.push(() => based.close());
		expect(queryOptionsFor(based, 'todos').meta.steadfetchUrl).toBe(`${api.url}/v2/todos`);
		expect(queryOptionsFor(based, new URL('https://other.example/a b')).meta.steadfetchUrl).toBe('https://other.example/a%20b');
		expect({ ...queryOptionsFor(based, 'todos'), meta: { mine: true } }.meta).toEqual({ mine: true });
		// A client without the resolver (a stand-in), or an input no URL comes of: the input as given.
		expect(queryOptionsFor({ get: based.get }, 'todos').meta.steadfetchUrl).toBe('todos');
		expect(queryOptionsFor(createCore(), 'no/base').meta.steadfetchUrl).toBe('no/base');
	});

	it('with the call\'s own prefix or baseUrl (callOptions) it is the URL the query\'s calls go to, and a write there invalidates it', async () => {
		const client = createClient({ name: `tq-own-prefix-${names++}`, prefix: `${api.url}/v1/`, retry: 0, breaker: false, staleCache: false });
		closing.push(() => client.close());
		const queryClient = new QueryClient();
		closing.push(() => queryClient.clear());
		const own = queryOptionsFor(client, 'todos/1', { prefix: `${api.url}/v2/` });
		const based = queryOptionsFor(client, '/items/1', { prefix: '', baseUrl: `${api.url}/v3/` });
		await queryClient.fetchQuery({ queryKey: ['own'], ...own });
		await queryClient.fetchQuery({ queryKey: ['based'], ...based });
		expect([reads, own.meta.steadfetchUrl, based.meta.steadfetchUrl]).toEqual([['/v2/todos/1', '/items/1'], `${api.url}/v2/todos/1`, `${api.url}/items/1`]);
		closing.push(syncInvalidation(client, queryClient));
		await client.patch('todos/1', { prefix: `${api.url}/v2/`, json: {} });
		await client.delete('/items/1', { prefix: '', baseUrl: `${api.url}/v3/` });
		await vi.waitFor(() => expect(queryClient.getQueryCache().getAll().filter((query) => query.state.isInvalidated).map((query) => query.queryKey[0]).sort()).toEqual(['based', 'own']));
	});

	it('with the call\'s prefix or baseUrl given as undefined (not given: the client\'s apply) it is the URL the query\'s calls go to, and a write there invalidates it', async () => {
		const client = createClient({ name: `tq-undefined-prefix-${names++}`, prefix: `${api.url}/v1/`, retry: 0, breaker: false, staleCache: false });
		closing.push(() => client.close());
		const queryClient = new QueryClient();
		closing.push(() => queryClient.clear());
		const options = [queryOptionsFor(client, 'todos/1', { prefix: undefined as never }), queryOptionsFor(client, 'todos/2', { baseUrl: undefined as never })];
		for (const [index, each] of options.entries()) {
			await queryClient.fetchQuery({ queryKey: ['undefined', index], ...each });
		}

		// Before: ['todos/1', `${api.url}/v1/todos/2`]: the client's prefix left out of the first (no URL: the input as given).
		expect([reads, options.map((each) => each.meta.steadfetchUrl)]).toEqual([['/v1/todos/1', '/v1/todos/2'], [`${api.url}/v1/todos/1`, `${api.url}/v1/todos/2`]]);
		closing.push(syncInvalidation(client, queryClient));
		await client.patch('todos/1', { json: {} });
		await vi.waitFor(() => expect(queryClient.getQueryState(['undefined', 0])?.isInvalidated).toBe(true));
	});

	it('with the call\'s own searchParams (an object, a string, URLSearchParams, pairs) it is the URL the query\'s calls go to, sensitive values removed', async () => {
		const client = createCore({ prefix: `${api.url}/v1/`, retry: 0 });
		closing.push(() => client.close());
		const queryClient = new QueryClient();
		closing.push(() => queryClient.clear());
		const given = [{ page: 2, gone: undefined }, '?page=2', new URLSearchParams({ page: '2' }), [['page', '2']]] as const;
		const urls = [];
		for (const [index, searchParams] of given.entries()) {
			const options = queryOptionsFor(client, `todos?list=${index}`, { searchParams: searchParams as never });
			urls.push(options.meta.steadfetchUrl);
			await queryClient.fetchQuery({ queryKey: ['params', index], ...options });
		}

		// Before: `${api.url}/v1/todos?list=0` …, the page left out.
		expect(urls).toEqual([0, 1, 2, 3].map((index) => `${api.url}/v1/todos?list=${index}&page=2`));
		expect(reads).toEqual([0, 1, 2, 3].map((index) => `/v1/todos?list=${index}&page=2`));
		expect(queryOptionsFor(client, 'todos', { searchParams: { token: 's3cret', page: 3 } }).meta.steadfetchUrl).toBe(`${api.url}/v1/todos?token=&page=3`);
	});

	it('with searchParams as ky adds them: a record\'s undefined value removes that name from the input\'s own query, and the query is re-encoded as the call\'s is; it is the URL the call went to', async () => {
		const client = createCore({ prefix: `${api.url}/v1/`, retry: 0 });
		closing.push(() => client.close());
		const queryClient = new QueryClient();
		closing.push(() => queryClient.clear());
		const cases: Array<[string, unknown]> = [['todos?gone=1&keep=1', { page: 2, gone: undefined }], ['todos?q=a%20b', { page: 2 }], ['todos?q=a%20b', '?page=2'], ['todos', '   '], ['todos?x=1', []]];
		const urls = [];
		for (const [index, [input, searchParams]] of cases.entries()) {
			const options = queryOptionsFor(client, input, { searchParams: searchParams as never });
			urls.push(options.meta.steadfetchUrl);
			await queryClient.fetchQuery({ queryKey: ['ky', index], ...options });
		}

		// Before (appended as text): `${api.url}/v1/todos?gone=1&keep=1&page=2` and `…?q=a%20b&page=2` for the first two.
		expect(urls).toEqual(reads.map((read) => `${api.url}${read}`));
		expect(reads).toEqual(['/v1/todos?keep=1&page=2', '/v1/todos?q=a+b&page=2', '/v1/todos?q=a%20b&page=2', '/v1/todos', '/v1/todos?x=1']);
	});

	it('holds no sensitive query value (a persister stores meta): the values of sensitiveParams removed, as in every URL steadfetch shows; still invalidated by a write', async () => {
		const client = createCore({ prefix: `${api.url}/v1/`, retry: 0, sensitiveParams: ['session'] });
		closing.push(() => client.close());
		const options = queryOptionsFor(client, 'todos/1?access_token=s3cret&Session=abc&page=2');
		expect(options.meta.steadfetchUrl).toBe(`${api.url}/v1/todos/1?access_token=&Session=&page=2`);
		const queryClient = new QueryClient();
		closing.push(() => queryClient.clear());
		await queryClient.fetchQuery({ queryKey: ['secret'], ...options });
		expect(reads).toEqual(['/v1/todos/1?access_token=s3cret&Session=abc&page=2']);
		closing.push(syncInvalidation(client, queryClient));
		await client.patch('todos/1', { json: {} });
		expect(queryClient.getQueryState(['secret'])?.isInvalidated).toBe(true);
	});
});

describe('syncInvalidation', () => {
	it('a PATCH delivered at once invalidates its URL, its query variants and its parent collection (with its variants); nothing else', async () => {
		const client = core();
		const { queryClient, invalidated } = await queries(client, list);
		closing.push(syncInvalidation(client, queryClient));
		await client.patch('todos/1', { json: { done: true } });
		expect(invalidated()).toEqual(['["todo",1,"tags"]', '["todo",1]', '["todos",2]', '["todos"]']);
	});

	it('a trailing-slash API (`/todos/`, `/todos/1/`): a PATCH of `/todos/1/` invalidates its collection `/todos/` (with its variants) and the URL without its slash; a POST to `/todos` invalidates `/todos/`', async () => {
		const client = core();
		const slashed: Array<[QueryKey, string]> = [[['todos/'], 'todos/'], [['todos/', 2], 'todos/?page=2'], [['todo/', 1], 'todos/1/'], [['todo', 1], 'todos/1'], [['todo/', 2], 'todos/2/'], [['users/'], 'users/']];
		const { queryClient, invalidated } = await queries(client, slashed);
		closing.push(syncInvalidation(client, queryClient));
		await client.patch('todos/1/', { json: { done: true } });
		expect(invalidated()).toEqual(['["todo",1]', '["todo/",1]', '["todos/",2]', '["todos/"]']);
		queryClient.clear();
		const again = await queries(client, slashed);
		closing.push(syncInvalidation(client, again.queryClient));
		await client.post('todos', { json: {} });
		expect(again.invalidated()).toEqual(['["todos/",2]', '["todos/"]']);
	});

	it('a POST invalidates its collection (with its variants), not the collection\'s items', async () => {
		const client = core();
		const { queryClient, invalidated } = await queries(client, list);
		closing.push(syncInvalidation(client, queryClient));
		await client.post('todos', { json: { title: 'new' } });
		expect(invalidated()).toEqual(['["todos",2]', '["todos"]']);
	});

	it('an active query is refetched; a failed write (4xx, 5xx) and a read invalidate nothing', async () => {
		const client = core();
		const queryClient = new QueryClient();
		closing.push(() => queryClient.clear());
		const observer = new QueryObserver(queryClient, { queryKey: ['todos'], ...queryOptionsFor(client, 'todos') });
		closing.push(observer.subscribe(() => undefined));
		await vi.waitFor(() => expect(reads).toEqual(['/v1/todos']));
		closing.push(syncInvalidation(client, queryClient));
		await client.get('todos/1');
		down = true;
		await client.delete('todos/1').catch(() => undefined);
		expect(queryClient.getQueryState(['todos'])?.isInvalidated).toBe(false);
		down = false;
		await client.delete('todos/1');
		await vi.waitFor(() => expect(reads).toEqual(['/v1/todos', '/v1/todos/1', '/v1/todos']));
	});

	it('touches: a string is an absolute URL matched with its query variants, an array a query key matched by prefix; it gets the method and absolute URL', async () => {
		const client = core();
		const { queryClient, invalidated } = await queries(client, [...list, [['stats'], 'stats?range=week'], [['me', 'profile'], 'me'], [['mine'], 'mine']]);
		const seen: unknown[] = [];
		closing.push(syncInvalidation(client, queryClient, {
			touches: (write) => {
				seen.push(write);
				return [`${api.url}/v1/stats`, ['me']];
			},
		}));
		await client.put('users', { json: {} });
		expect(seen).toEqual([{ method: 'PUT', url: `${api.url}/v1/users` }]);
		expect(invalidated()).toEqual(['["me","profile"]', '["stats"]', '["users"]']);
	});

	it('the unsubscribe function stops it', async () => {
		const client = core();
		const { queryClient, invalidated } = await queries(client, list);
		const touches = vi.fn(() => []);
		const stop = syncInvalidation(client, queryClient, { touches });
		stop();
		await client.patch('todos/1', { json: {} });
		expect(invalidated()).toEqual([]);
		expect(touches).not.toHaveBeenCalled();
	});

	it('a write the outbox queued invalidates when its replay delivers it (not when it is queued)', async () => {
		const client = createClient({ name: `sync-${names++}`, prefix: `${api.url}/v1/`, retry: 0, retryBudget: false, breaker: false, staleCache: false, store: () => memoryStore('sync'), outbox: outbox({ resumeJitterMs: 0 }) });
		closing.push(() => client.close());
		const { queryClient, invalidated } = await queries(client, list);
		closing.push(syncInvalidation(client, queryClient));
		down = true;
		expect(await client.delete('todos/2').catch((error: { code?: string }) => error.code)).toBe('QUEUED');
		expect(invalidated()).toEqual([]);
		down = false;
		expect(await client.outbox.flush()).toMatchObject({ sent: 1 });
		expect(invalidated()).toEqual(['["todo",2]', '["todos",2]', '["todos"]']);
	});

	it('bad touches: a TypeError naming it at the call; options that are not an object, a missing client or QueryClient too', () => {
		const client = core();
		const queryClient = new QueryClient();
		for (const touches of ['x', 1, {}, null, [['todos']]]) {
			expect(() => syncInvalidation(client, queryClient, { touches } as never)).toThrow(TypeError);
			expect(() => syncInvalidation(client, queryClient, { touches } as never)).toThrow(/`touches` must be a function/);
		}

		for (const options of [5, 'touches', null, () => []]) {
			expect(() => syncInvalidation(client, queryClient, options as never)).toThrow(/`syncInvalidation`'s options must be an object/);
		}

		expect(() => syncInvalidation(undefined as never, queryClient)).toThrow(TypeError);
		expect(() => syncInvalidation(client, {} as never)).toThrow(TypeError);
		expect(typeof syncInvalidation(client, queryClient, { touches: undefined })).toBe('function');
	});

	it('a touches that throws or returns something else adds nothing for that write and is reported asynchronously; the URL\'s own matches and later writes still invalidate', async () => {
		const client = core();
		const { queryClient, invalidated } = await queries(client, [...list, [['me'], 'me']]);
		// What is rethrown asynchronously is caught here instead (every other microtask runs as it would).
		const reported: unknown[] = [];
		const queue = globalThis.queueMicrotask.bind(globalThis);
		const microtask = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => queue(() => {
			try {
				task();
			} catch (error) {
				reported.push(error);
			}
		}));
		try {
			let answer: () => unknown = () => {
				throw new Error('app bug');
			};
			closing.push(syncInvalidation(client, queryClient, { touches: () => answer() as never }));
			await client.patch('todos/1', { json: {} });
			expect(invalidated()).toEqual(['["todo",1,"tags"]', '["todo",1]', '["todos",2]', '["todos"]']);
			answer = () => 'not an array';
			await client.put('users', { json: {} });
			answer = () => [42, 'relative/url', ['me']];
			await client.put('todos/10', { json: {} });
			expect(invalidated()).toEqual(['["me"]', '["todo",1,"tags"]', '["todo",10]', '["todo",1]', '["todos",2]', '["todos"]', '["users"]']);
			await vi.waitFor(() => expect(reported).toHaveLength(4));
		} finally {
			microtask.mockRestore();
		}

		expect(reported.map((error) => `${(error as Error).name}: ${(error as Error).message}`)).toEqual([
			'Error: app bug',
			'TypeError: `touches` must return an array of absolute URLs and query keys; got "not an array"',
			'TypeError: `touches` returned 42: not an absolute URL nor a query key',
			'TypeError: `touches` returned "relative/url": not an absolute URL nor a query key',
		]);
	});
});
