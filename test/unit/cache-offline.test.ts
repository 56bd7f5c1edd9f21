/**
 * The stale cache while a scope is `offline` (API.md "Reachability and recovery"): a read with a
 * copy is answered by it at once, but one attempt per scope per 10 s still goes out behind the
 * caller; a read with no copy always sends its attempt; the stale reason is `offline` only while the
 * scope is offline.
 */
import { describe, expect, it, vi } from 'vitest';
import { isStale } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { collect, next, settle, useCacheKit, holdingFetch, resetMidway } from './cache-kit.js';

const kit = useCacheKit();

/** A transport that counts the attempts that reach it; `network: false` fails them as an offline device does. */
const device = () => {
	const state = { attempts: 0, network: true };
	const fetch = async (input: unknown, init?: RequestInit): Promise<Response> => {
		state.attempts++;
		if (!state.network) {
			throw new TypeError('Failed to fetch');
		}

		return globalThis.fetch(input as Request, init);
	};

	return { state, fetch: fetch as typeof globalThis.fetch };
};

const detail = (response: Response): string | undefined => response.headers.get('cache-status')?.split('detail=')[1];

describe('the stale cache while a scope is offline', () => {
	it('a read with a copy is answered by it at once; one attempt per scope per 10 s still goes out behind the caller; once one gets an HTTP answer, reads go to the network again', async () => {
		const { state, fetch } = device();
		const api = kit.make({ fetch });
		const stored = next(api, 'cache:stored');
		await api.get('offline/1').text();
		await stored;
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		state.network = false; // really offline
		const stale = collect(api, 'cache:stale');

		// The first read: the copy at once, and the scope's attempt behind it (it fails: still offline).
		const first = await api.get('offline/1');
		expect([isStale(first), detail(first)]).toEqual([true, 'offline']);
		await vi.waitFor(() => expect(state.attempts).toBe(2));
		expect(api.reachability(kit.url)).toBe('offline');

		// Within 10 s: the copy, no attempt.
		kit.clock.advance(9_999);
		expect(detail(await api.get('offline/1'))).toBe('offline');
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(state.attempts).toBe(2);

		// 10 s later, navigator.onLine still false but the network works (it was wrong): the copy answers at
		// once while the attempt waits for the origin; its answer replaces the copy and makes the scope reachable.
		kit.clock.advance(1);
		state.network = true;
		let release!: () => void;
		kit.gate = new Promise((resolve) => {
			release = resolve;
		});
		const refreshed = next(api, 'cache:stored');
		const third = await api.get('offline/1');
		expect(detail(third)).toBe('offline');
		expect(await third.json()).toMatchObject({ n: 1 });
		await vi.waitFor(() => expect(state.attempts).toBe(3));
		expect(kit.hits('/offline/1')).toBe(1); // still waiting at the origin: the caller did not
		release();
		await refreshed;
		expect(api.reachability(kit.url)).toBe('reachable');
		expect(stale.map(({ reason }) => reason)).toEqual(['offline', 'offline', 'offline']);

		// Reachable: calls go to the network again, though navigator.onLine is still false.
		const fresh = await api.get('offline/1');
		expect(isStale(fresh)).toBe(false);
		expect(await fresh.json()).toMatchObject({ n: 3 });
		api.close();
	});

	it('a clear() while the offline read\'s background attempt waits: its answer is not stored (API.md "Work that outlives its caller")', async () => {
		const { state, fetch } = device();
		const api = kit.make({ fetch });
		const stored = collect(api, 'cache:stored');
		await api.get('offline/9').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		state.network = false;
		expect(isStale(await api.get('offline/9'))).toBe(true);
		await vi.waitFor(() => expect(state.attempts).toBe(2));
		expect(api.reachability(kit.url)).toBe('offline');
		// 10 s later the scope's attempt goes out behind the copy and waits at the origin; the user logs out.
		kit.clock.advance(10_000);
		state.network = true;
		let release!: () => void;
		kit.gate = new Promise((resolve) => {
			release = resolve;
		});
		expect(detail(await api.get('offline/9'))).toBe('offline');
		await vi.waitFor(() => expect(state.attempts).toBe(3));
		await api.clear();
		release();
		await vi.waitFor(() => expect(api.reachability(kit.url)).toBe('reachable')); // Its answer came back…
		await settle();
		expect(stored).toHaveLength(1); // …and was not stored.
		state.network = false;
		await expect(api.get('offline/9')).rejects.toThrow();
		api.close();
	});

	it('the identity changes while the offline read\'s background attempt waits for a bulkhead slot: it is not sent, alice\'s token never goes out after bob signed in', async () => {
		let who = 'alice';
		const { fetch, sent, open } = holdingFetch('/offline/hold');
		// A private cache (the default in Node is shared: it keeps no copy of a request with a token).
		const api = kit.make({ fetch, identity: () => who, staleCache: { shared: false }, bulkhead: bulkhead({ maxConcurrent: 1 }), auth: auth({ token: () => who, refresh: async () => undefined }) });
		const stored = next(api, 'cache:stored');
		await api.get('offline/u').text();
		await stored;
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		// A read no copy answers goes out (offline or not) and holds the scope's only slot.
		const hold = api.get('offline/hold').text();
		await vi.waitFor(() => expect(sent).toHaveLength(2));
		// alice's read: her copy at once; the scope's attempt behind it waits for the slot.
		expect(detail(await api.get('offline/u'))).toBe('offline');
		await vi.waitFor(() => expect(api.stats()[kit.url]).toMatchObject({ bulkhead: { queued: 1 } }));
		who = 'bob'; // alice signs out, bob signs in
		open();
		await hold;
		await vi.waitFor(() => expect(api.stats()[kit.url]).toMatchObject({ bulkhead: { running: 0, queued: 0 } }));
		// Before: ['/offline/u', 'Bearer alice'] a third time, sent after bob signed in.
		expect(sent).toEqual([['/offline/u', 'Bearer alice'], ['/offline/hold', 'Bearer alice']]);
		api.close();
	});

	it('per scope: another scope gets its own attempt in the same 10 s', async () => {
		const { state, fetch } = device();
		const api = kit.make({ fetch });
		const other = kit.url.replace('127.0.0.1', 'localhost');
		const stored = collect(api, 'cache:stored');
		await api.get('offline/2').text();
		await api.get(`${other}/offline/2`).text();
		await vi.waitFor(() => expect(stored).toHaveLength(2));
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		state.network = false;
		expect(isStale(await api.get('offline/2'))).toBe(true);
		expect(isStale(await api.get('offline/2'))).toBe(true);
		expect(isStale(await api.get(`${other}/offline/2`))).toBe(true);
		await vi.waitFor(() => expect(state.attempts).toBe(4)); // 2 to store, then one per scope
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(state.attempts).toBe(4);
		api.close();
	});

	it('a read no copy can answer always sends its attempt', async () => {
		const { state, fetch } = device();
		const api = kit.make({ fetch });
		vi.stubGlobal('navigator', { onLine: false });
		for (let index = 0; index < 3; index++) {
			expect((await api.get('offline/none')).status).toBe(200); // navigator.onLine was wrong
		}

		expect(state.attempts).toBe(3);
		api.close();
	});

	it('the stale reason is offline only while the scope is offline: after an HTTP answer, a network failure is `network`', async () => {
		const { state, fetch } = device();
		const api = kit.make({ fetch });
		const stored = next(api, 'cache:stored');
		await api.get('offline/3').text();
		await stored;
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		kit.mode = 503;
		await api.get('offline/3b', { throwHttpErrors: false }); // no copy: it goes out, and gets an HTTP answer
		expect(api.reachability(kit.url)).toBe('reachable');
		state.network = false;
		expect(detail(await api.get('offline/3'))).toBe('network'); // before: offline
		api.close();
	});
});

describe('the offline read\'s background attempt is made as its call (defect hunt, eleventh round)', () => {
	it('it keeps the call\'s referrerPolicy and referrer: a Referer the caller withheld is not sent behind it', async () => {
		const seen: Array<[string, string, string]> = [];
		let network = true;
		const fetch = (async (input: unknown, init?: RequestInit) => {
			const request = input as Request;
			seen.push([new URL(request.url).pathname, request.referrerPolicy, request.referrer]);
			if (!network) {
				throw new TypeError('Failed to fetch');
			}

			return globalThis.fetch(request, init);
		}) as typeof globalThis.fetch;
		const api = kit.make({ fetch });
		const stored = next(api, 'cache:stored');
		await api.get('offline/ref').text();
		await stored;
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		network = false;
		const answered = await api.get('offline/ref', { referrerPolicy: 'no-referrer', referrer: '' });
		expect(detail(answered)).toBe('offline');
		await vi.waitFor(() => expect(seen).toHaveLength(2)); // The scope's attempt, behind the caller.
		// Before: ['/offline/ref', '', 'about:client'] (the policy reset by re-making the Request with its signal: a full Referer in a page).
		expect(seen[1]).toEqual(['/offline/ref', 'no-referrer', '']);
		api.close();
	});
});

describe('the offline read\'s background attempt whose answer fails mid-way (defect hunt, eleventh round)', () => {
	it('a 200 whose body errors after its first chunk (a connection reset): nothing stored, no storage:error, the copy stays', async () => {
		let reset = false;
		const fetch = (async (input: unknown, init?: RequestInit) => {
			if (!reset) {
				return globalThis.fetch(input as Request, init);
			}

			return resetMidway('{"n": ');
		}) as typeof globalThis.fetch;
		const api = kit.make({ fetch });
		const stored = collect(api, 'cache:stored');
		const errors = collect(api, 'storage:error');
		await api.get('offline/reset').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		kit.clock.advance(1_000);
		vi.stubGlobal('navigator', { onLine: false });
		reset = true;
		const handed: Array<Promise<unknown>> = [];
		const answered = await api.get('offline/reset', { waitUntil: (promise) => void handed.push(promise) });
		expect(detail(answered)).toBe('offline');
		await vi.waitFor(() => expect(handed.length).toBeGreaterThan(0)); // The scope's attempt, behind the caller.
		await Promise.allSettled(handed);
		// Before: storage:error ['background: TypeError: network error: connection reset'].
		expect([stored.length, errors.map(({ operation, error }) => `${operation}: ${String(error)}`)]).toEqual([1, []]);
		expect(await answered.json()).toMatchObject({ n: 1 });
		api.close();
	});
});
