/**
 * Every policy across real request contexts of one Worker isolate (API.md "Request contexts"): one
 * module-level client per Worker script (test/workerd-requests/workers/), each call its own
 * `dispatchFetch`. A Worker named `<script>-2` runs the same script in another isolate: what it
 * finds was stored, not kept in the first isolate's memory. No test may leave a cross-request
 * warning, an uncaught error or a write cancelled with its request in workerd's log.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { refusedUrl } from '../helpers/node-server.js';
import { startOrigin, startWorkers, until, type Harness, type Origin } from './harness.js';

const workers = join(import.meta.dirname, 'workers');
let harness: Harness;
let origin: Origin;
let logFrom = 0;

beforeAll(async () => {
	origin = await startOrigin();
	const script = (name: string, options = {}) => ({ file: join(workers, `${name}.js`), options });
	harness = await startWorkers({
		'cache-api': script('cache-api'),
		'cache-api-2': script('cache-api'),
		'default-store': script('default-store'),
		'default-store-2': script('default-store'),
		'cache-dropped': script('cache-dropped'),
		outbox: script('outbox', { bindings: { NAME: 'outbox' } }),
		'outbox-drain': script('outbox', { bindings: { NAME: 'outbox-drain' } }),
		'outbox-detached': script('outbox', { bindings: { NAME: 'outbox-detached' } }),
		'outbox-breaker': script('outbox-breaker'),
		'outbox-flush': script('outbox', { bindings: { NAME: 'outbox-flush' } }),
		bulkhead: script('bulkhead'),
		'bulkhead-lease': script('bulkhead-lease'),
		'bulkhead-waiter': script('bulkhead-lease'),
		'rate-limit': script('rate-limit'),
		'rate-limit-ended': script('rate-limit'),
		dedupe: script('dedupe'),
		'dedupe-ambient': script('dedupe-ambient'),
		hedge: script('hedge'),
		'hedge-dedupe': script('hedge-dedupe'),
		breaker: script('breaker'),
		'breaker-2': script('breaker'),
		'breaker-3': script('breaker'),
		'breaker-dropped': script('breaker-dropped'),
		'coordinator-ambient': script('coordinator-ambient'),
	});
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
	await origin?.close();
});

beforeEach(() => {
	origin.state.down = false;
	logFrom = harness.log.length;
});

afterEach(async () => {
	// What a request left running reports late: give it a moment to show up.
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(harness.crossRequestWarnings(logFrom)).toEqual([]);
});

interface Answer {
	status?: number;
	stale?: boolean;
	body?: string;
	error?: string;
	message?: string;
}

interface Seen {
	type: string;
	url?: string;
	error?: string;
	operation?: string;
}

const to = (path: string): string => `to=${encodeURIComponent(origin.url + path)}`;
const get = async (worker: string, path: string) => harness.json<Answer>(worker, `/get?${to(path)}`);
const events = async (worker: string) => harness.json<Seen[]>(worker, '/events');
const hitsOf = (path: string) => origin.hits.filter((hit) => hit.path === path);
const fresh = (path: string): Answer => ({ status: 200, stale: false, body: `hello ${path}` });
const staleCopy = (path: string): Answer => ({ status: 200, stale: true, body: `hello ${path}` });
/** Calls of the origin's scope that joined another's request (`stats().dedupe.shared`). */
const sharedBy = async (worker: string): Promise<number> =>
	(await harness.json<Record<string, { dedupe?: { shared?: number } }>>(worker, '/stats'))[origin.url]?.dedupe?.shared ?? 0;

describe('the stale cache across requests (each call hands its background work to waitUntil)', () => {
	for (const worker of ['cache-api', 'default-store']) {
		it(`${worker}: a copy stored in one request is served in a later one after a 503, and by another isolate (cache:stored, no storage:error)`, async () => {
			const path = `/ok/${worker}-one`;
			await events(worker);
			expect(await get(worker, path)).toEqual(fresh(path));
			origin.state.down = true;
			expect(await get(worker, path)).toEqual(staleCopy(path));
			expect(await get(`${worker}-2`, path)).toEqual(staleCopy(path));
			const seen = await events(worker);
			expect(seen.filter((event) => event.type === 'storage:error')).toEqual([]);
			expect(seen.filter((event) => event.type === 'cache:stored').map((event) => event.url)).toEqual([origin.url + path]);
		}, 30_000);

		it(`${worker}: copies written in several requests each land, and each is served later, here and in another isolate`, async () => {
			const paths = [1, 2, 3, 4].map((index) => `/ok/${worker}-several-${index}`);
			await events(worker);
			for (const path of paths) {
				expect(await get(worker, path)).toEqual(fresh(path));
			}

			origin.state.down = true;
			for (const path of paths) {
				expect(await get(worker, path)).toEqual(staleCopy(path));
				expect(await get(`${worker}-2`, path)).toEqual(staleCopy(path));
			}

			const seen = await events(worker);
			expect(seen.filter((event) => event.type === 'storage:error')).toEqual([]);
			expect(seen.filter((event) => event.type === 'cache:stored')).toHaveLength(paths.length);
		}, 30_000);

		it(`${worker}: a body streamed through to the caller is stored, and served streamed in a later request`, async () => {
			const path = `/big/${worker}-streamed`;
			await events(worker);
			const first = await harness.fetch(worker, `/stream?${to(path)}`);
			expect([first.status, first.headers.get('x-stale'), (await first.text()).length]).toEqual([200, 'false', 200 * 1024]);
			origin.state.down = true;
			const second = await harness.fetch(worker, `/stream?${to(path)}`);
			expect([second.status, second.headers.get('x-stale'), (await second.text()).length]).toEqual([200, 'true', 200 * 1024]);
			const seen = await events(worker);
			expect(seen.filter((event) => event.type === 'storage:error')).toEqual([]);
			expect(seen.filter((event) => event.type === 'cache:stored')).toHaveLength(1);
		}, 40_000);
	}

	it('without waitUntil: what a call could not finish is reported, never left running; a later failed call still answers', async () => {
		const paths = ['/ok/dropped-1', '/ok/dropped-2'];
		await events('cache-dropped');
		const streamed = await harness.fetch('cache-dropped', `/stream?${to('/big/dropped')}`);
		expect((await streamed.text()).length).toBe(200 * 1024);
		for (const path of paths) {
			expect(await get('cache-dropped', path)).toEqual(fresh(path));
		}

		origin.state.down = true;
		// Nothing stored for it: the origin's 503, at once (the cache's lookup waits for nothing an ended request left).
		expect(await get('cache-dropped', '/ok/never-stored')).toMatchObject({ error: 'HTTP_5XX' });
		for (const path of paths) {
			// A stale copy if the write finished within its call, else the origin's 503: never a hang.
			const answer = await get('cache-dropped', path);
			expect(answer.stale === true || answer.error === 'HTTP_5XX', JSON.stringify(answer)).toBe(true);
		}

		const seen = await events('cache-dropped');
		for (const path of [...paths, '/big/dropped']) {
			expect(seen.some((event) => event.url === origin.url + path && (event.type === 'cache:stored' || event.type === 'storage:error'))).toBe(true);
		}
	}, 40_000);
});

describe('the outbox across requests', () => {
	it('a client with the outbox is made at module scope (workerd forbids an AbortController there)', async () => {
		const own = await startWorkers({ 'outbox-module': { file: join(workers, 'outbox-module.js') } });
		try {
			expect(await own.json('outbox-module', '/events')).toEqual([]);
			expect(own.crossRequestWarnings()).toEqual([]);
		} finally {
			await own.dispose();
		}
	}, 30_000);

	it('a write queued in one request is replayed by flush() in a later one, with its Idempotency-Key', async () => {
		origin.state.down = true;
		expect(await harness.json('outbox', `/post?${to('/ok/order')}&n=1`)).toMatchObject({ status: 202 });
		origin.state.down = false;
		const [first] = hitsOf('/ok/order');
		// flush() sends it, unless the outbox's own timer (its backoff over, on a busy machine) did first:
		// either way it is delivered once, and nothing is left.
		const flushed = await harness.json<{ sent: number }>('outbox', '/flush');
		expect(flushed).toMatchObject({ failed: 0, dead: 0, remaining: 0 });
		await until(() => hitsOf('/ok/order').length === 2, 10_000, 'the queued write to be replayed');
		const replays = hitsOf('/ok/order').slice(1);
		expect(replays.map((hit) => [hit.method, hit.body, hit.headers['idempotency-key']])).toEqual([['POST', '{"at":"1"}', first!.headers['idempotency-key']]]);
	}, 30_000);

	it('a write queued in one request is delivered by the drain a later request starts (a good answer from its scope), held by that request\'s waitUntil', async () => {
		origin.state.down = true;
		expect(await harness.json('outbox-drain', `/post?${to('/ok/drained')}&n=2`)).toMatchObject({ status: 202 });
		origin.state.down = false;
		expect(await get('outbox-drain', '/ok/after-the-outage')).toEqual(fresh('/ok/after-the-outage'));
		await until(() => hitsOf('/ok/drained').length === 2, 10_000, 'the queued write to be replayed');
		expect(hitsOf('/ok/drained')[1]!.body).toBe('{"at":"2"}');
		await until(async () => (await events('outbox-drain')).some((event) => event.type === 'outbox:sent'), 10_000, 'outbox:sent');
	}, 30_000);

	it('with the breaker on: a write queued while it is open is replayed in the request whose probe closes it (no flush), and a later flush() finds nothing left', async () => {
		await events('outbox-breaker');
		origin.state.down = true;
		let answer: Answer = {};
		for (let index = 0; index < 4 && answer.error !== 'CIRCUIT_OPEN'; index++) {
			answer = await get('outbox-breaker', '/ok/breaker-probe');
		}

		expect(answer).toMatchObject({ error: 'CIRCUIT_OPEN' });
		expect(await harness.json('outbox-breaker', `/post?${to('/ok/breaker-write')}&n=1`)).toMatchObject({ status: 202 });
		expect(hitsOf('/ok/breaker-write')).toHaveLength(0); // refused by the open breaker, without I/O
		origin.state.down = false;
		// Once the breaker lets a probe through, its good answer closes it (breaker:closed) and drains.
		await until(async () => (await get('outbox-breaker', '/ok/breaker-probe')).status === 200, 10_000, 'the breaker to close');
		await until(() => hitsOf('/ok/breaker-write').length === 1, 10_000, 'the queued write to be replayed');
		// The origin has the write before the Worker has its answer: gather events until outbox:sent.
		const seen: Seen[] = [];
		await until(async () => {
			seen.push(...await events('outbox-breaker'));
			return seen.some((event) => event.type === 'outbox:sent');
		}, 10_000, 'outbox:sent');
		expect(seen.map((event) => event.type)).toEqual(expect.arrayContaining(['breaker:closed', 'outbox:sent']));
		expect(seen.filter((event) => event.type === 'storage:error')).toEqual([]);
		expect(await harness.json('outbox-breaker', '/flush')).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
	}, 30_000);

	it('outbox.retry(id) through withContext(ctx) drops nothing: the dead letter is pending again and a later flush() delivers it', async () => {
		await events('outbox-breaker');
		origin.state.down = true;
		expect(await harness.json('outbox-breaker', `/post?${to('/ok/retried')}&n=2`)).toMatchObject({ status: 202 });
		expect(await harness.json('outbox-breaker', '/flush')).toMatchObject({ dead: 1 }); // its second attempt: maxAttempts 2
		const [dead] = await harness.json<Array<{ id: string; deadReason: string }>>('outbox-breaker', '/dead-letters');
		expect(dead).toMatchObject({ deadReason: 'max-attempts' });
		origin.state.down = false;
		await events('outbox-breaker');
		expect(await harness.json('outbox-breaker', `/retry?id=${dead!.id}`)).toEqual({ retried: true });
		expect((await events('outbox-breaker')).filter((event) => event.type === 'storage:error')).toEqual([]);
		// Two failures opened the breaker: once it lets a request through, the entry goes (the probe's drain, or flush()).
		await until(async () => (await get('outbox-breaker', '/ok/breaker-probe')).status === 200, 10_000, 'the breaker to close');
		await until(async () => (await harness.json<{ remaining: number }>('outbox-breaker', '/flush')).remaining === 0, 10_000, 'the revived entry to be delivered');
		expect(hitsOf('/ok/retried').map((hit) => hit.body)).toEqual(['{"at":"2"}', '{"at":"2"}', '{"at":"2"}']);
		expect(await harness.json('outbox-breaker', '/dead-letters')).toEqual([]);
	}, 30_000);

	it('a replay drops the stale copy of its URL in the request that replays it: flush() through withContext(ctx), a scheduled handler\'s ctx.waitUntil(withContext(ctx).outbox.flush()), the drain a good answer starts (no storage:error, never the pre-write copy)', async () => {
		const worker = 'outbox-flush';
		const replays: Array<[string, () => Promise<unknown>]> = [
			['/ok/flushed-ctx', async () => expect(await harness.json(worker, '/flush-ctx')).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 })],
			['/ok/flushed-scheduled', async () => (await harness.mf.getWorker(worker)).scheduled({ cron: '* * * * *' })],
			['/ok/flushed-drain', async () => expect(await get(worker, '/ok/after-the-outage-flush')).toEqual(fresh('/ok/after-the-outage-flush'))],
		];
		for (const [index, [path, replay]] of replays.entries()) {
			await events(worker);
			expect(await get(worker, path)).toEqual(fresh(path)); // a copy of the URL, stored
			origin.state.down = true;
			expect(await harness.json(worker, `/post?${to(path)}&n=${index}`)).toMatchObject({ status: 202 });
			origin.state.down = false;
			await replay();
			await until(() => hitsOf(path).filter((hit) => hit.method === 'POST').length === 2, 10_000, 'the queued write to be replayed');
			await until(async () => (await harness.json<{ remaining: number }>(worker, '/flush')).remaining === 0, 10_000, 'the outbox to be empty');
			const seen = await events(worker);
			expect(seen.filter((event) => event.type === 'storage:error'), path).toEqual([]);
			expect(seen.map((event) => event.type)).toContain('outbox:sent');
			origin.state.down = true;
			// The write was delivered: the copy taken before it is gone, never served as the resource's state.
			expect(await get(worker, path), path).toMatchObject({ error: 'HTTP_5XX' });
			origin.state.down = false;
		}
	}, 60_000);

	it('a drain that died with its request (flush() neither awaited nor handed to waitUntil) holds no later request for long: a later flush() delivers within seconds', async () => {
		origin.state.down = true;
		expect(await harness.json('outbox-detached', `/post?${to('/ok/detached')}&n=3`)).toMatchObject({ status: 202 });
		origin.state.down = false;
		expect(await harness.json('outbox-detached', '/flush-detached')).toEqual({ detached: true });
		// Within a few seconds (the dead drain's heartbeat stops), not a minute.
		await until(async () => (await harness.json<{ remaining: number }>('outbox-detached', '/flush')).remaining === 0, 10_000, 'a later flush() to take over and deliver');
		expect(hitsOf('/ok/detached').at(-1)!.body).toBe('{"at":"3"}');
	}, 40_000);
});

describe('traffic policies across concurrent requests', () => {
	it('bulkhead: a call waiting in one request for the slot another request holds goes on in its own request', async () => {
		const first = get('bulkhead', '/held/b1');
		await until(() => hitsOf('/held/b1').length === 1, 10_000, 'the first call to reach the origin');
		const second = get('bulkhead', '/held/b2');
		await until(async () => {
			const stats = await harness.json<Record<string, { bulkhead?: { queued: number } }>>('bulkhead', '/stats');
			return stats[origin.url]?.bulkhead?.queued === 1;
		}, 10_000, 'the second call to wait for the slot');
		expect(hitsOf('/held/b2')).toHaveLength(0);
		origin.release('b1');
		expect(await first).toEqual(fresh('/held/b1'));
		await until(() => hitsOf('/held/b2').length === 1, 10_000, 'the second call to reach the origin');
		origin.release('b2');
		expect(await second).toEqual(fresh('/held/b2'));
	}, 30_000);

	it('bulkhead: a request that ends with its attempt in flight holds the slot until that attempt\'s deadline (its 3 s timeout), no longer: later requests go on', async () => {
		// workerd runs nothing more of a request that has ended: its attempt can never end and free the slot.
		expect(await harness.json('bulkhead-lease', `/race?${to('/held/lease-a')}&ms=1000`)).toEqual({ left: true });
		origin.release('lease-a');
		// Waiting in its own request, this call gets the slot when the first attempt's deadline passes.
		expect(await get('bulkhead-lease', '/ok/lease-b')).toEqual(fresh('/ok/lease-b'));
		expect(await get('bulkhead-lease', '/ok/lease-c')).toEqual(fresh('/ok/lease-c'));
		const stats = await harness.json<Record<string, { bulkhead?: unknown }>>('bulkhead-lease', '/stats');
		expect(stats[origin.url]?.bulkhead).toMatchObject({ running: 0, queued: 0 });
	}, 30_000);

	it('bulkhead: a waiter whose request has ended takes no slot (no promise of an ended request is settled from another): later requests go on at once', async () => {
		const holder = get('bulkhead-waiter', '/held/lease-h');
		await until(() => hitsOf('/held/lease-h').length === 1, 10_000, 'the holder to reach the origin');
		// This request waits for the slot, and ends while waiting.
		expect(await harness.json('bulkhead-waiter', `/race?${to('/ok/lease-w')}&ms=500`)).toEqual({ left: true });
		origin.release('lease-h');
		expect(await holder).toEqual(fresh('/held/lease-h'));
		const started = performance.now();
		expect(await get('bulkhead-waiter', '/ok/lease-x')).toEqual(fresh('/ok/lease-x'));
		expect(await get('bulkhead-waiter', '/ok/lease-y')).toEqual(fresh('/ok/lease-y'));
		// Not held up by the ended request's waiter (its deadline is 2.5 s away).
		expect(performance.now() - started).toBeLessThan(2_000);
		expect(hitsOf('/ok/lease-w')).toEqual([]);
		// The ended request's waiter leaves the queue at its deadline.
		await until(async () => {
			const stats = await harness.json<Record<string, { bulkhead?: { running: number; queued: number } }>>('bulkhead-waiter', '/stats');
			return stats[origin.url]?.bulkhead?.running === 0 && stats[origin.url]?.bulkhead?.queued === 0;
		}, 10_000, 'nothing running or waiting');
	}, 30_000);

	it('rate limit: a call waiting in one request for the token another request took goes on in its own request', async () => {
		const [first, second] = await Promise.all([get('rate-limit', '/ok/r1'), get('rate-limit', '/ok/r2')]);
		expect(first).toEqual(fresh('/ok/r1'));
		expect(second).toEqual(fresh('/ok/r2'));
		const [a, b] = [hitsOf('/ok/r1')[0]!.at, hitsOf('/ok/r2')[0]!.at].sort((x, y) => x - y);
		// 2 per second, a burst of 1: the second waited about 500 ms for its token.
		expect(b! - a!).toBeGreaterThan(350);
	}, 30_000);

	it('rate limit: a call whose request ends while it waits for its token costs that one token, nothing more: later requests go on at the rate', async () => {
		expect(await get('rate-limit-ended', '/ok/rl-a')).toEqual(fresh('/ok/rl-a'));
		// Its token is ~500 ms away; its request ends after 100 ms (workerd never runs its timer).
		expect(await harness.json('rate-limit-ended', `/race?${to('/ok/rl-b')}&ms=100`)).toEqual({ left: true });
		expect(await get('rate-limit-ended', '/ok/rl-c')).toEqual(fresh('/ok/rl-c'));
		expect(hitsOf('/ok/rl-b')).toEqual([]);
		// 2 per second, a burst of 1: the token after the ended request's, about 1 s after the first.
		expect(hitsOf('/ok/rl-c')[0]!.at - hitsOf('/ok/rl-a')[0]!.at).toBeLessThan(2_500);
	}, 30_000);

	it('dedupe: identical reads in two requests at once each get the whole answer in their own request', async () => {
		const first = get('dedupe', '/held/d1');
		await until(() => hitsOf('/held/d1').length === 1, 10_000, 'the first call to reach the origin');
		const second = get('dedupe', '/held/d1');
		// The second call shares the first's request (state), or, scoped to its own request, sends its own.
		await until(async () => hitsOf('/held/d1').length === 2 || await sharedBy('dedupe') === 1, 10_000, 'the second call to join or go out');
		origin.release('d1');
		expect(await first).toEqual(fresh('/held/d1'));
		expect(await second).toEqual(fresh('/held/d1'));
	}, 30_000);

	it('dedupe: calls that pass the ambient waitUntil of cloudflare:workers never share across requests, and a request that ended with its read in flight holds no later one', async () => {
		const first = get('dedupe-ambient', '/held/da1');
		await until(() => hitsOf('/held/da1').length === 1, 10_000, 'the first call to reach the origin');
		const second = get('dedupe-ambient', '/held/da1');
		await until(() => hitsOf('/held/da1').length === 2, 10_000, 'the second request\'s own call to reach the origin');
		origin.release('da1');
		expect(await first).toEqual(fresh('/held/da1'));
		expect(await second).toEqual(fresh('/held/da1'));
		expect(await sharedBy('dedupe-ambient')).toBe(0);
		// A request that ends with its read in flight: a later request's read goes out on its own and is answered.
		expect(await harness.json('dedupe-ambient', `/race?${to('/held/da2')}&ms=100`)).toEqual({ left: true });
		const later = get('dedupe-ambient', '/held/da2');
		await until(() => hitsOf('/held/da2').length === 2, 10_000, 'the later request\'s own call to reach the origin');
		origin.release('da2');
		expect(await later).toEqual(fresh('/held/da2'));
	}, 30_000);

	it('dedupe: identical reads within one request (withContext) still share one request', async () => {
		const answers = harness.json<string[]>('dedupe', `/twice?${to('/held/d2')}`);
		await until(() => hitsOf('/held/d2').length === 1, 10_000, 'the shared request to reach the origin');
		origin.release('d2');
		expect(await answers).toEqual(['hello /held/d2', 'hello /held/d2']);
		expect(hitsOf('/held/d2')).toHaveLength(1);
		expect(await sharedBy('dedupe')).toBeGreaterThanOrEqual(1);
	}, 30_000);

	it('dedupe: identical reads within one request share one request also through a helper that calls withContext(ctx) per call (one ctx, one request context)', async () => {
		const shared = await sharedBy('dedupe');
		const answers = harness.json<string[]>('dedupe', `/twice-helper?${to('/held/d3')}`);
		await until(() => hitsOf('/held/d3').length >= 1, 10_000, 'the first call to reach the origin');
		await until(async () => hitsOf('/held/d3').length === 2 || await sharedBy('dedupe') > shared, 10_000, 'the second call to join or go out');
		origin.release('d3');
		expect(await answers).toEqual(['hello /held/d3', 'hello /held/d3']);
		// Before: each withContext(ctx) was a partition of its own: two requests to the origin, none shared.
		expect([hitsOf('/held/d3').length, await sharedBy('dedupe') - shared]).toEqual([1, 1]);
	}, 30_000);

	it('hedge: slow reads in two requests at once are each hedged in their own request', async () => {
		const first = get('hedge', '/held/h1');
		const second = get('hedge', '/held/h2');
		await until(() => hitsOf('/held/h1').length === 2 && hitsOf('/held/h2').length === 2, 10_000, 'both calls and their hedges to reach the origin');
		origin.release('h1');
		origin.release('h2');
		expect(await first).toEqual(fresh('/held/h1'));
		expect(await second).toEqual(fresh('/held/h2'));
	}, 30_000);

	it('hedge and dedupe: a hedged read shared by two requests at once answers each in its own request', async () => {
		const first = get('hedge-dedupe', '/held/hd');
		await until(() => hitsOf('/held/hd').length === 2, 10_000, 'the call and its hedge to reach the origin');
		const second = get('hedge-dedupe', '/held/hd');
		await until(async () => hitsOf('/held/hd').length > 2 || await sharedBy('hedge-dedupe') === 1, 10_000, 'the second call to join or go out');
		origin.release('hd');
		expect(await first).toEqual(fresh('/held/hd'));
		expect(await second).toEqual(fresh('/held/hd'));
	}, 30_000);
});

describe('the breaker across requests', () => {
	it('five failures in five requests open it: the sixth request fails fast with CIRCUIT_OPEN, no I/O', async () => {
		origin.state.down = true;
		for (let index = 0; index < 5; index++) {
			expect(await get('breaker', '/ok/brk')).toMatchObject({ error: 'HTTP_5XX' });
		}

		const hits = hitsOf('/ok/brk').length;
		expect(await get('breaker', '/ok/brk')).toMatchObject({ error: 'CIRCUIT_OPEN' });
		expect(hitsOf('/ok/brk')).toHaveLength(hits);
		expect((await events('breaker')).filter((event) => event.type === 'storage:error')).toEqual([]);
	}, 30_000);

	it('the open state it persisted (handed to waitUntil) is restored by another isolate\'s first request: CIRCUIT_OPEN, no I/O', async () => {
		origin.state.down = true;
		// Open in the first isolate (the previous test may have opened it already).
		for (let index = 0; index < 6 && (await get('breaker', '/ok/brk')).error !== 'CIRCUIT_OPEN'; index++) {
			// Each failure in its own request.
		}

		const hits = origin.hits.length;
		expect(await get('breaker-2', '/ok/brk')).toMatchObject({ error: 'CIRCUIT_OPEN' });
		expect(origin.hits).toHaveLength(hits);
	}, 30_000);

	it('breaker.isolate() and reset(), awaited in a request (through withContext), are stored before it answers: other isolates read them', async () => {
		// A scope of its own nobody has called yet (connections to it are refused: no I/O is the point).
		const scope = await refusedUrl();
		const call = async (worker: string) => harness.json<Answer>(worker, `/get?to=${encodeURIComponent(`${scope}/x`)}`);
		await events('breaker');
		expect(await harness.json('breaker', `/isolate?to=${encodeURIComponent(scope)}`)).toEqual({ done: true });
		expect(await call('breaker-2')).toMatchObject({ error: 'CIRCUIT_OPEN' });
		expect(await harness.json('breaker', `/reset?to=${encodeURIComponent(scope)}`)).toEqual({ done: true });
		expect(await call('breaker-3')).toMatchObject({ error: 'NETWORK' }); // closed: it tried
		expect((await events('breaker')).filter((event) => event.type === 'storage:error')).toEqual([]);
	}, 30_000);

	it('the coordinator holds work with the request\'s waitUntil (cloudflare:workers) from the moment it is made', async () => {
		const response = await harness.fetch('coordinator-ambient', `/?${to('/ok/ambient')}`);
		expect(await response.text()).toBe('held');
		// Started 100 ms after the response: it reaches the origin only if the request was held for it.
		await until(() => hitsOf('/ok/ambient').length === 1, 5_000, 'the held fetch to reach the origin');
	}, 30_000);

	it('without waitUntil, the state it would write behind a call is dropped and reported (storage:error), never left running', async () => {
		origin.state.down = true;
		await events('breaker-dropped');
		for (let index = 0; index < 5; index++) {
			expect(await get('breaker-dropped', '/ok/brk-dropped')).toMatchObject({ error: 'HTTP_5XX' });
		}

		expect(await get('breaker-dropped', '/ok/brk-dropped')).toMatchObject({ error: 'CIRCUIT_OPEN' });
		const seen = await events('breaker-dropped');
		expect(seen.filter((event) => event.type === 'storage:error').map((event) => event.operation)).toEqual(['background']);
	}, 30_000);
});
