/** In-flight dedupe, round-4 variants: a call's per-call policy switches are its own. */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { trace } from '../../src/entries/trace.js';
import { holdingFetch } from '../helpers/holding-fetch.js';
import { staleCache } from '../../src/entries/cache.js';
import { memoryStore } from '../../src/entries/core.js';
import { held } from './counting-origin-kit.js';
import type { CacheHandle } from '../../src/cache/members.js';

describe('dedupe and per-call switches', () => {
	it('a call with { bulkhead: false } never joins an identical call waiting for a bulkhead slot: it goes at once, as the switch says', async () => {
		const { sent, fetch, release } = holdingFetch('/hold', (path) => new Response(path));
		const api = createClient({ retry: 0, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }), fetch });
		const held = api.get('https://api.test/hold').text();
		await vi.waitFor(() => expect(sent).toEqual(['/hold']));
		const waiting = api.get('https://api.test/users').text();
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { queued: 1 } }));
		// Before: it joined the waiting call's request and waited for the slot with it (pending until /hold ended).
		const free = api.get('https://api.test/users', { bulkhead: false }).text();
		await vi.waitFor(() => expect(sent).toEqual(['/hold', '/users']));
		expect(await free).toBe('/users');
		release();
		expect([await held, await waiting]).toEqual(['/hold', '/users']);
		expect(sent).toEqual(['/hold', '/users', '/users']);
		api.close();
	});

	it('identical calls with the same switches (in any order) still share one request', async () => {
		let requests = 0;
		const api = createClient({
			retry: 0, dedupe: dedupe(), bulkhead: bulkhead(),
			fetch: (async () => {
				requests++;
				await new Promise((resolve) => setTimeout(resolve, 20));
				return new Response('ok');
			}) as typeof fetch,
		});
		// The same switches in another order are the same switches.
		const switches = [{ bulkhead: false, throwHttpErrors: false }, { throwHttpErrors: false, bulkhead: false }, { bulkhead: false, throwHttpErrors: false }] as const;
		const texts = await Promise.all(switches.map(async (options) => api.get('https://api.test/users', options).text()));
		expect([texts, requests]).toEqual([['ok', 'ok', 'ok'], 1]);
		api.close();
	});
});

describe('dedupe and the bulkhead: a shared request holds its slot while anyone waits on it', () => {
	it('the first caller timing out while a later one waits on the shared request does not free its slot: maxConcurrent stays the bound', async () => {
		const { sent, fetch, release } = holdingFetch('/shared', (path) => new Response(path));
		const api = createClient({ retry: 0, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 1 }), fetch });
		const first = api.get('https://api.test/shared', { timeout: 200 }).text().catch((error: unknown) => classify(error).code);
		const later = api.get('https://api.test/shared', { timeout: 10_000 }).text();
		await vi.waitFor(() => expect(sent).toEqual(['/shared']));
		expect(api.stats()['https://api.test']).toMatchObject({ dedupe: { shared: 1 } });
		expect(await first).toBe('TIMEOUT');
		// The shared request is still in flight for `later`: another call waits for the one slot.
		// Before: the slot's lease ended at the first caller's deadline, `/other` went at once (2 in flight; queued 0).
		const other = api.get('https://api.test/other', { timeout: 10_000 }).text();
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 1, queued: 1 } }));
		expect(sent).toEqual(['/shared']);
		release();
		expect([await later, await other]).toEqual(['/shared', '/other']);
		expect(sent).toEqual(['/shared', '/other']);
		api.close();
	});
});

describe('dedupe and a write delivered while a read is in flight (read your own writes)', () => {
	/** A client of `held()`'s transport; with `withCache`, a stale cache on a memory store. */
	const make = (withCache: boolean) => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, dedupe: dedupe(), retry: 0, timeout: false, ...(withCache ? { staleCache: staleCache(), store: memoryStore, name: `dedupe-writes-${Math.random()}` } : {}) });
		return { pending, api, cache: () => (api as unknown as { cache: CacheHandle }).cache };
	};

	it('a read made after a PUT of its URL was delivered never joins the read of it made before: it gets the written state', async () => {
		const { pending, api } = make(false);
		const before = api.get('https://api.test/todos/1').text();
		await vi.waitFor(() => expect(pending).toHaveLength(1));
		const put = api.put('https://api.test/todos/1', { json: { done: true } }).text();
		await vi.waitFor(() => expect(pending).toHaveLength(2));
		pending[1]!.release(new Response('written'));
		await put;
		// Before: it joined the read sent before the PUT (no second GET went out) and got the state before the write.
		const after = api.get('https://api.test/todos/1').text();
		await vi.waitFor(() => expect(pending).toHaveLength(3), { timeout: 1000 });
		pending[0]!.release(new Response('done: false'));
		pending[2]!.release(new Response('done: true'));
		expect([await before, await after]).toEqual(['done: false', 'done: true']);
		api.close();
	});

	it('with a stale cache: the answer of the read made before the POST to its collection is neither the later read\'s nor stored for it', async () => {
		const { pending, api, cache } = make(true);
		const cc = { 'cache-control': 'max-age=0' };
		const before = api.get('https://api.test/todos?page=1').text();
		await vi.waitFor(() => expect(pending).toHaveLength(1));
		const post = api.post('https://api.test/todos', { json: { title: 'new' } }).text();
		await vi.waitFor(() => expect(pending).toHaveLength(2));
		pending[1]!.release(new Response('made', { status: 201 }));
		await post;
		const after = api.get('https://api.test/todos?page=1').text();
		await vi.waitFor(() => expect(pending).toHaveLength(3), { timeout: 1000 });
		// The later read answers first (a copy of a URL is taken at most once a second: the earlier one's is not).
		pending[2]!.release(new Response('[new]', { headers: cc }));
		pending[0]!.release(new Response('[]', { headers: cc }));
		expect([await before, await after]).toEqual(['[]', '[new]']);
		// The copy stored is the later read's: a failing read is answered with it.
		await vi.waitFor(async () => expect((await cache().list()).map(({ bytes }) => bytes)).toEqual([5]));
		const stale = api.get('https://api.test/todos?page=1').text();
		await vi.waitFor(() => expect(pending).toHaveLength(4));
		pending[3]!.release(new Response('down', { status: 503 }));
		expect(await stale).toBe('[new]');
		api.close();
	});

	it('with a stale cache: a read made after cache.clear() never joins one made before it (whose answer is not stored)', async () => {
		const { pending, api, cache } = make(true);
		const before = api.get('https://api.test/me').text();
		await vi.waitFor(() => expect(pending).toHaveLength(1));
		await cache().clear();
		// Before: it joined, and stored the answer of the request sent before the clear.
		const after = api.get('https://api.test/me').text();
		await vi.waitFor(() => expect(pending).toHaveLength(2), { timeout: 1000 });
		pending[1]!.release(new Response('after'));
		pending[0]!.release(new Response('before'));
		expect([await before, await after]).toEqual(['before', 'after']);
		api.close();
	});

	// Defect hunt, ninth round: cache.delete(url) let a later read of the URL join one sent before it, and store its answer.
	it('with a stale cache: a read made after cache.delete(url) never joins one of that URL made before it (whose answer is not stored)', async () => {
		const { pending, api, cache } = make(true);
		const before = api.get('https://api.test/todos/7').text();
		await vi.waitFor(() => expect(pending).toHaveLength(1));
		await cache().delete('https://api.test/todos/7');
		// Before: it joined (1 pending), and the answer of the request sent before the delete was stored for it.
		const after = api.get('https://api.test/todos/7').text();
		await vi.waitFor(() => expect(pending).toHaveLength(2), { timeout: 1000 });
		pending[1]!.release(new Response('after'));
		pending[0]!.release(new Response('before'));
		expect([await before, await after]).toEqual(['before', 'after']);
		await vi.waitFor(async () => expect((await cache().list()).map(({ bytes }) => bytes)).toEqual([5]));
		// A read of another URL still joins one under way.
		const other = [api.get('https://api.test/todos/8').text(), api.get('https://api.test/todos/8').text()];
		await vi.waitFor(() => expect(pending).toHaveLength(3));
		pending[2]!.release(new Response('eight'));
		expect(await Promise.all(other)).toEqual(['eight', 'eight']);
		api.close();
	});
});

describe('dedupe and the retry budget (defect hunt, twelfth round)', () => {
	it('the retry of a call that joined another\'s request is a retry, never counted as a first attempt that earns the budget its share', async () => {
		const fetch = (async (request: Request) => {
			await new Promise((resolve) => setTimeout(resolve, 20));
			return new Response(request.url, { status: 503 });
		}) as typeof globalThis.fetch;
		// At most max(1, ⌊0.5 × first attempts⌋) retries in the window.
		const api = createClient({ fetch, dedupe: dedupe(), retry: { limit: 1, delay: () => 1, jitter: false }, retryBudget: { ratio: 0.5, minRetries: 1 } });
		// B joins A's request; A does not retry, B's retry goes out (the window's one retry).
		const a = api.get('https://api.test/x', { retry: 0 }).catch(() => undefined);
		const b = api.get('https://api.test/x').catch(() => undefined);
		await Promise.all([a, b]);
		// Two first attempts more (3 in all: ⌊1.5⌋ = 1 retry allowed): both retries refused.
		await api.get('https://api.test/z').catch(() => undefined);
		await api.get('https://api.test/z').catch(() => undefined);
		const stats = api.stats()['https://api.test'];
		// Before: { shared: 1, retries: 2, retriesRefused: 1 }: B's retry was counted a first attempt (4 in the window), so the last call's retry went.
		expect({ shared: (stats?.dedupe as { shared?: number } | undefined)?.shared, retries: stats?.retries, retriesRefused: stats?.retriesRefused }).toEqual({ shared: 1, retries: 1, retriesRefused: 2 });
		api.close();
	});
});

describe('dedupe and trace() events', () => {
	it('a call that joins another\'s request is told no attempt:* events of its own: the one request is told once, with its sender\'s id (trace TSDoc)', async () => {
		const { sent, fetch, release } = holdingFetch('/users', (path) => new Response(path));
		const api = createClient({ retry: 0, dedupe: dedupe(), trace: trace(), fetch });
		const events: Array<[string, string]> = [];
		api.on('attempt:start', (event) => events.push(['start', event.requestId]));
		api.on('attempt:end', (event) => events.push(['end', event.requestId]));
		const first = api.get('https://api.test/users').text();
		await vi.waitFor(() => expect(sent).toEqual(['/users']));
		const joiner = api.get('https://api.test/users').text();
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ dedupe: { shared: 1 } }));
		release();
		expect([await first, await joiner, sent]).toEqual(['/users', '/users', ['/users']]);
		expect(events).toEqual([['start', events[0]![1]], ['end', events[0]![1]]]);
		api.close();
	});
});
