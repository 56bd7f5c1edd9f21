/**
 * Variants of API.md "Read your own writes" and of the outbox's validators (defect hunt, fourteenth round: work bound
 * to its identity).
 */
import { describe, expect, it, vi } from 'vitest';
import { QueryClient } from '@tanstack/query-core';
import type { CacheHandle } from '../../src/cache/members.js';
import { queryOptionsFor, syncInvalidation } from '../../src/entries/tanstack-query.js';
import { createClient, memoryStore } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import { auth } from '../../src/entries/auth.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { held } from './counting-origin-kit.js';
import { collect, quiet, staleStatus, useCacheKit } from './cache-kit.js';
import { normalised } from '../../src/cache/keys.js';

const kit = useCacheKit();

/** Store a copy of each path (a good GET each). */
const warm = async (api: ReturnType<typeof kit.make>, paths: string[]): Promise<void> => {
	for (const path of paths) {
		await api.get(path).text();
	}

	// A copy per URL however spelled (the cache key's URL normalised: `%7E`, `%7e` and `~` are one copy).
	await vi.waitFor(async () => expect((await kit.store.keys()).length).toBeGreaterThanOrEqual(new Set(paths.map(normalised)).size));
};

/**
 * RFC 3986 6.2.2: `~` and `%7E` (and `%7e`) are the same URL, as are `-`, `.`, `_`, letters and digits and their
 * percent-encodings; `%2F` is not `/` (a reserved character's encoding means something else).
 */
describe('read your own writes compares URLs as RFC 3986 6.2.2 normalises them', () => {
	it.each([
		['a PUT to /todos/~ drops the copies of /todos/%7E and /todos/%7e', 'ryw14/a/todos/~', ['ryw14/a/todos/%7E', 'ryw14/a/todos/%7e', 'ryw14/a/todos/%7E?expand=tags']],
		['a PUT to /todos/%7E drops the copy of /todos/~', 'ryw14/b/todos/%7E', ['ryw14/b/todos/~', 'ryw14/b/todos/%7e']],
		['a PUT to /todos/%7e drops the copies of /todos/~ and /todos/%7E', 'ryw14/c/todos/%7e', ['ryw14/c/todos/~', 'ryw14/c/todos/%7E']],
		['a PUT to /%74odos/1 (an encoded letter) drops the copies of /todos/1 and of its parent /todos', 'ryw14/d/%74odos/1', ['ryw14/d/todos/1', 'ryw14/d/todos']],
		['a PUT to /todos/a%2db (an encoded hyphen, lower-case hex) drops the copy of /todos/a-b', 'ryw14/e/todos/a%2db', ['ryw14/e/todos/a-b']],
		['a PUT to /todos/%c3%a9 drops the copy of /todos/%C3%A9 (hex digits compared upper-cased)', 'ryw14/f/todos/%c3%a9', ['ryw14/f/todos/%C3%A9']],
	])('%s', async (_, written, dropped) => {
		const api = kit.make();
		await warm(api, dropped);
		for (const path of dropped) {
			expect(await kit.servedStale(api, path)).toBe(true);
		}

		await api.put(written, { json: { done: true } });
		await quiet();
		// Before: every copy still served, stale (the write was to "another" URL).
		for (const path of dropped) {
			expect([path, await kit.servedStale(api, path)]).toEqual([path, false]);
		}

		api.close();
	});

	it.each([
		['/todos/%7E', 'ryw14/j/todos/%7E', 'ryw14/j/todos/~'],
		['/todos/~', 'ryw14/k/todos/~', 'ryw14/k/todos/%7e'],
	])('a read of %s that started before a PUT of it spelled otherwise was delivered never stores its answer after it', async (_, path, written) => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const writer = kit.make({ name: `ryw14-${path}` });
		const reader = writer.extend({ hooks: { afterResponse: [async ({ request }) => request.method === 'GET' ? held : undefined] } });
		const stored = collect(reader, 'cache:stored');
		const read = reader.get(path).text();
		await vi.waitFor(() => expect(kit.hits(new URL(`${kit.url}/${path}`).pathname)).toBe(1));
		await writer.put(written, { json: {} });
		release();
		await read;
		await quiet();
		// Before: stored (1 cache:stored), and served stale next.
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(reader, path)).toBe(false);
		writer.close();
	});

	it.each([
		['a PUT to /todos/a%2Fb leaves the copies of /todos/a/b and /todos/a', 'ryw14/g/todos/a%2Fb', ['ryw14/g/todos/a/b', 'ryw14/g/todos/a']],
		['a PUT to /todos/a/b leaves the copy of /todos/a%2Fb', 'ryw14/h/todos/a/b', ['ryw14/h/todos/a%2Fb']],
		['a PUT to /todos/a%3Fb leaves the copy of /todos/a?b', 'ryw14/i/todos/a%3Fb', ['ryw14/i/todos/a?b']],
	])('a reserved character\'s encoding is not decoded: %s', async (_, written, kept) => {
		const api = kit.make();
		await warm(api, kept);
		await api.put(written, { json: { done: true } });
		await quiet();
		for (const path of kept) {
			expect([path, await kit.servedStale(api, path)]).toEqual([path, true]);
		}

		api.close();
	});

	it.each([
		['a write queued to /todos/~ is counted on the stale answer of /todos/%7E', 'pw14/a/todos/~', 'pw14/a/todos/%7E', 1],
		['a write queued to /todos/%7e is counted on the stale answer of /todos/~', 'pw14/b/todos/%7e', 'pw14/b/todos/~', 1],
		['a write queued to /todos/%7E is counted on the stale answer of /todos/%7e', 'pw14/c/todos/%7E', 'pw14/c/todos/%7e', 1],
		['a write queued to /todos/a%2Fb is not counted on the stale answer of /todos/a/b', 'pw14/d/todos/a%2Fb', 'pw14/d/todos/a/b', 0],
	])('pending-writes: %s', async (_, written, read, count) => {
		const api = kit.make({ outbox: outbox() });
		await api.get(read).text();
		await expect.poll(async () => staleStatus(kit, api, read)).toMatch(/detail=network$/);
		kit.mode = 'refuse';
		await expect(api.patch(written, { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		// Before: no pending-writes on the copy of the same URL spelled otherwise.
		expect(await staleStatus(kit, api, read)).toMatch(count ? new RegExp(`; pending-writes=${count}$`) : /detail=network$/);
		api.close();
	});
});

describe('syncInvalidation: a write to a URL invalidates the queries of the same URL spelled otherwise', () => {
	it('a PUT to /todos/~ invalidates the query of /todos/%7E; a PUT to /todos/a/b leaves the query of /todos/a%2Fb', async () => {
		const api = kit.make({ staleCache: false });
		const queryClient = new QueryClient();
		for (const [key, path] of [['encoded', 'tq14/todos/%7E'], ['lower', 'tq14/todos/%7e'], ['slash', 'tq14/todos/a%2Fb']] as const) {
			await queryClient.fetchQuery({ queryKey: [key], ...queryOptionsFor(api, path) });
		}

		const stop = syncInvalidation(api, queryClient);
		await api.put('tq14/todos/~', { json: {} });
		await api.put('tq14/todos/a/b', { json: {} });
		// Before: [] (neither /todos/%7E nor /todos/%7e was "the written URL").
		await vi.waitFor(() => expect(queryClient.getQueryCache().getAll().filter((query) => query.state.isInvalidated).map((query) => query.queryKey[0]).sort()).toEqual(['encoded', 'lower']));
		await quiet();
		expect(queryClient.getQueryCache().getAll().filter((query) => query.state.isInvalidated).map((query) => query.queryKey[0]).sort()).toEqual(['encoded', 'lower']);
		stop();
		queryClient.clear();
		api.close();
	});
});

describe('dedupe: a read made after cache.delete(url) of the same URL spelled otherwise never joins one made before it', () => {
	it.each([
		['/todos/%7E', '/todos/~'],
		['/todos/~', '/todos/%7e'],
	])('a read of %s in flight, cache.delete of %s: the next read of it sends its own request', async (read, deleted) => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false, staleCache: staleCache(), store: memoryStore, name: `h14-dedupe-${Math.random()}` });
		const cache = (api as unknown as { cache: CacheHandle }).cache;
		const before = api.get(`https://api.test${read}`).text();
		await vi.waitFor(() => expect(pending).toHaveLength(1));
		await cache.delete(`https://api.test${deleted}`);
		// Before: it joined (1 pending), and was answered with what the request sent before the delete got.
		const after = api.get(`https://api.test${read}`).text();
		await vi.waitFor(() => expect(pending).toHaveLength(2), { timeout: 1000 });
		pending[1]!.release(new Response('after'));
		pending[0]!.release(new Response('before'));
		expect([await before, await after]).toEqual(['before', 'after']);
		api.close();
	});
});
/** Entries as `outbox.list()` shows them. */
type Listed = { outbox: { list(): Promise<Array<{ url: string; preconditions?: Record<string, string> }>> } };

/**
 * API.md "Preconditions": "a PUT, PATCH or DELETE queued while the stale cache holds a copy of the same URL for the same
 * identity captures that copy's validator" — the copy a read of that call would be answered with: its identity's, and
 * its credentials' (the stale cache keeps the copies of two `Authorization` values apart).
 */
describe('conditional: a queued write takes the validator of a copy of its own partition only', () => {
	/** Read `path` answered with ETag `tag` (the origin's), with `headers`; the copy stored. */
	const read = async (api: ReturnType<typeof kit.make>, path: string, tag: string, headers: Record<string, string> = {}): Promise<void> => {
		const stored = new Promise<void>((resolve) => {
			const off = api.on('cache:stored', () => {
				off();
				resolve();
			});
		});
		await api.get(path, { headers: { ...headers, 'x-etag': tag } }).text();
		await stored;
	};

	/** Queue a PUT of `path` with `headers` while the origin refuses; its entry's preconditions. */
	const queuedPreconditions = async (api: ReturnType<typeof kit.make>, path: string, headers: Record<string, string> = {}): Promise<Record<string, string> | undefined> => {
		kit.mode = 'refuse';
		await expect(api.put(path, { json: { a: 1 }, headers })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		const entries = await (api as unknown as Listed).outbox.list();
		return entries.find(({ url }) => url.endsWith(`/${path}`))?.preconditions;
	};

	it.each([
		['the other Authorization value\'s copy is later', 'cv14/a/doc', true],
		['only the other Authorization value has a copy', 'cv14/b/doc', false],
	])('two Authorization values: %s; the write takes its own copy\'s ETag, or none', async (_, path, own) => {
		const api = kit.make({ outbox: outbox({ conditional: true }), staleCache: { shared: false } });
		if (own) {
			await read(api, path, '"of-a"', { authorization: 'Bearer a' });
			kit.clock.advance(1_000);
		}

		await read(api, path, '"of-b"', { authorization: 'Bearer b' });
		// Before: { 'if-match': '"of-b"' } (the other token's copy, the latest of the URL's).
		expect(await queuedPreconditions(api, path, { authorization: 'Bearer a' })).toEqual(own ? { 'if-match': '"of-a"' } : undefined);
		api.close();
	});

	it.each([
		['the other identity\'s copy is later', 'cv14/c/doc', true],
		['only the other identity has a copy', 'cv14/d/doc', false],
	])('two identities: %s; the write takes its own copy\'s ETag, or none', async (_, path, own) => {
		let who = 'alice';
		const api = kit.make({ outbox: outbox({ conditional: true }), identity: () => who });
		if (own) {
			await read(api, path, '"of-alice"');
			kit.clock.advance(1_000);
		}

		who = 'bob';
		await read(api, path, '"of-bob"');
		who = 'alice';
		expect(await queuedPreconditions(api, path)).toEqual(own ? { 'if-match': '"of-alice"' } : undefined);
		api.close();
	});

	it('two values of a header listed in sensitiveHeaders: the write takes its own copy\'s ETag', async () => {
		const api = kit.make({ outbox: outbox({ conditional: true }), staleCache: { shared: false }, sensitiveHeaders: ['x-api-key'] });
		await read(api, 'cv14/g/doc', '"of-a"', { 'x-api-key': 'a' });
		kit.clock.advance(1_000);
		await read(api, 'cv14/g/doc', '"of-b"', { 'x-api-key': 'b' });
		// Before: { 'if-match': '"of-b"' }.
		expect(await queuedPreconditions(api, 'cv14/g/doc', { 'x-api-key': 'a' })).toEqual({ 'if-match': '"of-a"' });
		api.close();
	});

	it('a write queued behind a pending one (never sent itself): its own Authorization value\'s copy\'s ETag, not the later one\'s', async () => {
		const api = kit.make({ outbox: outbox({ conditional: true }), staleCache: { shared: false } });
		await read(api, 'cv14/f/doc', '"of-a"', { authorization: 'Bearer a' });
		kit.clock.advance(1_000);
		await read(api, 'cv14/f/doc', '"of-b"', { authorization: 'Bearer b' });
		expect(await queuedPreconditions(api, 'cv14/f/first', { authorization: 'Bearer a' })).toBeUndefined();
		expect(await queuedPreconditions(api, 'cv14/f/doc', { authorization: 'Bearer a' })).toEqual({ 'if-match': '"of-a"' });
		api.close();
	});

	it('auth()\'s token: the write takes the ETag of the copy read with its own token', async () => {
		let token = 'a';
		const api = kit.make({ outbox: outbox({ conditional: true }), staleCache: { shared: false }, auth: auth({ token: () => token, refresh: async () => undefined, origins: [kit.url] }) });
		await read(api, 'cv14/i/doc', '"of-a"');
		kit.clock.advance(1_000);
		token = 'b';
		await read(api, 'cv14/i/doc', '"of-b"');
		token = 'a';
		// Before: { 'if-match': '"of-b"' }.
		expect(await queuedPreconditions(api, 'cv14/i/doc')).toEqual({ 'if-match': '"of-a"' });
		api.close();
	});

	it('the same Authorization value\'s copy: its ETag, as before', async () => {
		const api = kit.make({ outbox: outbox({ conditional: true }), staleCache: { shared: false } });
		await read(api, 'cv14/e/doc', '"of-a"', { authorization: 'Bearer a' });
		expect(await queuedPreconditions(api, 'cv14/e/doc', { authorization: 'Bearer a' })).toEqual({ 'if-match': '"of-a"' });
		api.close();
	});
});
