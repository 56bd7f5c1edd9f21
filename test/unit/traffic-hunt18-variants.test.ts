/**
 * Round 18: the traffic policies of a client and the clients its `extend()` made (same `name` and `store`, the parent's
 * policy object kept) share that policy's state: one bulkhead, one rate limiter, one dedupe table, one adaptive throttle,
 * one hedge latency per scope for the family. A child that sets its own policy object, another `name` or another
 * `store`, and a client `create()` made, get their own.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/core.js';
import { createClient as createPreset } from '../../src/entries/index.js';
import { bulkhead, BulkheadFullError } from '../../src/entries/bulkhead.js';
import { rateLimit, RateLimitedError } from '../../src/entries/rate-limit.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { hedge } from '../../src/entries/hedge.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { holdingFetch } from '../helpers/holding-fetch.js';
import { waitFor } from '../helpers/wait-for.js';

const origin = 'https://api.test';
/** The scope's bulkhead queue as `stats()` shows it. */
const queuedOf = (client: { stats(): Record<string, unknown> }): number | undefined => (client.stats()[origin] as { bulkhead?: { queued: number } } | undefined)?.bulkhead?.queued;
const codeOf = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'ok', (error: unknown) => (error as { code?: string }).code ?? `HTTP ${(error as { response?: Response }).response?.status ?? String(error)}`);

describe('bulkhead(): one bulkhead for a client and the clients extend() made of it', () => {
	it('the parent holds the only slot (maxQueue 0): the child\'s call is BulkheadFullError with no I/O, and both stats() show the slot', async () => {
		const { sent, fetch, release } = holdingFetch('/slow', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }) });
		const child = api.extend({ headers: { a: '1' } });
		const slow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the slow call sent');
		// Before: 'ok' (the child had a bulkhead of its own, and its request went out beside the parent's).
		const error = await child.get(`${origin}/child`).then(() => undefined, (thrown: unknown) => thrown);
		expect([error instanceof BulkheadFullError, sent]).toEqual([true, ['/slow']]);
		expect(api.stats()[origin]?.bulkhead).toEqual({ running: 1, queued: 0, rejected: 1 });
		expect(child.stats()[origin]?.bulkhead).toEqual({ running: 1, queued: 0, rejected: 1 });
		// The child's slot-holding call refuses the parent's too (one bulkhead, both ways).
		release();
		expect(await slow).toBe('ok');
		const { sent: sent2, fetch: fetch2, release: release2 } = holdingFetch('/child-slow', () => new Response('ok'));
		const api2 = createClient({ retry: 0, fetch: fetch2, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }) });
		const child2 = api2.extend({ timeout: 5_000 });
		const childSlow = child2.get(`${origin}/child-slow`).text();
		await waitFor(() => sent2.length === 1, 'the child\'s slow call sent');
		expect(await codeOf(api2.get(`${origin}/parent`))).toBe('BULKHEAD_FULL');
		expect(sent2).toEqual(['/child-slow']);
		release2();
		expect(await childSlow).toBe('ok');
		api.close();
		child.close();
		api2.close();
		child2.close();
	});

	it('a grandchild (extend() of the child) shares it too; a waiting call of either leaves in order when the slot frees', async () => {
		const { sent, fetch, release } = holdingFetch('/slow', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 1 }) });
		const grandchild = api.extend({ headers: { a: '1' } }).extend({ headers: { b: '2' } });
		const slow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the slow call sent');
		const waiting = grandchild.get(`${origin}/waiting`).text();
		await waitFor(() => queuedOf(api) === 1, 'the grandchild\'s call queued');
		// Before: the grandchild's call went out at once (sent: ['/slow', '/waiting']).
		expect(sent).toEqual(['/slow']);
		expect(await codeOf(api.get(`${origin}/third`))).toBe('BULKHEAD_FULL');
		release();
		expect([await slow, await waiting]).toEqual(['ok', 'ok']);
		expect(sent).toEqual(['/slow', '/waiting']);
		api.close();
	});

	it('extend()\'s function form, given the parent\'s options and returning them with a header more, keeps the one bulkhead', async () => {
		const { sent, fetch, release } = holdingFetch('/slow', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, name: 'hunt18-bulkhead-fn', store: memoryStore, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }) });
		const child = api.extend((parent) => ({ ...parent, headers: { a: '1' } }));
		const slow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the slow call sent');
		// Before: 'ok' (sent ['/slow', '/child']).
		expect(await codeOf(child.get(`${origin}/child`))).toBe('BULKHEAD_FULL');
		release();
		expect(await slow).toBe('ok');
		api.close();
		child.close();
	});

	it('separate: a child with its own bulkhead() object, another name, another store, and a client create() made', async () => {
		const { sent, fetch, release } = holdingFetch('/slow', () => new Response('ok'));
		const policy = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
		const api = createClient({ retry: 0, fetch, name: 'hunt18-bulkhead', store: memoryStore, bulkhead: policy });
		const slow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the slow call sent');
		const others = [
			api.extend({ bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }) }),
			api.extend({ name: 'hunt18-bulkhead-other' }),
			api.extend({ store: (namespace: string) => memoryStore(namespace) }),
			api.create({ retry: 0, fetch, name: 'hunt18-bulkhead', store: memoryStore, bulkhead: policy }),
		];
		for (const [index, other] of others.entries()) {
			expect(await codeOf(other.get(`${origin}/other${index}`))).toBe('ok');
			expect(other.stats()[origin]?.bulkhead).toEqual({ running: 0, queued: 0, rejected: 0 });
			other.close();
		}

		expect(await codeOf(api.extend({ headers: { a: '1' } }).get(`${origin}/same`))).toBe('BULKHEAD_FULL');
		release();
		expect(await slow).toBe('ok');
		expect(sent).toEqual(['/slow', '/other0', '/other1', '/other2', '/other3']);
		api.close();
	});

	it('close() of a child refuses only its own waiting calls (CLIENT_CLOSED); the parent\'s waiting call still gets the slot', async () => {
		const { sent, fetch, release } = holdingFetch('/slow', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 2 }) });
		const child = api.extend({ headers: { a: '1' } });
		const slow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the slow call sent');
		const parentWaiting = api.get(`${origin}/parent-waiting`).text();
		const childWaiting = codeOf(child.get(`${origin}/child-waiting`));
		await waitFor(() => queuedOf(api) === 2, 'both calls queued');
		child.close();
		expect(await childWaiting).toBe('CLIENT_CLOSED');
		expect(queuedOf(api)).toBe(1);
		release();
		expect([await slow, await parentWaiting]).toEqual(['ok', 'ok']);
		// And the parent's close() refuses the parent's waiting calls, not a child's.
		const { sent: sent2, fetch: fetch2, release: release2 } = holdingFetch('/slow', () => new Response('ok'));
		const api2 = createClient({ retry: 0, fetch: fetch2, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 2 }) });
		const child2 = api2.extend({ headers: { a: '1' } });
		const slow2 = child2.get(`${origin}/slow`).text();
		await waitFor(() => sent2.length === 1, 'the slow call sent');
		const parentWaiting2 = codeOf(api2.get(`${origin}/parent-waiting`));
		const childWaiting2 = child2.get(`${origin}/child-waiting`).text();
		await waitFor(() => queuedOf(child2) === 2, 'both calls queued');
		api2.close();
		expect(await parentWaiting2).toBe('CLIENT_CLOSED');
		release2();
		expect([await slow2, await childWaiting2]).toEqual(['ok', 'ok']);
		expect(sent2).toEqual(['/slow', '/child-waiting']);
		child2.close();
	});
});

/** A transport that records each request's path and answers with `answer(path)` at once. */
const recording = (answer: (path: string) => Response = () => new Response('ok')) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		const path = new URL(request.url).pathname;
		sent.push(path);
		return answer(path);
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('rateLimit(): one bucket per scope for a client and the clients extend() made of it', () => {
	it('the parent spends the only token: the child\'s call is RateLimitedError at once, no I/O; both stats() show the one bucket', async () => {
		const { sent, fetch } = recording();
		const api = createClient({ retry: 0, fetch, rateLimit: rateLimit({ perSecond: 0.001, burst: 1 }) });
		const child = api.extend({ headers: { a: '1' } });
		expect(await api.get(`${origin}/one`).text()).toBe('ok');
		const error = await child.get(`${origin}/child`).then(() => undefined, (thrown: unknown) => thrown);
		// Before: [false, ['/one', '/child']] (the child had a full bucket of its own).
		expect([error instanceof RateLimitedError, sent]).toEqual([true, ['/one']]);
		// And the other way round: a child's token is the parent's.
		const { sent: sent2, fetch: fetch2 } = recording();
		const api2 = createClient({ retry: 0, fetch: fetch2, rateLimit: rateLimit({ perSecond: 0.001, burst: 1 }) });
		const child2 = api2.extend({ timeout: 5_000 });
		expect(await child2.get(`${origin}/one`).text()).toBe('ok');
		expect(await codeOf(api2.get(`${origin}/parent`))).toBe('RATE_LIMITED');
		expect(sent2).toEqual(['/one']);
		api.close();
		child.close();
		api2.close();
		child2.close();
	});

	it('a server\'s spent quota told to the parent holds the child\'s calls too (and stats() of both show it)', async () => {
		const { sent, fetch } = recording((path) => new Response('ok', path === '/spent' ? { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '60' } } : {}));
		const api = createClient({ retry: 0, fetch, rateLimit: rateLimit() });
		const child = api.extend({ headers: { a: '1' } }).extend({ headers: { b: '2' } });
		expect(await api.get(`${origin}/spent`).text()).toBe('ok');
		// Before: 'ok' (the grandchild's bucket had heard nothing of the server's word).
		expect(await codeOf(child.get(`${origin}/child`))).toBe('RATE_LIMITED');
		expect(sent).toEqual(['/spent']);
		const parentStats = (api.stats()[origin] as { rateLimit?: { blockedUntil: number } } | undefined)?.rateLimit;
		const childStats = (child.stats()[origin] as { rateLimit?: { blockedUntil: number } } | undefined)?.rateLimit;
		expect(parentStats?.blockedUntil).toBeGreaterThan(Date.now());
		expect(childStats).toEqual(parentStats);
		api.close();
	});

	it('separate: a child with its own rateLimit() object, another name, another store, and a client create() made', async () => {
		const { sent, fetch } = recording();
		const policy = rateLimit({ perSecond: 0.001, burst: 1 });
		const api = createClient({ retry: 0, fetch, name: 'hunt18-rate', store: memoryStore, rateLimit: policy });
		expect(await api.get(`${origin}/one`).text()).toBe('ok');
		const others = [
			api.extend({ rateLimit: rateLimit({ perSecond: 0.001, burst: 1 }) }),
			api.extend({ name: 'hunt18-rate-other' }),
			api.extend({ store: (namespace: string) => memoryStore(namespace) }),
			api.create({ retry: 0, fetch, name: 'hunt18-rate', store: memoryStore, rateLimit: policy }),
		];
		for (const [index, other] of others.entries()) {
			expect(await codeOf(other.get(`${origin}/other${index}`))).toBe('ok');
			other.close();
		}

		expect(await codeOf(api.extend({ headers: { a: '1' } }).get(`${origin}/same`))).toBe('RATE_LIMITED');
		expect(sent).toEqual(['/one', '/other0', '/other1', '/other2', '/other3']);
		api.close();
	});

	it('close() of a child refuses only its own waiting call (CLIENT_CLOSED); the parent\'s waiting call is sent when its token is due', async () => {
		const { sent, fetch } = recording();
		const api = createClient({ retry: 0, fetch, rateLimit: rateLimit({ perSecond: 5, burst: 1 }) });
		const child = api.extend({ headers: { a: '1' } });
		const waits: string[] = [];
		api.on('ratelimit:wait', ({ url }) => waits.push(`parent ${new URL(url).pathname}`));
		child.on('ratelimit:wait', ({ url }) => waits.push(`child ${new URL(url).pathname}`));
		expect(await api.get(`${origin}/one`).text()).toBe('ok');
		const parentWaiting = api.get(`${origin}/parent-waiting`).text();
		const childWaiting = codeOf(child.get(`${origin}/child-waiting`));
		await waitFor(() => waits.length === 2, 'both calls waiting', 2_000);
		// Before: ['parent /parent-waiting'] alone (the child's call went at once on a token of its own).
		expect(waits).toEqual(['parent /parent-waiting', 'child /child-waiting']);
		child.close();
		expect(await childWaiting).toBe('CLIENT_CLOSED');
		expect(await parentWaiting).toBe('ok');
		expect(sent).toEqual(['/one', '/parent-waiting']);
		api.close();
	});
});

/** A transport that records each request's path and holds every request for `heldPath` until `release()`, which lets all those held go. */
const holdingAll = (heldPath: string, answer: (path: string) => Response) => {
	const sent: string[] = [];
	const held: Array<() => void> = [];
	const fetch = (async (request: Request) => {
		const path = new URL(request.url).pathname;
		sent.push(path);
		if (path === heldPath) {
			await new Promise<void>((resolve) => held.push(resolve));
		}

		return answer(path);
	}) as typeof globalThis.fetch;
	const release = (): void => {
		for (const go of held.splice(0)) {
			go();
		}
	};

	return { sent, fetch, release };
};

/** `stats()` of the scope's dedupe, as the client shows it. */
const sharedOf = (client: { stats(): Record<string, unknown> }): unknown => (client.stats()[origin] as { dedupe?: unknown } | undefined)?.dedupe;

describe('dedupe(): one table of requests in flight for a client and the clients extend() made of it', () => {
	it('a child\'s identical GET joins the parent\'s request in flight (one request), and the other way round; both stats() show the joins', async () => {
		const { sent, fetch, release } = holdingAll('/slow', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, dedupe: dedupe() });
		const child = api.extend({ timeout: 5_000 });
		const first = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the parent\'s request sent');
		const joined = child.get(`${origin}/slow`).text();
		// Give the child's call time to reach the transport if it were to (it must not).
		await new Promise((resolve) => setImmediate(resolve));
		await waitFor(() => (sharedOf(api) as { shared: number } | undefined)?.shared === 1 || sent.length > 1, 'the child\'s call joined or sent');
		// Before: ['/slow', '/slow'] (the child had a table of its own and sent the identical request again).
		expect(sent).toEqual(['/slow']);
		release();
		expect([await first, await joined]).toEqual(['ok', 'ok']);
		expect([sharedOf(api), sharedOf(child)]).toEqual([{ shared: 1 }, { shared: 1 }]);
		// The parent joins a request its grandchild made.
		const grandchild = child.extend({ throwHttpErrors: true });
		const second = grandchild.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 2, 'the grandchild\'s request sent');
		const parentJoined = api.get(`${origin}/slow`).text();
		await waitFor(() => (sharedOf(api) as { shared: number }).shared === 2, 'the parent\'s call joined');
		release();
		expect([await second, await parentJoined, sent]).toEqual(['ok', 'ok', ['/slow', '/slow']]);
		api.close();
		child.close();
	});

	it('separate: a child with its own dedupe() object, another name, another store, and a client create() made', async () => {
		const { sent, fetch, release } = holdingAll('/slow', () => new Response('ok'));
		const policy = dedupe();
		const api = createClient({ retry: 0, fetch, name: 'hunt18-dedupe', store: memoryStore, dedupe: policy });
		const first = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the parent\'s request sent');
		const others = [
			api.extend({ dedupe: dedupe() }),
			api.extend({ name: 'hunt18-dedupe-other' }),
			api.extend({ store: (namespace: string) => memoryStore(namespace) }),
			api.create({ retry: 0, fetch, name: 'hunt18-dedupe', store: memoryStore, dedupe: policy }),
		];
		const answers: Array<Promise<string>> = [];
		for (const [index, other] of others.entries()) {
			answers.push(other.get(`${origin}/slow`).text());
			// Sent while the parent's identical request is still in flight.
			await waitFor(() => sent.length === index + 2, `request ${index + 2} sent`);
		}

		release();
		expect(await Promise.all([first, ...answers])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
		for (const other of others) {
			other.close();
		}

		expect(sent).toEqual(['/slow', '/slow', '/slow', '/slow', '/slow']);
		api.close();
	});

	it('a child whose own options send its requests another way (its fetch, a dispatcher) or turn a policy off never joins the parent\'s request', async () => {
		const { sent, fetch, release } = holdingAll('/slow', () => new Response('parent'));
		const own: string[] = [];
		const otherFetch = (async (request: Request) => {
			own.push(new URL(request.url).pathname);
			return new Response('own');
		}) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, fetch, dedupe: dedupe(), bulkhead: bulkhead({ maxConcurrent: 2 }) });
		const first = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the parent\'s request sent');
		// Its own transport: never the parent's request, whose answer came through another fetch.
		expect(await api.extend({ fetch: otherFetch }).get(`${origin}/slow`).text()).toBe('own');
		expect(own).toEqual(['/slow']);
		// A fetch option ky hands on (undici's dispatcher): another way out.
		const viaDispatcher = api.extend({ dispatcher: { id: 'proxy' } } as never).get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 2, 'the dispatcher child\'s request sent');
		// A slot turned off for the whole child: as a call's own `{ bulkhead: false }`, never behind the parent's request.
		const noBulkhead = api.extend({ bulkhead: false }).get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 3, 'the bulkhead: false child\'s request sent');
		release();
		expect(await first).toBe('parent');
		expect([await viaDispatcher, await noBulkhead]).toEqual(['parent', 'parent']);
		expect(sent).toEqual(['/slow', '/slow', '/slow']);
		api.close();
	});
});

/** `stats()` of the scope's hedge, as the client shows it. */
const hedgeOf = (client: { stats(): Record<string, unknown> }): { hedges: number; delayMs: number } | undefined => (client.stats()[origin] as { hedge?: { hedges: number; delayMs: number } } | undefined)?.hedge;

describe('hedge(): one latency per scope for a client and the clients extend() made of it', () => {
	it('the parent\'s answers set the delay the child\'s slow call is hedged after; both stats() show the one latency', async () => {
		const { sent, fetch, release } = holdingAll('/slow', () => new Response('ok'));
		const api = createClient({ retry: 0, fetch, hedge: hedge() });
		for (let index = 0; index < 10; index++) {
			expect(await api.get(`${origin}/fast`).text()).toBe('ok');
		}

		expect(hedgeOf(api)).toEqual({ hedges: 0, delayMs: 50 });
		const child = api.extend({ headers: { a: '1' } });
		const slow = child.get(`${origin}/slow`).text();
		// Hedged after the family's p90 (50 ms). Before: after 2 s (the child had seen fewer than 10 answers of its own).
		await waitFor(() => sent.filter((path) => path === '/slow').length === 2, 'the child\'s hedge sent', 1_500);
		release();
		expect(await slow).toBe('ok');
		expect([hedgeOf(api), hedgeOf(child)]).toEqual([{ hedges: 1, delayMs: 50 }, { hedges: 1, delayMs: 50 }]);
		// close() of the child stops only its own calls' hedges: the parent's slow call is still hedged.
		child.close();
		const parentSlow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.filter((path) => path === '/slow').length === 4, 'the parent\'s hedge sent', 1_500);
		release();
		expect(await parentSlow).toBe('ok');
		api.close();
	});

	it('separate: a child with its own hedge() object, another name, another store, and a client create() made', async () => {
		const { fetch } = recording();
		const policy = hedge();
		const api = createClient({ retry: 0, fetch, name: 'hunt18-hedge', store: memoryStore, hedge: policy });
		for (let index = 0; index < 10; index++) {
			await api.get(`${origin}/fast`).text();
		}

		const others = [
			api.extend({ hedge: hedge() }),
			api.extend({ name: 'hunt18-hedge-other' }),
			api.extend({ store: (namespace: string) => memoryStore(namespace) }),
			api.create({ retry: 0, fetch, name: 'hunt18-hedge', store: memoryStore, hedge: policy }),
		];
		for (const other of others) {
			await other.get(`${origin}/fast`).text();
			// One answer of its own: fewer than 10, 2 s.
			expect(hedgeOf(other)).toEqual({ hedges: 0, delayMs: 2_000 });
			other.close();
		}

		const same = api.extend({ headers: { a: '1' } });
		await same.get(`${origin}/fast`).text();
		expect(hedgeOf(same)?.delayMs).toBe(50);
		api.close();
	});
});

/** `stats()` of the scope's throttle, as the client shows it. */
const throttleOf = (client: { stats(): Record<string, unknown> }): unknown => (client.stats()[origin] as { throttle?: unknown } | undefined)?.throttle;

describe('adaptiveThrottle(): one throttle for a client and the clients extend() made of it', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('the parent\'s rejected attempts make the child\'s call THROTTLED with no I/O; both stats() show the one window', async () => {
		const { sent, fetch } = recording(() => new Response('busy', { status: 503 }));
		// random() 0: refused whenever the ratio is above 0.
		const api = createClient({ retry: 0, fetch, random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 2 }) });
		const child = api.extend({ headers: { a: '1' } });
		expect([await codeOf(api.get(`${origin}/one`)), await codeOf(api.get(`${origin}/two`))]).toEqual(['HTTP 503', 'HTTP 503']);
		// Before: 'HTTP 503', sent ['/one', '/two', '/child'] (the child's window was empty).
		expect(await codeOf(child.get(`${origin}/child`))).toBe('THROTTLED');
		expect(sent).toEqual(['/one', '/two']);
		expect(throttleOf(api)).toEqual({ requests: 3, accepts: 0, rejectRatio: 0.75, rejected: 1 });
		expect(throttleOf(child)).toEqual(throttleOf(api));
		// And the other way round: what the child sees throttles the parent.
		const { sent: sent2, fetch: fetch2 } = recording(() => new Response('busy', { status: 503 }));
		const api2 = createClient({ retry: 0, fetch: fetch2, random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 2 }) });
		const child2 = api2.extend({ timeout: 5_000 });
		await codeOf(child2.get(`${origin}/one`));
		await codeOf(child2.get(`${origin}/two`));
		expect(await codeOf(api2.get(`${origin}/parent`))).toBe('THROTTLED');
		expect(sent2).toEqual(['/one', '/two']);
		api.close();
		child.close();
		api2.close();
		child2.close();
	});

	it('separate: a child with its own adaptiveThrottle() object, another name, another store, and a client create() made', async () => {
		const { sent, fetch } = recording(() => new Response('busy', { status: 503 }));
		const policy = adaptiveThrottle({ minRequests: 2 });
		const api = createClient({ retry: 0, fetch, random: () => 0, name: 'hunt18-throttle', store: memoryStore, adaptiveThrottle: policy });
		await codeOf(api.get(`${origin}/one`));
		await codeOf(api.get(`${origin}/two`));
		const others = [
			api.extend({ adaptiveThrottle: adaptiveThrottle({ minRequests: 2 }) }),
			api.extend({ name: 'hunt18-throttle-other' }),
			api.extend({ store: (namespace: string) => memoryStore(namespace) }),
			api.create({ retry: 0, fetch, random: () => 0, name: 'hunt18-throttle', store: memoryStore, adaptiveThrottle: policy }),
		];
		for (const [index, other] of others.entries()) {
			expect(await codeOf(other.get(`${origin}/other${index}`))).toBe('HTTP 503');
			other.close();
		}

		expect(await codeOf(api.extend({ headers: { a: '1' } }).get(`${origin}/same`))).toBe('THROTTLED');
		expect(sent).toEqual(['/one', '/two', '/other0', '/other1', '/other2', '/other3']);
		api.close();
	});

	it('with tabs: one channel for the family, open until its last client closes (a child\'s close() leaves the parent\'s counts told and heard)', async () => {
		vi.stubGlobal('WorkerGlobalScope', class {}); // a worker: a context with tabs to share with
		const name = `hunt18-throttle-tabs-${Date.now()}`;
		const listener = new BroadcastChannel(`steadfetch:${name}:throttle`);
		const told: Array<{ requests: number }> = [];
		listener.onmessage = ({ data }: MessageEvent) => told.push(data as { requests: number });
		const { fetch } = recording(() => new Response('busy', { status: 503 }));
		const api = createClient({ retry: 0, fetch, name, random: () => 0.99, adaptiveThrottle: adaptiveThrottle({ minRequests: 100 }) });
		const child = api.extend({ headers: { a: '1' } });
		child.close();
		expect(await codeOf(api.get(`${origin}/one`))).toBe('HTTP 503');
		// The parent's count is told to the other tabs after its child closed.
		await waitFor(() => told.reduce((sum, { requests }) => sum + requests, 0) === 1, 'the parent\'s count told');
		// A client extend() makes of the closed child is of the family: its count is told on the family's channel.
		const grandchild = child.extend({});
		expect(await codeOf(grandchild.get(`${origin}/two`))).toBe('HTTP 503');
		await waitFor(() => told.reduce((sum, { requests }) => sum + requests, 0) === 2, 'the grandchild\'s count told');
		// Another tab's word reaches the family once: 7 more requests, in the stats() of both.
		listener.postMessage({ scope: origin, requests: 7, accepts: 0 });
		await waitFor(() => (throttleOf(api) as { requests: number } | undefined)?.requests === 9, 'the other tab\'s counts heard');
		expect(throttleOf(grandchild)).toEqual(throttleOf(api));
		api.close();
		grandchild.close();
		listener.close();
	});
});

describe('the preset (steadfetch): the same family sharing, its breaker and stale cache on', () => {
	it('the bulkhead and the dedupe table of the preset\'s client are its extend()ed child\'s (same name and store)', async () => {
		const { sent, fetch, release } = holdingAll('/slow', () => new Response('ok'));
		const api = createPreset({ retry: 0, fetch, store: memoryStore, name: 'hunt18-preset', bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), dedupe: dedupe() });
		const child = api.extend({ headers: { a: '1' } });
		const slow = api.get(`${origin}/slow`).text();
		await waitFor(() => sent.length === 1, 'the slow call sent');
		// Before: 'ok' (sent ['/slow', '/child']).
		expect(await codeOf(child.get(`${origin}/child`))).toBe('BULKHEAD_FULL');
		// Identical to the parent's call in flight: joins it (no slot asked, no request).
		const joined = api.extend({ timeout: 5_000 }).get(`${origin}/slow`).text();
		await waitFor(() => (sharedOf(api) as { shared: number } | undefined)?.shared === 1, 'the joined call');
		release();
		expect([await slow, await joined, sent]).toEqual(['ok', 'ok', ['/slow']]);
		api.close();
		child.close();
	});
});

describe('a family\'s shared state keeps no child alive', () => {
	it('a client extend() makes per request, called once and never closed, is not kept by the policies it shares (bulkhead, rate limit, dedupe, throttle, hedge)', async () => {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const { fetch } = recording();
		const api = createClient({ retry: 0, fetch, bulkhead: bulkhead(), rateLimit: rateLimit(), dedupe: dedupe(), adaptiveThrottle: adaptiveThrottle(), hedge: hedge() });
		// A server's habit: a client per request, never closed; each with a listener (what its policies' context holds).
		const made: Array<WeakRef<() => void>> = [];
		for (let index = 0; index < 20; index++) {
			const listener = (): void => undefined;
			const child = api.extend({ headers: { 'x-request': String(index) } });
			child.on('bulkhead:rejected', listener);
			expect(await child.get(`${origin}/one`).text()).toBe('ok');
			made.push(new WeakRef(listener));
		}

		for (let round = 0; round < 5 && made.some((ref) => ref.deref()); round++) {
			await new Promise((resolve) => setTimeout(resolve, 10));
			gc();
		}

		// Before: 20 (the throttle's family held every child started and not closed). At most the latest child may stay: the
		// core keeps the last client made a while with no policy at all (20 children of a client without policies: 1 left).
		expect(made.filter((ref) => ref.deref()).length).toBeLessThanOrEqual(1);
		api.close();
	});
});
