/**
 * Defect hunt, thirty-sixth round, third pass on the stale cache: a page's stale cache behind a steadfetch service
 * worker (a worker's client behind `fetchHandler`, and a page's client with its own stale cache whose `fetch` is that
 * handler, as a page's requests reach its worker). Each test names its claim.
 *
 * - The page stored the worker's stale copy (an old answer served because the origin failed: `Cache-Status:
 *   steadfetch; hit; …`) as a fresh copy of its own: `cache.list()` showed it stored now, and `maxStaleMs` counted from
 *   now, so the page later served a copy older than its `maxStaleMs` as within it.
 * - Neighbour: the worker's `fallback` answer (`Cache-Status: steadfetch; fwd=miss; detail=fallback`) was stored by the
 *   page as the URL's copy, in place of its copy of the origin's answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { classify, isStale, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { origin, pageBehindWorker } from './breaker-kit.js';
import { next, t0 } from './cache-kit.js';

const opened: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of opened.splice(0)) {
		client.close();
	}
});

let names = 0;
const hour = 3_600_000;

const workerAndPage = (maxStaleMs: number, fallback?: unknown) => {
	const name = `h36-c3-${names++}`;
	const clock = new ManualClock(t0);
	const { server, worker, page } = pageBehindWorker(
		opened,
		name,
		{ clock, staleCache: { maxStaleMs }, ...(fallback === undefined ? {} : { fallback }) },
		{ clock, store: () => memoryStore(`${name}-page`), staleCache: { maxStaleMs, networkTimeoutMs: false } },
	);
	const call = async (path: string): Promise<string> => page.get(`${origin}${path}`).then(async (response) => `${response.status}${isStale(response) ? ` stale age=${response.headers.get('age')}` : ''} ${await response.text()}`, (error: unknown) => classify(error).code);
	return { server, clock, worker, page, call };
};

describe('a page behind a steadfetch service worker: the worker\'s stale copy is no fresh copy of the page\'s', () => {
	it('is not stored by the page as a copy made now (cache.list(), maxStaleMs counted from the origin\'s answer)', async () => {
		const { server, clock, worker, page, call } = workerAndPage(2 * hour);
		server.answer(200, { 'cache-control': 'max-age=60' });
		const stored = next(worker, 'cache:stored');
		expect(await call('/x')).toBe('200 {}');
		await stored; // the worker's copy (the page's own is no matter here: it is dropped below)
		await page.cache.clear();
		clock.advance(hour);
		server.down();
		const pageStored = next(page, 'cache:stored');
		expect(await call('/x')).toBe('200 stale age=3600 {}'); // the worker's 1-hour-old copy
		await Promise.race([pageStored, new Promise((resolve) => setTimeout(resolve, 300))]); // a copy the page would write behind
		// Before: [t0 + 1 h] (the page stored it as made now) where [] (or its real time, t0).
		expect((await page.cache.list()).map(({ storedAt }) => storedAt - t0).filter((at) => at !== 0)).toEqual([]);
		// 2.5 h after the origin's answer: past both clients' maxStaleMs (2 h), the worker answers its 503 NETWORK.
		clock.advance(1.5 * hour);
		// Before: '200 stale age=9000 {}' (the page's copy of the worker's copy, 30 min past maxStaleMs) where 'NETWORK'.
		expect(await call('/x')).toBe('NETWORK');
	});

	it('neighbour: the worker\'s fallback answer is not stored by the page in place of its copy of the origin\'s', async () => {
		const { server, clock, worker, page, call } = workerAndPage(2 * hour, { placeholder: true });
		server.answer(200, { 'cache-control': 'max-age=60' });
		const stored = next(page, 'cache:stored');
		expect(await call('/f')).toBe('200 {}');
		await stored; // the page's copy of the origin's answer
		// The worker's copy goes (as after an eviction): its client answers its fallback for the failure.
		await worker.cache.clear();
		clock.advance(60_000);
		server.down();
		const pageStored = next(page, 'cache:stored');
		expect(await call('/f')).toBe('200 {"placeholder":true}');
		await Promise.race([pageStored, new Promise((resolve) => setTimeout(resolve, 300))]);
		// Before: [20] (the page stored the fallback in place of its copy of the origin's answer) where [2] (`{}`).
		expect((await page.cache.list()).map(({ bytes }) => bytes)).toEqual([2]);
	});
});
