/**
 * `breaker({ shared })`: an attempt's outcome counts in the fleet exactly when it counts in the local breaker. The breaker
 * is per origin, not per user: an identity change (alice signed out, bob in) or `clear({ identity })` leaves the local
 * breaker counting the failure of an attempt in flight across it, and the fleet counts it too. Only `client.clear()`
 * resets the breaker: an attempt that went out before it counts in neither (and no further attempt of its call goes out).
 */
import { describe, expect, it } from 'vitest';
import { flush, memoryCoordinator, origin, setup } from './breaker-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import type { ClientOptions } from '../../src/entries/index.js';

/** A client over a FakeOrigin whose breaker the fleet (a coordinator in memory) shares: 3 failures in a row open it. */
const fleetClient = (options: ClientOptions = {}, breaker: object = {}) => {
	const clock = new ManualClock();
	const shared = memoryCoordinator(clock);
	const kit = setup({ clock, ...options, breaker: { shared, consecutiveFailures: 3, ...breaker } as never });
	/** The fleet's failures in a row, and the local breaker's. */
	const counts = () => ({ fleet: shared.states.get(origin)?.consecutive ?? 0, local: kit.snapshot().consecutiveFailures });
	return { ...kit, clock, shared, counts };
};

describe('breaker({ shared }): the fleet counts what the local breaker counts', () => {
	it('an identity change while an attempt is in flight: its failure counts in both', async () => {
		let who: string | undefined = 'alice';
		const kit = fleetClient({ identity: () => who });
		kit.server.hang();
		const before = kit.call('/before');
		await waitFor(() => kit.server.pending.length === 1, 'the attempt at the origin');
		who = 'bob';
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await before).toBe('NetworkError');
		await flush(); // the report, sent in the background at once
		// Before: { fleet: 0, local: 1 }.
		expect(kit.counts()).toEqual({ fleet: 1, local: 1 });
	});

	it('clear({ identity }) of the call\'s identity while its attempt is in flight: its failure counts in both (the breaker is the origin\'s)', async () => {
		const kit = fleetClient({ identity: () => 'alice' });
		kit.server.hang();
		const before = kit.call('/before');
		await waitFor(() => kit.server.pending.length === 1, 'the attempt at the origin');
		await kit.api.clear({ identity: 'alice' });
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await before).toBe('NetworkError');
		await flush(); // the report, sent in the background at once
		// Before: { fleet: 0, local: 1 }.
		expect(kit.counts()).toEqual({ fleet: 1, local: 1 });
	});

	it('client.clear() while an attempt is in flight: its failure counts in neither', async () => {
		const kit = fleetClient();
		kit.server.hang();
		const before = kit.call('/before');
		await waitFor(() => kit.server.pending.length === 1, 'the attempt at the origin');
		await kit.api.clear();
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await before).toBe('NetworkError');
		kit.server.down();
		kit.clock.advance(1_000);
		expect(await kit.call('/after')).toBe('NetworkError');
		expect(kit.counts()).toEqual({ fleet: 1, local: 1 });
	});

	it('breaker({ probe }) started under alice, failing after bob signed in: a failed probe in both (the fleet re-opens)', async () => {
		let who: string | undefined = 'alice';
		const kit = fleetClient({ identity: () => who }, { consecutiveFailures: 1, probe: '/health' });
		kit.server.down();
		expect(await kit.call('/1')).toBe('NetworkError');
		const { opens, reopensAt } = kit.shared.states.get(origin)!.record;
		kit.clock.set(reopensAt);
		kit.server.hang();
		expect(await kit.call('/x')).toBe('CIRCUIT_OPEN'); // fails fast while the breaker's own probe goes
		await waitFor(() => kit.server.pending.length === 1, 'the probe at the origin');
		who = 'bob';
		kit.server.settleAll(new TypeError('Failed to fetch'));
		await waitFor(() => kit.snapshot().state === 'open' && kit.shared.states.get(origin)!.probeAt === 0, 'the probe counted');
		// Before: the fleet freed the slot only (opens 1) while the local breaker re-opened (opens 2).
		expect(kit.shared.states.get(origin)!.record.opens).toBe(opens + 1);
	});
});
