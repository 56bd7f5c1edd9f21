/**
 * Defect hunt, forty-first round (bound, second helper): work stays bound to who started it (API.md "Work that outlives
 * its caller", "Identity", "Reachability and recovery").
 *
 * - `breaker({ shared })`: a coordinator sync's answer (the fleet's state) was adopted only while the world of the call
 *   that started it was current, identity included, while the report of a failure is bound to the client's world (clears
 *   only: the breaker is the origin's, not a user's, since the fortieth hunt). A sync started by alice's call and answered
 *   after she signed out (bob in) was dropped: the local breaker missed the fleet's opening, and bob's next call within
 *   `sharedCacheMs` went to an origin the fleet holds open ('200' where 'CIRCUIT_OPEN'), and nothing was stored for the
 *   next client of the store. The answer is now adopted in the same clears-only world as the report: only `client.clear()`
 *   (of any client of the name and store) drops it.
 * - Two clients of one name and store made apart in one page (two `createClient` calls, not `extend()`: two parts of an
 *   app) each had their own world, and heard each other's clears over the name's BroadcastChannel only, a task later. A
 *   read of one in flight at the other's `clear()` (a logout) whose answer came in that task was stored after the clear
 *   had resolved (`cache:stored`, the copy in the store: what API.md "Identity" says never happens, and what Node, where
 *   such clients share one world, never did); and a read started as soon as the clear resolved, answered once the note
 *   came, was taken for work of before it (its copy dropped: bound2-hunt41-variants, and in Chromium test/browser/bound2-hunt41). The notes a client makes are now told at once to the name's other clients
 *   in the page (src/core/world-tabs.ts), and still posted to the other tabs, which ignore nothing of them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { FakeOrigin } from './breaker-kit.js';
import { fakeWindow, type FakeWindow } from './outbox-helpers.js';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { memoryCoordinator, origin, setup, syncGate } from './breaker-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Two isolates of one fleet (a coordinator in memory, 2 failures in a row open it): `other` opens it; `kit` (identity
 * `who()`) syncs through a gate the test opens by hand (`held`: syncs waiting, `release()` lets them through).
 */
const fleetOfTwo = (identity: () => string | undefined) => {
	const clock = new ManualClock();
	const fleet = memoryCoordinator(clock);
	const held = syncGate();
	const gate = sharedCoordinator(async (scope, message) => {
		await held.pass();
		return fleet.sync(scope, message);
	});
	const store = memoryStore('bound2-hunt41');
	const other = setup({ clock, breaker: { shared: fleet, consecutiveFailures: 2 } as never });
	const kit = setup({ clock, identity, store: () => store, breaker: { shared: gate, consecutiveFailures: 2, share: true } as never });
	return {
		...kit, clock, fleet, store, other,
		hold: held.hold,
		held: held.held,
		release: held.release,
	};
};

describe('breaker({ shared }): a sync started before an identity change is adopted (the breaker is the origin\'s)', () => {
	it('alice\'s call syncs, bob signs in before the answer: the fleet\'s opening is adopted, bob\'s next call fails fast', async () => {
		let who: string | undefined = 'alice';
		const kit = fleetOfTwo(() => who);
		kit.other.server.down();
		expect([await kit.other.call('/1'), await kit.other.call('/2')]).toEqual(['NetworkError', 'NetworkError']);
		expect(kit.fleet.states.get(origin)?.record.state).toBe('open');

		kit.hold();
		const alice = kit.call('/alice');
		await waitFor(() => kit.held() === 1, 'alice\'s sync at the coordinator');
		who = 'bob';
		kit.release();
		await alice;
		// Before: { state: 'closed', bob: '200' }: the answer dropped, bob's call sent to an origin the fleet holds open.
		expect({ state: kit.state(), bob: await kit.call('/bob') }).toEqual({ state: 'open', bob: 'CIRCUIT_OPEN' });
		await waitFor(async () => (await kit.store.get(origin) as { state?: string } | undefined)?.state === 'open', 'the fleet\'s state stored');
	});
});

describe('two clients of one name and store made apart in one page (not extend())', () => {
	let win: FakeWindow;
	beforeEach(() => {
		win = fakeWindow();
	});
	afterEach(() => {
		win.restore();
	});

	it('a read of one in flight at the other\'s clear(), answered in the same task: its answer is not stored', async () => {
		const name = `bound2-twins-${Math.random()}`;
		const shared = memoryStore(name);
		const server = new FakeOrigin();
		server.hang();
		const make = () => createClient({ name, store: () => shared, fetch: server.fetch as typeof fetch, retry: 0, breaker: false, staleCache: { maxStaleMs: 86_400_000 } });
		const [a, b] = [make(), make()];
		const stored: string[] = [];
		a.on('cache:stored', ({ url }) => stored.push(url));
		const reading = a.get(`${origin}/me`).text();
		await waitFor(() => server.pending.length === 1, 'the read at the origin');
		const clearing = b.clear();
		server.settleAll(new Response('alice', { headers: { 'cache-control': 'max-age=60' } }));
		await clearing;
		expect(await reading).toBe('alice');
		// The read after it, from a's client: its copy stored (a's copy write, if any, has landed before it is told).
		server.script = () => new Response('bob', { headers: { 'cache-control': 'max-age=60' } });
		expect(await a.get(`${origin}/after`).text()).toBe('bob');
		await waitFor(() => stored.includes(`${origin}/after`), 'the read after the clear stored');
		// Before: ['https://api.test/me', 'https://api.test/after'] and the store held r:~~https://api.test/me.
		expect({ stored, keys: (await shared.keys()).filter((key) => key.includes('/me')) }).toEqual({ stored: [`${origin}/after`], keys: [] });
		a.close();
		b.close();
	});
});
