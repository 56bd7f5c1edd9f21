/**
 * Read your own writes (API.md "Offline writes for real apps"): once a write is delivered, no copy
 * stored before it answers a read of its URL, of the collection a POST went to or of the parent path
 * of a PUT/PATCH/DELETE — query-string variants and other identities' copies included — and a read
 * started before the delivery (in this client or another of the same name and store) never stores
 * its answer after it. Node, memory store.
 */
import { describe, expect, it, vi } from 'vitest';
import { OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { collect, quiet, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

/** Store a copy of each path (a good GET each). */
const warm = async (api: ReturnType<typeof kit.make>, paths: string[]): Promise<void> => {
	for (const path of paths) {
		await api.get(path).text();
	}

	await vi.waitFor(async () => expect((await kit.store.keys()).length).toBeGreaterThanOrEqual(paths.length));
};

describe('read your own writes', () => {
	it('a delivered PUT drops the copies of its URL, its query variants and its parent path (with theirs); others stay; cache:superseded tells each', async () => {
		const api = kit.make();
		await warm(api, ['ryw/a/todos/1', 'ryw/a/todos/1?expand=tags', 'ryw/a/todos', 'ryw/a/todos?page=2', 'ryw/a/todos/2', 'ryw/a/other']);
		const superseded = collect(api, 'cache:superseded');
		await api.put('ryw/a/todos/1', { json: { done: true } });
		await vi.waitFor(() => expect(superseded).toHaveLength(4));
		expect(superseded.map(({ url }) => url.slice(kit.url.length)).sort()).toEqual(['/ryw/a/todos', '/ryw/a/todos/1', '/ryw/a/todos/1?expand=tags', '/ryw/a/todos?page=2']);
		expect(superseded[0]).toMatchObject({ method: 'GET', by: { method: 'PUT', url: `${kit.url}/ryw/a/todos/1` } });
		for (const path of ['ryw/a/todos/1', 'ryw/a/todos/1?expand=tags', 'ryw/a/todos', 'ryw/a/todos?page=2']) {
			expect(await kit.servedStale(api, path)).toBe(false);
		}

		expect(await kit.servedStale(api, 'ryw/a/todos/2')).toBe(true);
		expect(await kit.servedStale(api, 'ryw/a/other')).toBe(true);
	});

	it('a trailing-slash API (`/todos/`, `/todos/1/`): a delivered PATCH of `/todos/1/` drops the copies of `/todos/` (with its query variants) and of `/todos/1`; a POST to `/todos` drops `/todos/`', async () => {
		const api = kit.make();
		await warm(api, ['ryw/s/todos/', 'ryw/s/todos/?page=2', 'ryw/s/todos/1', 'ryw/s/todos/2/', 'ryw/s/items/']);
		await api.patch('ryw/s/todos/1/', { json: { done: true } });
		await api.post('ryw/s/items', { json: {} });
		await quiet();
		const served: boolean[] = [];
		for (const path of ['ryw/s/todos/', 'ryw/s/todos/?page=2', 'ryw/s/todos/1', 'ryw/s/items/', 'ryw/s/todos/2/']) {
			served.push(await kit.servedStale(api, path));
		}

		expect(served).toEqual([false, false, false, false, true]);
	});

	it('a delivered POST drops the copies of the collection it went to, query variants included, not its members', async () => {
		const api = kit.make();
		await warm(api, ['ryw/b/todos', 'ryw/b/todos?page=2', 'ryw/b/todos/7']);
		await api.post('ryw/b/todos', { json: { title: 'x' } });
		await quiet();
		expect(await kit.servedStale(api, 'ryw/b/todos')).toBe(false);
		expect(await kit.servedStale(api, 'ryw/b/todos?page=2')).toBe(false);
		expect(await kit.servedStale(api, 'ryw/b/todos/7')).toBe(true);
	});

	it('a write of another method that is not safe (WebDAV\'s PROPPATCH, a PURGE), delivered and told as a write, drops them too; a QUERY (a read) drops nothing', async () => {
		const api = kit.make();
		await warm(api, ['ryw/m/todos/1', 'ryw/m/todos', 'ryw/m/items', 'ryw/m/search']);
		const delivered = collect(api, 'write:delivered');
		await api('ryw/m/todos/1', { method: 'PROPPATCH' }).text();
		await api('ryw/m/items', { method: 'PURGE' }).text();
		await api.query('ryw/m/search', { json: { q: 'a' } }).text();
		await quiet();
		expect(delivered.map(({ method }) => method)).toEqual(['PROPPATCH', 'PURGE']);
		for (const path of ['ryw/m/todos/1', 'ryw/m/todos', 'ryw/m/items']) {
			expect(await kit.servedStale(api, path)).toBe(false);
		}

		expect(await kit.servedStale(api, 'ryw/m/search')).toBe(true);
	});

	it('a write a service worker\'s outbox answered "queued" (202 with Steadfetch-Outbox-Entry) is not delivered yet: the copies stay, to answer while it is pending', async () => {
		const api = kit.make({
			fetch: async (input: Request | URL | string, init?: RequestInit) => {
				if (kit.mode === 'refuse') {
					throw new TypeError('fetch failed');
				}

				return (input as Request).method === 'GET' ? globalThis.fetch(input, init) : Response.json({ queued: true }, { status: 202, headers: { 'steadfetch-outbox-entry': 'e1' } });
			},
		});
		await warm(api, ['ryw/sw/todos/1', 'ryw/sw/todos']);
		const superseded = collect(api, 'cache:superseded');
		expect((await api.put('ryw/sw/todos/1', { json: { done: true } })).status).toBe(202);
		await api.post('ryw/sw/todos', { json: { title: 'x' } });
		await quiet();
		expect(superseded).toEqual([]);
		expect(await kit.servedStale(api, 'ryw/sw/todos/1')).toBe(true);
		expect(await kit.servedStale(api, 'ryw/sw/todos')).toBe(true);
	});

	it('a write delivered by a replay drops them too; a rejected write (4xx) drops nothing', async () => {
		const api = kit.make({ outbox: outbox() });
		await warm(api, ['ryw/c/todos/1', 'ryw/c/todos']);
		await api.delete('ryw/c/todos/1?status=404').catch(() => undefined);
		await quiet();
		expect(await kit.servedStale(api, 'ryw/c/todos')).toBe(true);
		kit.mode = 'refuse';
		await expect(api.patch('ryw/c/todos/1', { json: { done: true } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		expect(await kit.servedStale(api, 'ryw/c/todos')).toBe(true);
		const superseded = collect(api, 'cache:superseded');
		const { outbox: queued } = api as unknown as { outbox: { flush(): Promise<{ sent: number }> } };
		expect(await queued.flush()).toMatchObject({ sent: 1 });
		await vi.waitFor(() => expect(superseded).toHaveLength(2));
		expect(await kit.servedStale(api, 'ryw/c/todos/1')).toBe(false);
		expect(await kit.servedStale(api, 'ryw/c/todos')).toBe(false);
	});

	it('copies stored under another identity are dropped too', async () => {
		let who = 'ann';
		const api = kit.make({ identity: () => who });
		await warm(api, ['ryw/d/todos/1']);
		who = 'bob';
		await api.put('ryw/d/todos/1', { json: {} });
		await quiet();
		who = 'ann';
		expect(await kit.servedStale(api, 'ryw/d/todos/1')).toBe(false);
	});

	it('a read that started before the delivery, in another client of the same name and store (extend: its own view), never stores its answer after it', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const writer = kit.make({ name: 'ryw' });
		const reader = writer.extend({ hooks: { afterResponse: [async ({ request }) => request.method === 'GET' ? held : undefined] } });
		const stored = collect(reader, 'cache:stored');
		const read = reader.get('ryw/e/todos').text();
		await vi.waitFor(() => expect(kit.hits('/ryw/e/todos')).toBe(1));
		await writer.put('ryw/e/todos/3', { json: {} });
		release();
		await read;
		await quiet();
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(reader, 'ryw/e/todos')).toBe(false);
	});

	// Defect hunt, seventh round: the copy of a read was refused only once some drop removed it from the store.
	it('a write delivered by a client of the name without a stale cache (a tab, a worker): the copy stored before it never answers, and goes', async () => {
		const reader = kit.make({ name: 'ryw-f' });
		const writer = kit.make({ name: 'ryw-f', staleCache: false, outbox: outbox() });
		await warm(reader, ['ryw/f/todos/1']);
		expect(await kit.servedStale(reader, 'ryw/f/todos/1')).toBe(true);
		kit.clock.advance(1);
		expect((await writer.put('ryw/f/todos/1', { json: { done: true } })).status).toBe(200);
		// Before: true (nobody dropped it: the writer has no stale cache).
		expect(await kit.servedStale(reader, 'ryw/f/todos/1')).toBe(false);
		await vi.waitFor(async () => expect(await kit.store.keys()).toEqual([]));
		await warm(reader, ['ryw/f/todos/1']); // A copy stored after the write answers.
		expect(await kit.servedStale(reader, 'ryw/f/todos/1')).toBe(true);
	});

	it('while the drop still lists the store (a slow store), the copy stored before the write answers no read, in the writer nor in another client of the name', async () => {
		let listed: (() => void) | undefined;
		const slow = { ...kit.store, keys: async () => {
			if (listed) {
				await new Promise<void>((resolve) => {
					listed = resolve;
				});
			}

			return kit.store.keys();
		} };
		const reader = kit.make({ name: 'ryw-g' });
		const writer = kit.make({ name: 'ryw-g', store: () => slow });
		await warm(reader, ['ryw/g/todos/2']);
		kit.clock.advance(1);
		listed = () => undefined;
		expect((await writer.put('ryw/g/todos/2', { json: { done: true } })).status).toBe(200);
		// Before: [true, true] (the copy, another client's, was still in the store).
		expect([await kit.servedStale(writer, 'ryw/g/todos/2'), await kit.servedStale(reader, 'ryw/g/todos/2')]).toEqual([false, false]);
		listed();
	});

	// Defect hunt, seventh round: each 128th or so delivered write made every read then in flight a read after a clear.
	it('a read in flight while hundreds of writes to other paths are delivered is still answered by its copy when its network fails', async () => {
		let failRead: (() => void) | undefined;
		const api = kit.make({
			name: 'ryw-h',
			fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
				const request = input as Request;
				if (request.method !== 'GET') {
					return new Response(null, { status: 204 }); // Delivered.
				}

				if (failRead) {
					await new Promise<void>((resolve) => {
						failRead = resolve;
					});
					throw new TypeError('fetch failed');
				}

				return fetch(request, init);
			},
		});
		await warm(api, ['ryw/h/todos']);
		failRead = () => undefined;
		const read = api.get('ryw/h/todos', { staleCache: { networkTimeoutMs: false } });
		await vi.waitFor(() => expect(failRead).not.toBe(undefined));
		for (let index = 1; index <= 300; index++) {
			await api.put(`ryw/h/notes/${index}`, { json: {} });
		}

		failRead!();
		const response = await read.catch((error: unknown) => error);
		// Before: the TypeError (the overflow of notes counted as a clear of the cache made during the read).
		expect(response).toBeInstanceOf(Response);
		expect((response as Response).headers.get('cache-status')).toMatch(/detail=network/);
	});
});

// Defect hunt, ninth round, second pass: a write a client of the name without a stale cache delivered left the
// copies stored before it in the store: only a later read in a client that heard it dropped them, so after a
// reload (a fresh client of the name on the same store) the outdated copy answered.
describe('read your own writes after a reload: a write delivered by a client of the name without a stale cache', () => {
	it('an extend({ staleCache: false })ed client delivers it: its copies go from the store (cache:superseded), a fresh client of the name never serves them', async () => {
		const reader = kit.make({ name: 'ryw-r' });
		const writer = reader.extend({ staleCache: false });
		await warm(reader, ['ryw/r/todos/1', 'ryw/r/todos', 'ryw/r/other']);
		const superseded = collect(reader, 'cache:superseded');
		kit.clock.advance(1);
		expect((await writer.put('ryw/r/todos/1', { json: { done: true } })).status).toBe(200);
		// Before: the store kept all three keys (nobody dropped them; no read in the reader came).
		await vi.waitFor(async () => expect((await kit.store.keys()).filter((key) => key.includes('/ryw/r/'))).toHaveLength(1));
		await vi.waitFor(() => expect(superseded.map(({ url }) => url.slice(kit.url.length)).sort()).toEqual(['/ryw/r/todos', '/ryw/r/todos/1']));
		expect(superseded[0]).toMatchObject({ method: 'GET', by: { method: 'PUT', url: `${kit.url}/ryw/r/todos/1` } });
		reader.close();
		writer.close();
		const reloaded = kit.make({ name: 'ryw-r' });
		// Before: true (served stale: the copy stored before the write).
		expect(await kit.servedStale(reloaded, 'ryw/r/todos/1')).toBe(false);
		expect(await kit.servedStale(reloaded, 'ryw/r/todos')).toBe(false);
		expect(await kit.servedStale(reloaded, 'ryw/r/other')).toBe(true);
	});

	it('a client of the name made apart (another tab\'s, a worker\'s outbox-only client) delivers it by a replay: the same', async () => {
		const reader = kit.make({ name: 'ryw-t' });
		const writer = kit.make({ name: 'ryw-t', staleCache: false, outbox: outbox() });
		await warm(reader, ['ryw/t/todos/4']);
		kit.clock.advance(1);
		kit.mode = 'refuse';
		await expect(writer.patch('ryw/t/todos/4', { json: { done: true } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		const { outbox: queued } = writer as unknown as { outbox: { flush(): Promise<{ sent: number }> } };
		expect(await queued.flush()).toMatchObject({ sent: 1 });
		// Before: the key stayed.
		await vi.waitFor(async () => expect(await kit.store.keys()).toEqual([]));
		reader.close();
		expect(await kit.servedStale(kit.make({ name: 'ryw-t' }), 'ryw/t/todos/4')).toBe(false);
	});

	it('in Cloudflare Workers, under the delivering call\'s waitUntil: an extend({ staleCache: false })ed client\'s PUT drops the copies from the store, a fresh client (the next isolate) never serves them', async () => {
		const reader = kit.make({ name: 'ryw-w' });
		await warm(reader, ['ryw/w/todos/7', 'ryw/w/other']);
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' });
		const handed: Array<Promise<unknown>> = [];
		const writer = reader.extend({ staleCache: false }).withContext({ waitUntil: (promise) => void handed.push(promise) });
		const errors = collect(reader, 'storage:error');
		kit.clock.advance(1);
		expect((await writer.put('ryw/w/todos/7', { json: { done: true } })).status).toBe(200);
		await Promise.all(handed);
		// Before: the key stayed (the drop was skipped: a listener has no waitUntil), and a storage:error told it was dropped.
		expect((await kit.store.keys()).filter((key) => key.includes('/ryw/w/')).map((key) => key.slice(key.indexOf('/ryw/')))).toEqual(['/ryw/w/other']);
		expect(errors).toEqual([]);
		reader.close();
		vi.unstubAllGlobals();
		expect(await kit.servedStale(kit.make({ name: 'ryw-w' }), 'ryw/w/todos/7')).toBe(false);
	});

	it('a write of a client with a stale cache is dropped once: its siblings of the name and store do not list the store again', async () => {
		let listings = 0;
		const counted = { ...kit.store, keys: async () => {
			listings++;
			return kit.store.keys();
		} };
		const writer = kit.make({ name: 'ryw-o', store: () => counted });
		const sibling = writer.extend({ headers: { 'x-sibling': '1' } });
		await warm(writer, ['ryw/o/todos/5']);
		await warm(sibling, ['ryw/o/todos/6']);
		await quiet();
		const before = listings;
		await writer.delete('ryw/o/todos/5');
		await vi.waitFor(async () => expect(await kit.store.keys()).toHaveLength(1));
		await quiet();
		expect(listings - before).toBe(1);
	});
});
