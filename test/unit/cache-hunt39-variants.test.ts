/**
 * Defect hunt, thirty-ninth round (the stale cache). Each test names its claim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, OutboxQueuedError, type Client, type ClientOptions, type OutboxPolicy } from '../../src/entries/index.js';
import type { Outbox } from '../../src/entries/outbox.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { noteHeard } from '../helpers/other-tabs.js';
import { waitFor } from '../helpers/wait-for.js';
import { controlledPageEachTest, pageBehindWorker } from './breaker-kit.js';
import { answering, collect, copiedUrl, downable, next, outcome, settle, staleOrFresh, t0 } from './cache-kit.js';
import { fakeWindow } from './outbox-helpers.js';

/**
 * Two clients of one name over one store (`b` made by `make`, on `a`'s clock): `a` stores a copy of `copiedUrl` without a
 * validator (`max-age=60`, body `v1`), `remove` takes it away through `b` (or `a`), 500 ms on (within the one-copy-a-second
 * rule) `a` reads `v2`; 1 s on, with the origin down, what `a` answers.
 */
const afterRemoval = async (name: string, remove: (a: ReturnType<typeof answering>, b: ReturnType<typeof answering>) => Promise<unknown>, make = (records: Map<string, unknown>, a: ReturnType<typeof answering>) => answering(name, records, a.clock)): Promise<string> => {
	const records = new Map<string, unknown>();
	const a = answering(name, records);
	const b = make(records, a);
	a.state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60' } };
	const stored = next(a.api, 'cache:stored');
	await a.api.get(copiedUrl).text();
	await stored;
	await remove(a, b);
	await expect.poll(() => [...records.keys()].some((key) => key.endsWith(copiedUrl))).toBe(false);
	a.clock.advance(500);
	a.state.answer = { body: 'v2', headers: { 'cache-control': 'max-age=60' } };
	await a.api.get(copiedUrl).text();
	await settle();
	a.clock.advance(1000);
	a.state.down = true;
	const seen = await outcome(a.api);
	a.api.close();
	b.api.close();
	return seen;
};

describe('an answer within 1 s of a copy another client of the name removed (no validator: the one-copy-a-second rule)', () => {
	it('cache.delete() through another createClient on the same store: the answer is stored, and a failure then is answered with it', async () => {
		expect(await afterRemoval('h39-recent-delete', async (_, b) => b.api.cache.delete(copiedUrl))).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: cache.clear() through the other client', async () => {
		expect(await afterRemoval('h39-recent-clear', async (_, b) => b.api.cache.clear())).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: client.clear() through the other client', async () => {
		expect(await afterRemoval('h39-recent-client-clear', async (_, b) => b.api.clear())).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: a write to the URL delivered through the other client', async () => {
		expect(await afterRemoval('h39-recent-write', async (_, b) => {
			b.state.answer = { body: 'ok' };
			return b.api.put(copiedUrl).text();
		})).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: cache.delete() through an extend() sibling (one view)', async () => {
		expect(await afterRemoval('h39-recent-extend', async (_, b) => b.api.cache.delete(copiedUrl), (_, a) => ({ ...a, api: a.api.extend({}) }))).toBe('steadfetch; hit; ttl=59; detail=network v2');
	});

	it('neighbour: cache.delete() in another tab (the removal heard over the channel)', async () => {
		const win = fakeWindow();
		try {
			expect(await afterRemoval('h39-recent-tab', async (_, b) => {
				const heard = noteHeard('h39-recent-tab');
				await b.api.cache.delete(copiedUrl);
				await heard;
			})).toBe('steadfetch; hit; ttl=59; detail=network v2');
		} finally {
			win.restore();
		}
	});
});

/** A loopback origin: a write of `/me` is redirected (307) to `/users/42`; a write of `/users/42` counts; its GET answers `v<n>` (n: the writes it took + 1). */
let origin: RunningServer;
let version = 1;
beforeAll(async () => {
	origin = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		if (pathname === '/me' && request.method !== 'GET') {
			return new Response(null, { status: 307, headers: { location: '/users/42' } });
		}

		if (request.method !== 'GET') {
			version++;
			return new Response(null, { status: 204 });
		}

		return new Response(`v${version}`, { headers: { 'cache-control': 'max-age=60' } });
	});
});
afterAll(async () => origin.close());

/** `downable` on this file's origin. */
const redirecting = (name: string, records: Map<string, unknown>, clock: ManualClock, options: ClientOptions = {}) => downable(origin.url, name, records, clock, options);
const got = staleOrFresh;

describe('a write the origin redirects: PUT /me answered from /users/42 (307)', () => {
	/**
	 * `reader` stores a copy of GET /users/42, 5 s on `write` makes the write through `writer` (`reader` when not given); 1 s on, with
	 * the origin down, what `reader` answers for /users/42; and the URLs `reader` heard written (`write:delivered`).
	 */
	const afterRedirectedWrite = async (name: string, write: (api: ReturnType<typeof createClient>, state: { down: boolean }) => Promise<unknown>, { options = {}, other = false }: { options?: ClientOptions; other?: boolean } = {}): Promise<[string, string[]]> => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const reader = redirecting(name, records, clock, options);
		const writer = other ? redirecting(name, records, clock, options) : reader;
		const heard = collect(reader.api, 'write:delivered');
		const stored = next(reader.api, 'cache:stored');
		expect(await got(reader.api, 'users/42')).toMatch(/^fresh v\d+$/);
		await stored;
		clock.advance(5000);
		await write(writer.api, writer.state);
		await settle();
		clock.advance(1000);
		reader.state.down = true;
		const seen = await got(reader.api, 'users/42');
		reader.api.close();
		writer.api.close();
		return [seen, heard.map(({ method, url }) => `${method} ${url.slice(origin.url.length)}`)];
	};

	it('the URL finally written is delivered too: its copies go, a failure then is no older copy', async () => {
		expect(await afterRedirectedWrite('h39-redirect-put', async (api) => api.put('me'))).toEqual(['NetworkError', ['PUT /me', 'PUT /users/42']]);
	});

	it('neighbour: with deadlineHeader (steadfetch follows the redirect itself)', async () => {
		expect(await afterRedirectedWrite('h39-redirect-deadline', async (api) => api.put('me'), { options: { deadlineHeader: 'x-deadline' } })).toEqual(['NetworkError', ['PUT /me', 'PUT /users/42']]);
	});

	it('neighbour: a write through another client of the name and store', async () => {
		expect(await afterRedirectedWrite('h39-redirect-other', async (api) => api.put('me'), { other: true })).toEqual(['NetworkError', ['PUT /me', 'PUT /users/42']]);
	});

	it('neighbour: the write queued in the outbox, delivered by its replay', async () => {
		expect(await afterRedirectedWrite('h39-redirect-replay', async (api, state) => {
			state.down = true;
			await expect(api.put('me')).rejects.toThrow(OutboxQueuedError);
			state.down = false;
			expect(await (api as Client<{ outbox: OutboxPolicy }>).outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		}, { options: { outbox: outbox() } })).toEqual(['NetworkError', ['PUT /me', 'PUT /users/42']]);
	});
});

describe('a write told "queued" at its deadline whose attempt then rejects with nothing (a custom fetch\'s `reject(undefined)`)', () => {
	it.each([undefined, null])('rejected with %s: the entry stays, its lease ended, told outbox:retry', async (nothing) => {
		let reject = (_: unknown): void => undefined;
		const api = createClient({
			name: `h39-early-${String(nothing)}`, store: () => memoryStore(`h39-early-${String(nothing)}`), retry: 0, breaker: false, staleCache: false,
			outbox: outbox({ networkTimeoutMs: 40 }),
			fetch: (async () => new Promise<Response>((_, rejecting) => {
				reject = rejecting;
			})) as typeof fetch,
		});
		const retried = collect(api, 'outbox:retry');
		await expect(api.put('https://a.test/doc/1', { json: { v: 1 } })).rejects.toThrow(OutboxQueuedError);
		reject(nothing);
		await expect.poll(() => retried.length).toBe(1);
		const [entry] = await api.outbox.list();
		expect([entry?.attempts, entry?.inFlightUntil]).toEqual([1, undefined]);
		api.close();
	});
});

describe('a page write the worker held at its deadline, whose attempt then rejects with nothing (settleHeld)', () => {
	const opened = controlledPageEachTest();

	it.each([undefined, null])('rejected with %s: the held entry is let go, delivered once by a later replay', async (nothing) => {
		const name = `h39-held-${String(nothing)}`;
		const store = memoryStore(name);
		const both = { name, store: () => store, staleCache: false as const };
		const { server, worker, page } = pageBehindWorker(opened, name, { ...both, outbox: outbox({ baseBackoffMs: 60_000, networkTimeoutMs: 300 }) },
			{ ...both, outbox: outbox({ baseBackoffMs: 60_000, networkTimeoutMs: 50 }) });
		server.down();
		server.hang();
		const told = await page.post('https://api.test/todos', { json: { title: 'a' } }).catch((error: { entryId?: string }) => error.entryId);
		await waitFor(async () => (await (page as typeof page & { outbox: Outbox }).outbox.list())[0]?.attempts === 1, 'the page\'s attempt to end (the worker\'s 202)');
		for (const { reject } of server.pending.splice(0)) {
			reject(nothing);
		}

		server.up();
		const delivered = await (worker as typeof worker & { outbox: Outbox }).outbox.flush();
		expect([typeof told, delivered.sent, await (worker as typeof worker & { outbox: Outbox }).outbox.size()]).toEqual(['string', 1, 0]);
	});
});
