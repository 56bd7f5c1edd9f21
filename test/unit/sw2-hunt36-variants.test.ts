/**
 * Defect hunt, thirty-sixth round (area: a page's own policies behind a steadfetch service worker). A worker's client (a
 * stale cache) behind `fetchHandler`, and a page's client whose `fetch` is that handler, as a page's requests reach its worker.
 *
 * - The worker's stale copy for a network failure or a timeout (`Cache-Status: steadfetch; hit; …; detail=network`) was,
 *   for the page's breaker and adaptive throttle, a success of the origin's (`originFailed()`: `false` for any 2xx): a
 *   half-open page breaker whose attempt got that copy closed while the origin was down, and copies counted as accepts.
 *   Now such a copy is a failure without an HTTP answer, as the worker's `503` with `Steadfetch-Error: NETWORK` is; a
 *   copy for a refusal of the worker's own (`detail=circuit-open`, `throttled`…) counts as nothing.
 */
import { describe, expect, it } from 'vitest';
import { classify, isStale, type ClientOptions } from '../../src/entries/index.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { health } from '../../src/entries/health.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from '../helpers/wait-for.js';
import { controlledPageEachTest, origin, pageBehindWorker } from './breaker-kit.js';

// The page is one a service worker controls (`navigator.serviceWorker.controller`): only there is an answer read as its copy.
const opened = controlledPageEachTest();

let names = 0;

const workerAndPage = (pageOptions: ClientOptions, workerOptions: ClientOptions = {}) => {
	const clock = new ManualClock();
	const { server, page } = pageBehindWorker(opened, `h36-sw2-${names++}`, workerOptions, { clock, random: () => 0.5, ...pageOptions });
	const call = async (path: string): Promise<string> => page.get(`${origin}${path}`).then((response) => `${response.status}${isStale(response) ? ' stale' : ''}`, (error: unknown) => classify(error).code);
	return { server, page, clock, call };
};

describe('a page\'s own policies behind a steadfetch service worker: the worker\'s stale copy', () => {
	it('for a network failure is no success of the origin\'s for the page\'s half-open breaker: it opens again', async () => {
		const { server, page, clock, call } = workerAndPage({ breaker: { consecutiveFailures: 1, openMs: 1000, share: false } });
		server.up();
		expect(await call('/copied')).toBe('200'); // the worker stores its copy
		server.down();
		expect(await call('/none')).toBe('NETWORK'); // the worker's 503 NETWORK: the page's breaker opens
		expect(page.breaker(origin).state).toBe('open');
		clock.advance(5000);
		expect(await call('/copied')).toBe('200 stale'); // the half-open breaker's attempt: the worker's copy, the origin down
		// Before: 'closed' (the copy counted as the origin's success).
		expect(page.breaker(origin).state).toBe('open');
		expect(await call('/copied')).toBe('CIRCUIT_OPEN');
	});

	it('for a network failure is a failed probe of the page\'s breaker (`breaker.probe`): it stays open', async () => {
		const { server, page, clock, call } = workerAndPage({ breaker: { consecutiveFailures: 1, openMs: 1000, share: false, probe: `${origin}/copied` } });
		server.up();
		expect(await call('/copied')).toBe('200');
		server.down();
		expect(await call('/none')).toBe('NETWORK');
		clock.advance(5000);
		expect(await call('/none')).toBe('CIRCUIT_OPEN'); // the page's probe goes instead: the worker answers its copy
		await until(() => server.requests.length === 3 && page.breaker(origin).state !== 'half-open');
		expect(server.requests.at(-1)?.url).toBe(`${origin}/copied`);
		// Before: 'closed' (the probe's copy counted as the origin's answer).
		expect(page.breaker(origin).state).toBe('open');
	});

	it('for a refusal of the worker\'s own (its breaker open: detail=circuit-open) counts as nothing in the page\'s breaker', async () => {
		const { server, page, clock, call } = workerAndPage(
			{ breaker: { consecutiveFailures: 1, openMs: 1000, share: false } },
			{ breaker: { consecutiveFailures: 3, openMs: 60_000, share: false } },
		);
		server.up();
		expect(await call('/copied')).toBe('200');
		server.down();
		expect(await call('/none')).toBe('NETWORK'); // the page's breaker opens (the worker's counts 1 of 3)
		clock.advance(5000);
		expect(await call('/none')).toBe('NETWORK'); // the page's half-open attempt fails: open again
		clock.advance(5000);
		expect(await call('/none')).toBe('NETWORK'); // the worker's breaker opens now (3 in a row)
		clock.advance(5000);
		// The page's half-open attempt gets the worker's copy for its own open breaker: the origin was not asked.
		expect(await call('/copied')).toBe('200 stale');
		expect(page.breaker(origin).state).toBe('half-open');
	});

	it('for a network failure is that failure in the page\'s health(); one for a refusal of the worker\'s own is no call', async () => {
		const { server, page, call } = workerAndPage({ health: health() }, { breaker: { consecutiveFailures: 3, openMs: 60_000, share: false } });
		server.up();
		expect(await call('/copied')).toBe('200');
		server.down();
		expect(await call('/copied')).toBe('200 stale'); // its copy for the network failure
		const { successes, errorRate, topErrors } = page.stats()[origin]!;
		// Before: 2 successes, errorRate 0, no top error.
		expect({ successes, errorRate, topErrors }).toEqual({ successes: 2, errorRate: 0.5, topErrors: [{ code: 'NETWORK', count: 1 }] });
		expect([await call('/copied'), await call('/copied')]).toEqual(['200 stale', '200 stale']); // the worker's breaker opens
		expect(await call('/copied')).toBe('200 stale'); // its copy for its open breaker: the origin not asked, no call
		expect(page.stats()[origin]!.errorRate).toBe(0.75);
	});

	it('for a network failure is no accept of the page\'s adaptive throttle', async () => {
		const { server, call } = workerAndPage({ random: () => 0.5, adaptiveThrottle: adaptiveThrottle({ minRequests: 4 }) });
		server.up();
		expect(await call('/copied')).toBe('200');
		server.down();
		const seen: string[] = [];
		for (let index = 0; index < 7; index++) {
			seen.push(await call('/copied'));
		}

		// Before: every copy an accept, never refused (7 × '200 stale'). Now 1 accept in 6 requests: (6 − 2 × 1) / 7 > random() 0.5.
		expect(seen).toEqual(['200 stale', '200 stale', '200 stale', '200 stale', '200 stale', 'THROTTLED', 'THROTTLED']);
	});
});
