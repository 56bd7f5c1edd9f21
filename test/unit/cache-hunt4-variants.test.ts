/** Variants of the stale cache's claims (defect hunt, fourth round). */
import { describe, expect, it, vi } from 'vitest';
import { isStale } from '../../src/entries/index.js';
import { collect, quiet, useCacheKit, type CacheKit, fetchAndStore, gatedReads } from './cache-kit.js';

const kit = useCacheKit();

describe('cache.delete(url) resolves the URL as a call does', () => {
	it('with the client\'s searchParams: the copy a call of that input stored goes', async () => {
		const api = kit.make({ searchParams: { v: 2 } });
		expect((await fetchAndStore(api, 'users/1')).url).toBe(`${kit.url}/users/1?v=2`);
		await api.cache.delete('users/1');
		expect(await api.cache.list()).toEqual([]);
		expect(await kit.servedStale(api, 'users/1')).toBe(false);
		// The stored URL itself (a response's `url`, a `list()` entry's) still names it.
		const { url } = await fetchAndStore(api, 'users/1');
		await api.cache.delete(url);
		expect(await api.cache.list()).toEqual([]);
	});

	it('with the client\'s searchParams as a string, and an input with a query of its own: appended as ky appends them', async () => {
		const api = kit.make({ searchParams: 'v=2' });
		expect((await fetchAndStore(api, 'users/2?x=1')).url).toBe(`${kit.url}/users/2?x=1&v=2`);
		await api.cache.delete('users/2?x=1');
		expect(await api.cache.list()).toEqual([]);
	});

	it('with a record of the client\'s searchParams holding undefined: that name is removed from the input\'s query, as ky removes it from the call\'s URL', async () => {
		const api = kit.make({ searchParams: { v: 2, gone: undefined } });
		expect((await fetchAndStore(api, 'users/3?gone=1&x=a%20b')).url).toBe(`${kit.url}/users/3?x=a+b&v=2`);
		await api.cache.delete('users/3?gone=1&x=a%20b');
		expect(await api.cache.list()).toEqual([]);
	});
});

describe('cache.delete(url) and a read of the URL under way elsewhere (defect hunt, eighth round)', () => {
	it('a read another client of the name (an extend()ed one) sent before the delete does not store its answer after it: the copy does not come back', async () => {
		const api = kit.make();
		const other = api.extend({});
		await fetchAndStore(api, 'users/9');
		kit.clock.advance(1000);
		let release!: () => void;
		kit.gate = new Promise((resolve) => {
			release = resolve;
		});
		const late = other.get('users/9').text();
		await vi.waitFor(() => expect(kit.hits('/users/9')).toBe(2));
		await api.cache.delete('users/9');
		expect(await api.cache.list()).toEqual([]);
		kit.gate = undefined;
		release();
		await late;
		// A read sent after it: its copy is written after the late one's would be (both behind their callers).
		await fetchAndStore(other, 'users/10');
		// Before: the answer of the read sent before the delete was stored after it ([`${kit.url}/users/9`, …]).
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([`${kit.url}/users/10`]);
		expect(await kit.servedStale(api, 'users/9')).toBe(false);
		// A read made after the delete stores its copy as before.
		await fetchAndStore(other, 'users/9');
		expect(await kit.servedStale(api, 'users/9')).toBe(true);
	});
});

describe('a record stored "in the future" (the device clock set back since) is no older than maxStaleMs', () => {
	/** `path` stored through a client of maxStaleMs one hour, then the clock set back `backMs` for `check`; after it, the clock past the start again. */
	const storedAhead = async (path: string, backMs: number, check: (api: ReturnType<CacheKit['make']>) => Promise<void>) => {
		const start = kit.clock.now();
		try {
			const api = kit.make({ staleCache: { maxStaleMs: 3_600_000 } });
			await fetchAndStore(api, path);
			await quiet();
			kit.clock.set(start - backMs);
			await check(api);
		} finally {
			kit.clock.set(start + 1);
		}
	};

	it('stored a day ahead of the clock, maxStaleMs one hour: not served, removed', async () => {
		await storedAhead('future/1', 86_400_000, async (api) => {
			expect(await kit.servedStale(api, 'future/1')).toBe(false);
			await quiet();
			expect((await kit.store.keys()).filter((key) => key.includes('future/1'))).toEqual([]);
		});
	});

	it('stored a few seconds ahead (clocks of two isolates or tabs): still served', async () => {
		await storedAhead('future/2', 5000, async (api) => {
			expect(await kit.servedStale(api, 'future/2')).toBe(true);
		});
	});
});

describe('a read that started before a logout is never answered with a copy of the identity it started under', () => {
	/** A client of identity `who`, whose transport fails (a network error) once `hold` is released, while one is set. */
	const setup = () => {
		const state = { who: 'alice', hold: undefined as Promise<void> | undefined, entered: false };
		const api = kit.make({
			identity: () => state.who,
			fetch: async (input: unknown, init?: RequestInit) => {
				if (state.hold) {
					state.entered = true;
					await state.hold;
					throw new TypeError('fetch failed');
				}

				return globalThis.fetch(input as Request, init);
			},
		});
		return { api, state };
	};

	it('its network failure after the identity changed: the error, not alice\'s copy', async () => {
		const { api, state } = setup();
		await fetchAndStore(api, 'logout/1');
		let release!: () => void;
		state.hold = new Promise((resolve) => {
			release = resolve;
		});
		const call = api.get('logout/1', { staleCache: { networkTimeoutMs: false } });
		await vi.waitFor(() => expect(state.entered).toBe(true));
		state.who = 'bob';
		release();
		await expect(call).rejects.toMatchObject({ name: 'NetworkError' });
		// Alice's copy is still hers: back as alice, a failure is answered by it.
		state.who = 'alice';
		state.hold = Promise.resolve();
		expect(isStale(await api.get('logout/1'))).toBe(true);
	});

	it('its networkTimeoutMs passing after the identity changed: no copy answers it', async () => {
		const { api, state } = setup();
		await fetchAndStore(api, 'logout/2');
		let release!: () => void;
		state.hold = new Promise((resolve) => {
			release = resolve;
		});
		const stale = collect(api, 'cache:stale');
		const started = Date.now();
		const call = api.get('logout/2', { staleCache: { networkTimeoutMs: 300 } });
		// The logout, once its attempt went out (one before would keep it from going: ABORTED): its deadline passes after it.
		await vi.waitFor(() => expect(state.entered).toBe(true));
		state.who = 'bob';
		// Past the deadline (were timers late on a busy machine, the failure would meet the same check).
		await vi.waitFor(() => expect(Date.now() - started).toBeGreaterThan(400), { interval: 10 });
		release();
		await expect(call).rejects.toMatchObject({ name: 'NetworkError' });
		expect(stale).toEqual([]);
	});
});

describe('a copy read from the store while a clear() began is not served', () => {
	it('the store answers the read after client.clear() was called: the network\'s error, not the copy', async () => {
		const { store, reading, hold, release } = gatedReads();
		const api = kit.make({ store: () => store, storageTimeoutMs: 60_000 });
		await fetchAndStore(api, 'clearing/1');
		hold();
		kit.mode = 'refuse';
		const call = api.get('clearing/1');
		await vi.waitFor(() => expect(reading()).toBe(true));
		const cleared = api.clear();
		release();
		await cleared;
		await expect(call).rejects.toMatchObject({ name: 'NetworkError' });
	});
});
