/**
 * Recovery you can see (defect hunt, twenty-fourth round): a tab alone whose two attempts found its origin unreachable
 * (no breaker open: fewer failures than open it) had TanStack's `onlineManager` set offline by `followReachability`, so
 * TanStack paused every query and sent nothing, and nothing else would: the tab stayed "offline" for good after the
 * origin came back (`online` and a visible page change no reachability). Now TanStack is told online for a moment once
 * every 10 s while the scope is paused so: its paused queries try once. A real loopback port, refused, then served;
 * real TanStack (a query of the app's own: `networkMode: 'online'`, TanStack's default); real time (the interval is
 * 10 s: each test waits for its condition, up to 25 s).
 */
import { onlineManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { followReachability } from '../../src/entries/tanstack-query.js';
import { refusedUrl, serve, type RunningServer } from '../helpers/node-server.js';
import { standInClient } from '../helpers/reachability-stand-ins.js';

const stops: Array<() => unknown> = [];
afterEach(async () => {
	for (const stop of stops.splice(0).reverse()) {
		await stop();
	}

	onlineManager.setOnline(true);
});

/** A client of a refused loopback origin, made unreachable by two failed attempts, followed by TanStack's onlineManager. */
const unreachable = async () => {
	const origin = await refusedUrl();
	let attempts = 0;
	const api = createClient({ retry: 0, fetch: async (input, init) => {
		attempts++;
		return globalThis.fetch(input, init);
	} });
	stops.push(() => api.close());
	stops.push(followReachability(api, onlineManager, origin));
	for (const path of ['/a', '/b']) {
		await api.get(`${origin}${path}`).catch(() => undefined);
	}

	expect([api.reachability(origin), onlineManager.isOnline()]).toEqual(['unreachable', false]);
	const queryClient = new QueryClient();
	// Mounted, as QueryClientProvider mounts it: it follows onlineManager (and resumes its paused queries when online).
	queryClient.mount();
	stops.push(() => {
		queryClient.unmount();
		queryClient.clear();
	});
	// A query of the app's own, with TanStack's defaults (`networkMode: 'online'`: paused while onlineManager is offline;
	// `queryOptionsFor`'s are 'always', answered by steadfetch instead), its retry quick.
	const observer = new QueryObserver(queryClient, { queryKey: ['item'], queryFn: async () => api.get(`${origin}/item`).json(), retry: 3, retryDelay: 10 });
	stops.push(observer.subscribe(() => undefined));
	// Paused: TanStack sends nothing.
	expect(observer.getCurrentResult().fetchStatus).toBe('paused');
	return { api, origin, observer, attempts: () => attempts };
};

describe('followReachability: a paused tab alone finds its origin back', () => {
	it('the origin comes back: within about 10 s the paused query gets its answer, the scope reachable, TanStack online', async () => {
		const { api, origin, observer } = await unreachable();
		const server: RunningServer = await serve(() => Response.json({ item: 1 }), Number(new URL(origin).port));
		stops.push(() => server.close());
		// Before: fetchStatus 'paused' and no data for ever (the test timed out here).
		await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual({ item: 1 }), { timeout: 25_000, interval: 100 });
		expect([api.reachability(origin), onlineManager.isOnline()]).toEqual(['reachable', true]);
	}, 40_000);

	it('still down: the paused query tries once, then TanStack is offline again and the query paused, not failed', async () => {
		const { api, origin, observer, attempts } = await unreachable();
		const before = attempts();
		await vi.waitFor(() => expect(attempts()).toBeGreaterThan(before), { timeout: 25_000, interval: 50 });
		await vi.waitFor(() => expect(observer.getCurrentResult().fetchStatus).toBe('paused'), { timeout: 5_000, interval: 20 });
		expect([api.reachability(origin), onlineManager.isOnline(), observer.getCurrentResult().status]).toEqual(['unreachable', false, 'pending']);
		// One try per turn: the query's one attempt (no retries ran meanwhile: TanStack's retry waits, paused).
		expect(attempts() - before).toBe(1);
	}, 40_000);

	it('a turn every 10 s while paused, none once reachable, none after the unsubscribe (its timer cleared): fake timers, a stand-in client', () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const client = standInClient('unreachable');
			const { reach } = client;

			const seen: boolean[] = [];
			stops.push(onlineManager.subscribe((online) => void seen.push(online)));
			const off = followReachability(client as never, onlineManager, 'https://a.example');
			vi.advanceTimersByTime(9_999);
			expect(seen).toEqual([false]);
			vi.advanceTimersByTime(1);
			expect(seen).toEqual([false, true]); // the turn
			vi.advanceTimersByTime(1);
			expect(seen).toEqual([false, true, false]); // paused again
			vi.advanceTimersByTime(10_000);
			vi.advanceTimersByTime(1);
			expect(seen).toEqual([false, true, false, true, false]);
			// Reachable: online, and no turn after.
			reach('reachable');
			vi.advanceTimersByTime(30_000);
			expect(seen).toEqual([false, true, false, true, false, true]);
			// Offline (a wrong navigator.onLine) is paused as well: turns again.
			reach('offline');
			vi.advanceTimersByTime(10_000);
			vi.advanceTimersByTime(1);
			expect(seen.slice(6)).toEqual([false, true, false]);
			// Unsubscribed: navigator.onLine's listener (Node: online), and no turn of the follow after it.
			off();
			vi.advanceTimersByTime(60_000);
			expect(seen.slice(9)).toEqual([true]);
		} finally {
			vi.useRealTimers();
		}
	});
});
