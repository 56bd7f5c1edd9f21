/**
 * Defect hunt, thirty-seventh round (area: a page behind a steadfetch service worker, part 3). A worker's client behind
 * `fetchHandler`, and a page's client whose `fetch` is that handler, as a page's requests reach its worker (the page is
 * one a service worker controls: `navigator.serviceWorker.controller` stubbed). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { classify, isFallback, isStale, memoryStore, outbox, type ClientOptions } from '../../src/entries/index.js';
import { health } from '../../src/entries/health.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { controlledPageEachTest, origin, pageBehindWorker } from './breaker-kit.js';

// The page is one a service worker controls (`navigator.serviceWorker.controller`): only there is an answer read as its copy.
const opened = controlledPageEachTest();

let names = 0;

const workerAndPage = (pageOptions: ClientOptions = {}, workerOptions: ClientOptions = {}) => {
	const clock = new ManualClock();
	const { server, worker, page } = pageBehindWorker(opened, `h37-sw3-${names++}`, workerOptions, { clock, random: () => 0.5, ...pageOptions });
	const back: number[] = [];
	page.on('scope:back', ({ status }) => back.push(status));
	const call = async (path: string): Promise<string> => page.get(`${origin}${path}`).then((response) => `${response.status}${isStale(response) ? ' stale' : ''}${isFallback(response) ? ' fallback' : ''}`, (error: unknown) => classify(error).code);
	return { server, worker, page, clock, call, back };
};

describe('a page behind a steadfetch service worker: the worker\'s stale copy in the page\'s stats()', () => {
	it.each([false, true])('counts as stale (an answer served from the stale cache), the page\'s staleCache %s', async (staleCache) => {
		const { server, page, call } = workerAndPage({ staleCache, store: () => memoryStore(`h37-sw3-page-${names}`) });
		server.up();
		expect(await call('/copied')).toBe('200');
		server.down();
		expect(await call('/copied')).toBe('200 stale');
		const { requests, successes, stale } = page.stats()[origin]!;
		expect({ requests, successes, stale }).toEqual({ requests: 2, successes: 2, stale: 1 });
	});
});

describe('a page behind a steadfetch service worker: the worker\'s 202 for a write its outbox queued, in the page\'s stats()', () => {
	it.each([false, true])('counts as queued (not a delivery), the page with an outbox of its own: %s', async (own) => {
		const { server, page } = workerAndPage({ ...(own && { outbox: outbox({ baseBackoffMs: 60_000 }) }), store: () => memoryStore(`h37-sw3-page-${names}`) }, { outbox: outbox({ baseBackoffMs: 60_000 }) });
		server.down();
		expect((await page.post(`${origin}/w`, { json: { a: 1 } })).status).toBe(202);
		const { requests, successes, queued, failures } = page.stats()[origin]!;
		expect({ requests, successes, queued, failures }).toEqual({ requests: 1, successes: 1, queued: 1, failures: {} });
	});
});

describe('a page behind a steadfetch service worker: the worker\'s fallback answer', () => {
	// The worker's fallback answers `/f` only; another URL fails as the worker's 503 with its code (the call's own error rethrown).
	const only = (error: unknown, request: Request | undefined): unknown => {
		if (!request?.url.endsWith('/f')) {
			throw error;
		}

		return { placeholder: true };
	};

	it('is no answer of the origin\'s for the page\'s reachability: the scope stays unreachable, no scope:back', async () => {
		const { server, page, call, back } = workerAndPage({}, { fallback: only });
		server.up();
		expect(await call('/x')).toBe('200');
		server.down();
		expect([await call('/none'), await call('/none')]).toEqual(['NETWORK', 'NETWORK']);
		expect(page.reachability(origin)).toBe('unreachable');
		expect(await call('/f')).toBe('200 fallback'); // the worker's fallback for its network failure
		expect([page.reachability(origin), back]).toEqual(['unreachable', []]);
		server.up();
		expect(await call('/x')).toBe('200');
		expect([page.reachability(origin), back]).toEqual(['reachable', [200]]);
	});

	it('is no success of the origin\'s for the page\'s half-open breaker: it stays half-open', async () => {
		const { server, page, clock, call } = workerAndPage({ breaker: { consecutiveFailures: 1, openMs: 1000, share: false } }, { fallback: only });
		server.up();
		expect(await call('/x')).toBe('200');
		server.down();
		expect(await call('/none')).toBe('NETWORK');
		expect(page.breaker(origin).state).toBe('open');
		clock.advance(5000);
		expect(await call('/f')).toBe('200 fallback'); // the half-open breaker's attempt: the worker's fallback, the origin down
		expect(page.breaker(origin).state).toBe('half-open');
	});

	it('is no call of the origin\'s in the page\'s health()', async () => {
		const { server, page, call } = workerAndPage({ health: health() }, { fallback: only });
		server.up();
		expect(await call('/x')).toBe('200');
		server.down();
		expect(await call('/none')).toBe('NETWORK');
		expect(await call('/f')).toBe('200 fallback');
		const { errorRate, topErrors } = page.stats()[origin]!;
		expect({ errorRate, topErrors }).toEqual({ errorRate: 0.5, topErrors: [{ code: 'NETWORK', count: 1 }] });
	});
});

describe('a page behind a steadfetch service worker: the worker\'s fallback answer with an error status', () => {
	// The app's fallback may answer with a status of its own (an offline page as a 503, a placeholder as a 404).
	const fallbackOf = (status: number) => (error: unknown, request: Request | undefined): unknown => {
		if (!request?.url.endsWith('/f')) {
			throw error;
		}

		return new Response('offline', { status });
	};

	it.each([503, 404])('%i: no answer of the origin\'s for the page\'s reachability', async (status) => {
		const { server, page, call, back } = workerAndPage({}, { fallback: fallbackOf(status) });
		server.up();
		expect(await call('/x')).toBe('200');
		server.down();
		expect([await call('/none'), await call('/none')]).toEqual(['NETWORK', 'NETWORK']);
		expect(page.reachability(origin)).toBe('unreachable');
		await call('/f'); // the worker's fallback for its network failure
		// Before: ['reachable', [503]] / ['reachable', [404]]: taken for the origin's HTTP answer.
		expect([page.reachability(origin), back]).toEqual(['unreachable', []]);
	});

	it.each([503, 404])('%i: no outcome of the origin\'s for the page\'s half-open breaker: it stays half-open', async (status) => {
		const { server, page, clock, call } = workerAndPage({ breaker: { consecutiveFailures: 1, openMs: 1000, share: false } }, { fallback: fallbackOf(status) });
		server.up();
		expect(await call('/x')).toBe('200');
		server.down();
		expect(await call('/none')).toBe('NETWORK');
		expect(page.breaker(origin).state).toBe('open');
		clock.advance(5000);
		await call('/f'); // the half-open breaker's attempt: the worker's fallback, the origin down
		// Before: 'open' (a 503: the origin's failure) / 'closed' (a 404: the origin's answer).
		expect(page.breaker(origin).state).toBe('half-open');
	});
});
