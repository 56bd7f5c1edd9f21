/**
 * Defect hunt, thirty-eighth round (the stale cache, second area). Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { useRedirectingOrigin } from '../helpers/redirecting-origin.js';
import { downable, next, settle, staleOrFresh, t0 } from './cache-kit.js';

/** The origin (test/helpers/redirecting-origin.ts): `GET /me` redirected (302) to `/users/42`, whose body is `v<n>` (n: the writes it took + 1). */
const origin = useRedirectingOrigin();

/** `downable` on this file's origin. */
const redirected = (name: string, records: Map<string, unknown>, clock: ManualClock, options: ClientOptions = {}) => downable(origin.url, name, records, clock, options);
const got = staleOrFresh;

describe('read your own writes through a redirect: a copy of GET /me the origin answered from /users/42', () => {
	it.each(['put', 'patch', 'delete'] as const)('a delivered %s of /users/42 removes it: a later failure of GET /me is no older copy', async (method) => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, state } = redirected(`h38c2-redirect-${method}`, records, clock);
		const stored = next(api, 'cache:stored');
		expect(await got(api, 'me')).toMatch(/^fresh v\d+$/);
		await stored;
		clock.advance(5000);
		await api[method]('users/42');
		await settle();
		clock.advance(1000);
		state.down = true;
		expect(await got(api, 'me')).toBe('NetworkError');
		api.close();
	});

	it('after a reload of the client (a new client over the same store): the delivered write still removes it', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const first = redirected('h38c2-redirect-reload', records, clock);
		const stored = next(first.api, 'cache:stored');
		await got(first.api, 'me');
		await stored;
		first.api.close();
		clock.advance(5000);
		const { api, state } = redirected('h38c2-redirect-reload', records, clock);
		await api.put('users/42');
		await settle();
		clock.advance(1000);
		state.down = true;
		expect(await got(api, 'me')).toBe('NetworkError');
		api.close();
	});

	it('a write delivered by another client of the name (another tab) removes it from the store', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const a = redirected('h38c2-redirect-other', records, clock);
		const b = redirected('h38c2-redirect-other', records, clock);
		const stored = next(a.api, 'cache:stored');
		await got(a.api, 'me');
		await stored;
		clock.advance(5000);
		await b.api.put('users/42');
		await settle();
		expect([...records.keys()].filter((key) => key.endsWith('/me'))).toEqual([]);
		a.api.close();
		b.api.close();
	});

	it('a GET of /me answered after a write of /users/42 was delivered meanwhile (its data older): not stored', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, state } = redirected('h38c2-redirect-inflight', records, clock);
		// The GET of /users/42 takes its body, then waits (an answer older than the write meanwhile).
		const open = origin.hold();
		const reading = got(api, 'me');
		await expect.poll(() => origin.gated).toBe(1);
		clock.advance(1000);
		await api.put('users/42');
		open();
		expect(await reading).toMatch(/^fresh v\d+$/);
		await settle();
		expect([...records.keys()].filter((key) => key.endsWith('/me'))).toEqual([]);
		clock.advance(1000);
		state.down = true;
		expect(await got(api, 'me')).toBe('NetworkError');
		api.close();
	});

	it('neighbour: a write of another user (/users/7) leaves it', async () => {
		const records = new Map<string, unknown>();
		const clock = new ManualClock(t0);
		const { api, state } = redirected('h38c2-redirect-neighbour', records, clock);
		const stored = next(api, 'cache:stored');
		const before = await got(api, 'me');
		await stored;
		clock.advance(5000);
		await api.put('users/7');
		await settle();
		clock.advance(1000);
		state.down = true;
		expect(await got(api, 'me')).toBe(`steadfetch; hit; ttl=54; detail=network ${before.slice('fresh '.length)}`);
		api.close();
	});
});
