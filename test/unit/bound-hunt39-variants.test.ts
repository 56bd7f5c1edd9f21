/**
 * Defect hunt, thirty-ninth round (bound): work stays bound to who started it (API.md "Work that outlives its caller").
 *
 * - `breaker({ shared })`: a failure of an attempt whose call started before `client.clear()` (or an identity change)
 *   and that ended after it was still reported to the fleet: the coordinator counted it, so one failure after the clear
 *   opened the fleet's breaker (`consecutiveFailures: 2`). The local breaker counts it for nothing (its record was
 *   replaced by the clear), as the link takes no answer of a sync from before it; the fleet now does not count it either.
 *   (An identity change: reported again since the fortieth hunt, as the local breaker counts it.) So was a failed probe granted before the clear (the fleet re-opened for a doubled period), the breaker's own
 *   (`breaker({ probe })`, which has no call: bound to the client's world as it started) too.
 */
import { describe, expect, it } from 'vitest';
import { memoryCoordinator, origin, setup } from './breaker-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/** A client over a FakeOrigin whose breaker the fleet (a coordinator in memory) shares: 2 failures in a row open it. */
const fleetClient = (identity?: () => string | undefined) => {
	const clock = new ManualClock();
	const shared = memoryCoordinator(clock);
	const kit = setup({ clock, ...(identity && { identity }), breaker: { shared, consecutiveFailures: 2 } as never });
	kit.server.hang();
	/** The fleet's state of the origin: its state and its failures in a row. */
	const fleet = () => ({ state: shared.states.get(origin)?.record.state, consecutive: shared.states.get(origin)?.consecutive });
	return { ...kit, clock, shared, fleet };
};

/** One failure after the world changed, past `sharedCacheMs` (the call syncs first): the fleet's count is that failure alone. */
const failOnceMore = async ({ clock, server, call }: ReturnType<typeof fleetClient>, get = call): Promise<string> => {
	clock.advance(1_000);
	server.down();
	return get('/after');
};

describe('breaker({ shared }): an attempt in flight across a clear() or an identity change fails after it', () => {
	it('client.clear(): its failure is not reported to the fleet (one failure after the clear leaves it closed)', async () => {
		const kit = fleetClient();
		const before = kit.call('/before');
		await waitFor(() => kit.server.pending.length === 1, 'the attempt at the origin');
		await kit.api.clear();
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await before).toBe('NetworkError');
		expect(await failOnceMore(kit)).toBe('NetworkError');
		// Before: { state: 'open', consecutive: 2 }, the attempt of before the clear counted by the fleet.
		expect(kit.fleet()).toEqual({ state: 'closed', consecutive: 1 });
	});

	it('the clear made through the client an extend() child was made from: the child\'s attempt in flight is not reported either', async () => {
		const kit = fleetClient();
		const child = kit.api.extend({ headers: { 'x-child': '1' } });
		const get = async (path: string): Promise<string> => child.get(origin + path).then((response) => String(response.status), (error: Error) => error.name);
		const before = get('/before');
		await waitFor(() => kit.server.pending.length === 1, 'the attempt at the origin');
		await kit.api.clear();
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await before).toBe('NetworkError');
		await failOnceMore(kit, kit.call);
		// Before: { state: 'open', consecutive: 2 }.
		expect(kit.fleet()).toEqual({ state: 'closed', consecutive: 1 });
	});

	// Decided again in the fortieth hunt: the breaker is the origin's, not a user's; the local breaker counts her failure,
	// so does the fleet (fleet-report-world.test.ts). Only client.clear() resets it.
	it('an identity change (alice signed out, bob in): her attempt\'s failure is reported to the fleet, as the local breaker counts it', async () => {
		let who: string | undefined = 'alice';
		const kit = fleetClient(() => who);
		const before = kit.call('/before');
		await waitFor(() => kit.server.pending.length === 1, 'the attempt at the origin');
		who = 'bob';
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await before).toBe('NetworkError');
		expect(await failOnceMore(kit)).toBe('NetworkError');
		expect(kit.fleet()).toEqual({ state: 'open', consecutive: 2 });
		expect(kit.state()).toBe('open');
	});

	it('a probe the fleet granted before the clear that fails after it frees the fleet\'s probe slot: not counted failed, the next probe granted', async () => {
		const kit = fleetClient();
		kit.server.down();
		expect(await kit.call('/1')).toBe('NetworkError');
		expect(await kit.call('/2')).toBe('NetworkError');
		expect(kit.fleet()).toEqual({ state: 'open', consecutive: 2 });
		const { opens, reopensAt } = kit.shared.states.get(origin)!.record;
		kit.clock.set(reopensAt);
		kit.server.hang();
		const probe = kit.call('/probe');
		await waitFor(() => kit.server.pending.length === 1, 'the probe at the origin');
		expect(kit.shared.states.get(origin)!.probeAt).toBe(reopensAt);
		await kit.api.clear();
		kit.server.settleAll(new TypeError('Failed to fetch'));
		expect(await probe).toBe('NetworkError');
		// Before: the fleet re-opened for a doubled period (opens 2) by a probe of before the clear.
		await waitFor(() => kit.shared.states.get(origin)!.probeAt === 0, 'the probe slot freed');
		expect(kit.shared.states.get(origin)!.record).toMatchObject({ state: 'open', opens, reopensAt });
		kit.server.up();
		expect(await kit.call('/next')).toBe('200');
		expect(kit.fleet()).toEqual({ state: 'closed', consecutive: 0 });
	});
	it('breaker({ probe }): its own probe, granted before the clear and failing after it, frees the fleet\'s probe slot, not counted failed', async () => {
		const clock = new ManualClock();
		const shared = memoryCoordinator(clock);
		const kit = setup({ clock, breaker: { shared, consecutiveFailures: 2, probe: '/health' } as never });
		kit.server.down();
		expect([await kit.call('/1'), await kit.call('/2')]).toEqual(['NetworkError', 'NetworkError']);
		const { opens, reopensAt } = shared.states.get(origin)!.record;
		clock.set(reopensAt);
		kit.server.hang();
		expect(await kit.call('/x')).toBe('CIRCUIT_OPEN'); // fails fast while the breaker's own probe goes
		await waitFor(() => kit.server.pending.length === 1, 'the probe at the origin');
		expect([kit.server.pending[0]!.request.url, shared.states.get(origin)!.probeAt]).toEqual([`${origin}/health`, reopensAt]);
		await kit.api.clear();
		kit.server.settleAll(new TypeError('Failed to fetch'));
		// Before: the fleet re-opened for a doubled period (opens 2, reopensAt 60 s later).
		await waitFor(() => shared.states.get(origin)!.probeAt === 0, 'the probe slot freed');
		expect(shared.states.get(origin)!.record).toMatchObject({ state: 'open', opens, reopensAt });
	});
});
