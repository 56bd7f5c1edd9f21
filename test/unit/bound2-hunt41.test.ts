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
 */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/entries/index.js';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { memoryCoordinator, origin, setup } from './breaker-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Two isolates of one fleet (a coordinator in memory, 2 failures in a row open it): `other` opens it; `kit` (identity
 * `who()`) syncs through a gate the test opens by hand (`held`: syncs waiting, `release()` lets them through).
 */
const fleetOfTwo = (identity: () => string | undefined) => {
	const clock = new ManualClock();
	const fleet = memoryCoordinator(clock);
	const waiting: Array<() => void> = [];
	let gated = false;
	const gate = sharedCoordinator(async (scope, message) => {
		if (gated) {
			await new Promise<void>((resolve) => waiting.push(resolve));
		}

		return fleet.sync(scope, message);
	});
	const store = memoryStore('bound2-hunt41');
	const other = setup({ clock, breaker: { shared: fleet, consecutiveFailures: 2 } as never });
	const kit = setup({ clock, identity, store: () => store, breaker: { shared: gate, consecutiveFailures: 2, share: true } as never });
	return {
		...kit, clock, fleet, store, other,
		hold: () => {
			gated = true;
		},
		held: () => waiting.length,
		release: () => {
			gated = false;
			for (const go of waiting.splice(0)) {
				go();
			}
		},
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
