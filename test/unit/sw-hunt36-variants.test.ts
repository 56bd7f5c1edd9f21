/**
 * Defect hunt, thirty-sixth round (area: the service worker, as a page's client and TanStack helpers see its answers).
 * A worker's client (a stale cache) behind `fetchHandler`, and a page's client (`breaker: false`, the README's recipe)
 * whose `fetch` is that handler, as a page's requests reach its worker.
 *
 * - A stale copy the worker answered in the origin's place (its attempts met a network failure: `Cache-Status:
 *   steadfetch; hit; …; detail=network`) was, for the page's reachability, an HTTP answer of the origin's: the scope
 *   `reachable` and `scope:back` told (`refetchWhenBack` refetching every query that gave up, `followReachability` telling
 *   TanStack online) while the origin was down, where the worker's `503` with `Steadfetch-Error: NETWORK` is a miss.
 */
import { describe, expect, it } from 'vitest';
import { classify, isStale } from '../../src/entries/index.js';
import { controlledPageEachTest, origin, pageBehindWorker } from './breaker-kit.js';

// The page is one a service worker controls (`navigator.serviceWorker.controller`): only there is an answer read as its copy.
const opened = controlledPageEachTest();

let names = 0;

const workerAndPage = () => {
	const { server, page } = pageBehindWorker(opened, `h36-sw-${names++}`);
	const back: number[] = [];
	page.on('scope:back', ({ status }) => back.push(status));
	const call = async (path: string): Promise<string> => page.get(`${origin}${path}`).then((response) => `${response.status}${isStale(response) ? ' stale' : ''}`, (error: unknown) => classify(error).code);
	return { server, page, call, back };
};

describe('a page behind a steadfetch service worker: the worker\'s stale copy for a network failure', () => {
	it('is no answer of the origin\'s for the page\'s reachability: the scope stays unreachable, no scope:back', async () => {
		const { server, page, call, back } = workerAndPage();
		server.up();
		expect(await call('/copied')).toBe('200'); // the worker stores its copy
		expect(page.reachability(origin)).toBe('reachable');
		server.down();
		expect([await call('/none'), await call('/none')]).toEqual(['NETWORK', 'NETWORK']); // the worker's 503 NETWORK: misses
		expect(page.reachability(origin)).toBe('unreachable');
		expect(await call('/copied')).toBe('200 stale'); // the worker's copy, the origin still down
		// Before: 'reachable' and [200] (scope:back, so refetchWhenBack refetched every query of the scope).
		expect([page.reachability(origin), back]).toEqual(['unreachable', []]);
		server.up();
		expect(await call('/copied')).toBe('200');
		expect([page.reachability(origin), back]).toEqual(['reachable', [200]]);
	});
});
