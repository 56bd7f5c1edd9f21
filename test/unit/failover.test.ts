/** Origin failover (issue 15): mirrors in order, each with its own breaker scope; the primary back within one probe. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { staleCache } from '../../src/entries/cache.js';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient as createPreset, isStale, memoryStore, outbox } from '../../src/entries/index.js';
import type { EventMap } from '../../src/core/event-types.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { refusedUrl, serve } from '../helpers/node-server.js';
import { type Origin, startOrigin } from '../helpers/origin.js';

let primary: Origin;
let mirrorA: Origin;
let mirrorB: Origin;
let dead: string;
beforeAll(async () => {
	[primary, mirrorA, mirrorB, dead] = await Promise.all([startOrigin(), startOrigin(), startOrigin(), refusedUrl()]);
});
afterAll(async () => Promise.all([primary, mirrorA, mirrorB].map(async (origin) => origin.server.close())));

const reset = (): void => {
	for (const origin of [primary, mirrorA, mirrorB]) {
		origin.seen.length = 0;
		origin.failWith = undefined;
	}
};

const record = <T extends keyof EventMap>(api: ReturnType<typeof createClient>, type: T): Array<EventMap[T]> => {
	const events: Array<EventMap[T]> = [];
	api.on(type, (event) => events.push(event as EventMap[T]));
	return events;
};

describe('failover', () => {
	it('a primary refusing connections: the read is answered by the first mirror, from the first call after the breaker opens without touching the primary', async () => {
		reset();
		const clock = new ManualClock();
		const api = createClient({
			clock, retry: 0, retryBudget: false,
			breaker: breaker({ consecutiveFailures: 2, openMs: 10_000 }),
			failover: failover({ mirrors: { [dead]: [mirrorA.server.url, mirrorB.server.url] } }),
		});
		const events = record(api, 'failover');
		const opened = record(api, 'breaker:open');
		for (let index = 0; index < 5; index++) {
			const response = await api.get(`${dead}/json?id=refused&n=${index}`);
			expect(response.url).toBe(`${mirrorA.server.url}/json?id=refused&n=${index}`);
			expect(await response.json()).toMatchObject({ ok: true, path: '/json' });
		}

		expect(opened.map((event) => event.scope)).toEqual([dead]); // opened after the 2nd call
		expect(events.map((event) => event.code)).toEqual(['NETWORK', 'NETWORK', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
		expect(events[0]).toMatchObject({ scope: dead, method: 'GET', url: `${dead}/json?id=refused&n=0`, mirror: `${mirrorA.server.url}/json?id=refused&n=0` });
		expect(mirrorA.seen).toHaveLength(5);
		expect(mirrorB.seen).toHaveLength(0);
		expect(api.stats()[dead]).toMatchObject({ failover: { answered: 5 } });
		api.close();
	});

	it('mirrors in order: a failing first mirror (its own breaker scope) hands on to the second', async () => {
		reset();
		mirrorA.failWith = 503;
		const api = createClient({
			retry: 0, retryBudget: false,
			breaker: breaker({ consecutiveFailures: 1, openMs: 60_000 }),
			failover: failover({ mirrors: { [dead]: [mirrorA.server.url, mirrorB.server.url] } }),
		});
		const first = await api.get(`${dead}/json?id=order`).json<{ ok: boolean }>();
		expect(first.ok).toBe(true);
		const second = await api.get(`${dead}/json?id=order2`);
		expect(second.url.startsWith(mirrorB.server.url)).toBe(true);
		// Mirror A's breaker opened on its 503: the second call did not reach it.
		expect(mirrorA.seen).toHaveLength(1);
		expect(mirrorB.seen).toHaveLength(2);
		expect(api.breaker(mirrorA.server.url).state).toBe('open');
		expect(api.breaker(dead).state).toBe('open');
		expect(api.breaker(mirrorB.server.url).state).toBe('closed');
		api.close();
	});

	it('back to the primary within one probe after it recovers', async () => {
		reset();
		primary.failWith = 503;
		const clock = new ManualClock();
		const api = createClient({
			clock, random: () => 0.5, retry: 0, retryBudget: false, // random 0.5: exactly 5 s open
			breaker: breaker({ consecutiveFailures: 1, openMs: 5_000 }),
			failover: failover({ mirrors: { [primary.server.url]: [mirrorA.server.url] } }),
		});
		const where = async (): Promise<string> => new URL((await api.get(`${primary.server.url}/json?id=back`)).url).origin;
		expect(await where()).toBe(mirrorA.server.url); // the 503 opened the primary's breaker
		expect(await where()).toBe(mirrorA.server.url); // open: the primary is not asked
		expect(primary.seen).toHaveLength(1);
		primary.failWith = undefined; // recovers
		clock.advance(5_000);
		expect(await where()).toBe(primary.server.url); // the probe is the caller's call, and it succeeds
		expect(await where()).toBe(primary.server.url);
		expect(primary.seen).toHaveLength(3);
		expect(mirrorA.seen).toHaveLength(2);
		api.close();
	});

	it('GET/HEAD and keyed calls only; failover: false per call; permanent errors and the caller\'s abort are not failed over', async () => {
		reset();
		primary.failWith = 503;
		const api = createClient({ retry: 0, retryBudget: false, failover: failover({ mirrors: { [primary.server.url]: [mirrorA.server.url] } }) });
		await expect(api.post(`${primary.server.url}/mutate?id=plain`, { json: { a: 1 } })).rejects.toMatchObject({ response: { status: 503 } });
		expect(mirrorA.seen).toHaveLength(0);
		const keyed = await api.post(`${primary.server.url}/mutate?id=keyed`, { json: { a: 1 }, idempotencyKey: 'k-1' });
		expect(keyed.status).toBe(201);
		expect(mirrorA.state.applied.get('keyed')).toEqual([expect.objectContaining({ key: 'k-1', body: '{"a":1}' })]);
		await expect(api.get(`${primary.server.url}/json?id=off`, { failover: false })).rejects.toMatchObject({ response: { status: 503 } });
		primary.failWith = 404;
		await expect(api.get(`${primary.server.url}/json?id=gone`)).rejects.toMatchObject({ response: { status: 404 } });
		primary.failWith = undefined;
		const controller = new AbortController();
		const pending = api.get(`${primary.server.url}/hang?id=abort`, { signal: controller.signal });
		setTimeout(() => controller.abort(new Error('mine')), 20);
		await expect(pending).rejects.toThrow('mine');
		expect(mirrorA.seen).toEqual(['POST /mutate?id=keyed']);
		api.close();
	});

	it('throwHttpErrors: false: a 5xx response is failed over; when every mirror fails, the primary\'s own answer stands', async () => {
		reset();
		primary.failWith = 502;
		mirrorA.failWith = 503;
		const api = createClient({ retry: 0, retryBudget: false, throwHttpErrors: false, failover: failover({ mirrors: { [primary.server.url]: [mirrorA.server.url, mirrorB.server.url] } }) });
		const ok = await api.get(`${primary.server.url}/json?id=soft`);
		expect([ok.status, new URL(ok.url).origin]).toEqual([200, mirrorB.server.url]);
		mirrorB.failWith = 500;
		const failed = await api.get(`${primary.server.url}/json?id=soft2`);
		expect([failed.status, new URL(failed.url).origin]).toEqual([502, primary.server.url]);
		api.close();
	});

	it('with the stale cache: a mirror\'s answer is stored under the primary URL; stale is served only when every mirror fails', async () => {
		reset();
		const clock = new ManualClock();
		const store = memoryStore('failover-cache');
		const api = createClient({
			clock, retry: 0, retryBudget: false, store: () => store,
			staleCache: staleCache(),
			failover: failover({ mirrors: { [primary.server.url]: [mirrorA.server.url] } }),
		});
		primary.failWith = 503;
		const fromMirror = await api.get(`${primary.server.url}/json?id=cached`).json<{ path: string }>();
		expect(fromMirror.path).toBe('/json');
		await expect.poll(async () => (await api.cache.list()).map((entry) => entry.url)).toEqual([`${primary.server.url}/json?id=cached`]);
		mirrorA.failWith = 503;
		const stale = await api.get(`${primary.server.url}/json?id=cached`);
		expect(isStale(stale)).toBe(true);
		expect(await stale.json()).toEqual(fromMirror);
		api.close();
	});

	it('outbox replays go to the origin they were made for unless replays: true (a write the caller keyed: API.md, "not one the outbox made")', async () => {
		reset();
		const store = memoryStore('failover-outbox');
		primary.failWith = 503;
		const make = (replays: boolean) => createPreset({
			retry: 0, retryBudget: false, breaker: false, staleCache: false, store: () => store,
			outbox: outbox({ baseBackoffMs: 1 }),
			failover: failover({ mirrors: { [primary.server.url]: [mirrorA.server.url] }, replays }),
		});
		const api = make(false);
		mirrorA.failWith = 503; // the first attempt fails everywhere: the write is queued
		await expect(api.post(`${primary.server.url}/mutate?id=q`, { json: { q: 1 }, idempotencyKey: 'q-key' })).rejects.toMatchObject({ code: 'QUEUED' });
		mirrorA.failWith = undefined;
		await vi.waitFor(async () => {
			expect((await api.outbox.flush()).sent).toBe(0);
			expect(primary.seen.filter((line) => line.includes('id=q')).length).toBeGreaterThanOrEqual(2); // the first attempt and replays
		});
		expect(mirrorA.seen.filter((line) => line.includes('id=q'))).toHaveLength(1); // its first attempt only (failed over: keyed by the caller), no replay
		api.close();
		const opted = make(true);
		// The entry is due again after its (1 ms-based) backoff: flush until it is delivered.
		await vi.waitFor(async () => {
			await opted.outbox.flush();
			expect(mirrorA.state.applied.get('q')).toHaveLength(1);
		});
		expect(await opted.outbox.size()).toBe(0);
		opted.close();
	});

	it('a write keyed by the outbox (no key of the caller\'s) never goes to a mirror, its first attempt included; one the caller keyed does', async () => {
		reset();
		const store = memoryStore('failover-outbox-key');
		primary.failWith = 503;
		const api = createPreset({
			retry: 0, retryBudget: false, breaker: false, staleCache: false, store: () => store,
			outbox: outbox({ baseBackoffMs: 60_000 }),
			failover: failover({ mirrors: { [primary.server.url]: [mirrorA.server.url] } }),
		});
		const headerKeyed = await api.post(`${primary.server.url}/mutate?id=header-key`, { json: { q: 2 }, headers: { 'Idempotency-Key': 'mine-1' } });
		const optionKeyed = await api.post(`${primary.server.url}/mutate?id=option-key`, { json: { q: 3 }, idempotencyKey: 'mine-2' });
		expect([headerKeyed.status, optionKeyed.status]).toEqual([201, 201]);
		await expect(api.post(`${primary.server.url}/mutate?id=outbox-key`, { json: { q: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		expect(mirrorA.seen).toEqual(['POST /mutate?id=header-key', 'POST /mutate?id=option-key']);
		api.close();
	});

	it('a mirror\'s own limits are its own: a mirror attempt takes the mirror\'s bulkhead slot; its 429 Retry-After holds the mirror, not the primary', async () => {
		let primaryDown = false;
		let release = (): void => undefined;
		const seen: string[] = [];
		const own = await serve(async (request) => {
			const { pathname } = new URL(request.url);
			seen.push(`primary ${pathname}`);
			if (pathname === '/hang') {
				await new Promise<void>((resolve) => {
					release = resolve;
				});
			}

			return new Response('{}', { status: primaryDown ? 503 : 200 });
		});
		const mirror = await serve((request) => {
			const { pathname } = new URL(request.url);
			seen.push(`mirror ${pathname}`);
			return pathname === '/a' ? new Response('slow down', { status: 429, headers: { 'retry-after': '30' } }) : new Response('{}');
		});
		const api = createClient({
			retry: 0, retryBudget: false, rateLimit: rateLimit(), bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }),
			failover: failover({ mirrors: { [own.url]: [mirror.url] } }),
		});
		// The primary's one slot is taken: the call is failed over (BULKHEAD_FULL is transient), and the mirror has a slot of its own.
		const hung = api.get(`${own.url}/hang`);
		await vi.waitFor(() => expect(seen).toEqual(['primary /hang']));
		expect((await api.get(`${own.url}/d`)).url).toBe(`${mirror.url}/d`);
		release();
		expect((await hung).status).toBe(200);
		// The mirror says "wait 30 s": the primary, back, is still asked; the mirror is not, while the primary fails again.
		primaryDown = true;
		await expect(api.get(`${own.url}/a`)).rejects.toMatchObject({ response: { status: 503 } });
		primaryDown = false;
		expect((await api.get(`${own.url}/b`)).status).toBe(200);
		primaryDown = true;
		await expect(api.get(`${own.url}/c`)).rejects.toMatchObject({ response: { status: 503 } });
		expect(seen).toEqual(['primary /hang', 'mirror /d', 'primary /a', 'mirror /a', 'primary /b', 'primary /c']);
		api.close();
		await Promise.all([own.close(), mirror.close()]);
	});

	it('a mirror given as a base URL: its path goes before the request\'s path', async () => {
		reset();
		primary.failWith = 503;
		const api = createClient({ retry: 0, retryBudget: false, failover: failover({ mirrors: { [primary.server.url]: [`${mirrorA.server.url}/json-mirror/`] } }) });
		// The test API knows no /json-mirror route: the mirror's 404 is not an answer, and the primary's 503 stands.
		await expect(api.get(`${primary.server.url}/json?id=based`)).rejects.toMatchObject({ response: { status: 503 } });
		expect(mirrorA.seen).toEqual(['GET /json-mirror/json?id=based']);
		api.close();
	});

	it('close(): a call whose primary fails after the client closed is not sent to a mirror (no I/O after close); the primary\'s outcome stands', async () => {
		const sent: string[] = [];
		let release: (response: Response) => void = () => undefined;
		const api = createClient({
			retry: 0, retryBudget: false, failover: failover({ mirrors: { 'https://primary.test': ['https://mirror.test'] } }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).origin);
				return request.url.startsWith('https://primary.test') ? new Promise<Response>((resolve) => {
					release = resolve;
				}) : new Response('mirror');
			}) as typeof fetch,
		});
		const call = api.get('https://primary.test/x', { throwHttpErrors: false }).then((response) => response.status);
		await vi.waitFor(() => expect(sent).toEqual(['https://primary.test']));
		api.close();
		release(new Response('down', { status: 503 }));
		expect([await call, sent]).toEqual([503, ['https://primary.test']]);
	});

	it('bad options: a RangeError at creation, naming the option', () => {
		expect(() => failover(undefined as never)).toThrow(RangeError);
		expect(() => failover({ mirrors: {} })).toThrow(/failover\.mirrors/);
		expect(() => failover({ mirrors: { 'https://a.example/v1': ['https://b.example'] } })).toThrow(/an http\(s\) origin/);
		expect(() => failover({ mirrors: { 'https://a.example': [] } })).toThrow(/non-empty array/);
		expect(() => failover({ mirrors: { 'https://a.example': ['ftp://b.example'] } })).toThrow(/\[0\]/);
		expect(() => failover({ mirrors: { 'https://a.example': ['https://a.example/x'] } })).toThrow(/another origin/);
		expect(() => failover({ mirrors: { 'https://a.example': ['https://b.example?x=1'] } })).toThrow(RangeError);
		expect(() => failover({ mirrors: { 'https://a.example': ['https://b.example'] }, replays: 'yes' as never })).toThrow(/replays/);
		expect(() => failover({ mirrors: { 'https://a.example/': ['https://b.example/api/'] } })).not.toThrow();
	});
});
