/**
 * Defect hunt, forty-second round (work stays bound to who started it). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { heldWrites, mapStore } from '../helpers/test-stores.js';
import { useRedirectingOrigin } from '../helpers/redirecting-origin.js';
import { settle, staleOrFresh, t0 } from './cache-kit.js';

/** `GET /me` redirected (302) to `/users/42`, whose body is `v<n>` (n: the writes it took + 1). */
const origin = useRedirectingOrigin();

/** The keys in `records` of `/me`. */
const copiesOfMe = (records: Map<string, unknown>): string[] => [...records.keys()].filter((key) => key.endsWith('/me'));

describe('a redirected copy (GET /me answered from /users/42) whose put the store lands after a write of /users/42 dropped it', () => {
	/**
	 * A client over `records` whose copy writes (`r:` keys) wait while `held.hold()` is in force, as a store that lands a
	 * put after a later delete (the Cache API keeps no order between them); its transport down while `state.down`.
	 */
	const made = (records: Map<string, unknown>, clock: ManualClock, options: ClientOptions = {}) => {
		const held = heldWrites('r:', mapStore(records)());
		const state = { down: false };
		const api = createClient({
			name: 'h42-redirect-landing', clock, store: () => held.store, retry: 0, breaker: false, baseUrl: `${origin.url}/`, ...options,
			fetch: (async (input: Request, init?: RequestInit) => {
				if (state.down) {
					throw new TypeError('fetch failed');
				}

				return globalThis.fetch(input, init);
			}) as typeof fetch,
		});
		return { api, held, state };
	};

	for (const [label, write] of [
		['delivered by this client', async (api: ReturnType<typeof createClient>) => api.put('users/42')],
		['delivered by another client of the name and store (staleCache: false)', async (api: ReturnType<typeof createClient>) => api.extend({ staleCache: false }).put('users/42')],
	] as const) {
		it(`${label}: the copy does not come back, and a reload with the origin down does not answer /me from before the write`, async () => {
			const records = new Map<string, unknown>();
			const clock = new ManualClock(t0);
			const { api, held } = made(records, clock);
			held.hold();
			expect(await api.get('me').text()).toMatch(/^v\d+$/);
			await expect.poll(held.holding).toBe(true);
			// The write of the path /me was answered from: the copy's key is dropped while its put is still under way.
			expect((await write(api)).status).toBe(204);
			await settle();
			held.release();
			await settle();
			const left = copiesOfMe(records);
			api.close();

			// The page reloaded (what the last client knew of the write is gone), the origin down.
			const reloaded = made(records, clock);
			reloaded.state.down = true;
			// Before: [['r:~~http://127.0.0.1:<port>/me'], 'steadfetch; hit; ttl=60; detail=network v1'] (the put landed after
			// the drop's delete and stayed: after the reload, the answer from before the write).
			expect([left, await staleOrFresh(reloaded.api, 'me')]).toEqual([[], 'NetworkError']);
			reloaded.api.close();
		});
	}

	it('control: a copy of a URL not redirected whose put lands after its write is dropped likewise; without a write, the redirected copy stays', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, held } = made(records, clock);
		held.hold();
		expect(await api.get('users/42').text()).toMatch(/^v\d+$/);
		await expect.poll(held.holding).toBe(true);
		expect((await api.put('users/42')).status).toBe(204);
		await settle();
		held.release();
		await settle();
		expect([...records.keys()].filter((key) => key.endsWith('/users/42'))).toEqual([]);

		held.hold();
		expect(await api.get('me').text()).toMatch(/^v\d+$/);
		await expect.poll(held.holding).toBe(true);
		held.release();
		await settle();
		expect(copiesOfMe(records)).toHaveLength(1);
		api.close();
	});
});
