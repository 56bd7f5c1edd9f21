/**
 * The fleet coordinators, thirty-second round: what a sync brings back after the world it started in changed (a
 * `reset()` or `isolate()` by hand made while it was under way), over a coordinator of the test's own that runs the
 * shared state machine (`sync`, as the Durable Object, Deno KV and Redis do) and answers when the test lets it.
 */
import { describe, expect, it } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakeOrigin, fleetOutcome, flush, origin } from './breaker-kit.js';

const policy = { consecutiveFailures: 5, openMs: 5_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

/**
 * A coordinator over the shared state machine, on the test's clock: each sync is decided when it arrives; while `holding`,
 * its answer waits in `held` until the test lets it go (`release(index)`), so answers can come in any order; `fail`
 * makes the next syncs reject. `other(message)`: another isolate's sync, decided at once.
 */
const gatedCoordinator = (clock: ManualClock) => {
	const states = new Map<string, ScopeState>();
	const held: Array<{ message: SyncMessage; go(): void }> = [];
	const gate = { holding: false, fail: false };
	const decide = (scope: string, message: SyncMessage): unknown => {
		const state = states.get(scope) ?? emptyState(scope, clock.now());
		states.set(scope, state);
		return structuredClone(sync(state, message, clock.now()));
	};

	const shared = sharedCoordinator(async (scope, message) => {
		if (gate.fail) {
			throw new Error('coordinator down');
		}

		const answer = decide(scope, message as SyncMessage);
		return gate.holding ? new Promise((resolve) => held.push({ message: message as SyncMessage, go: () => resolve(answer as never) })) : answer as never;
	});
	const other = (message: Partial<SyncMessage>): unknown => decide(origin, { policy, outcomes: [], jitter: 0.5, ...message });
	return { shared, states, held, gate, other };
};

/** A client of one isolate over `shared`, its breaker's events as `<type> <reason>`. */
const isolateOf = (clock: ManualClock, shared: ReturnType<typeof gatedCoordinator>['shared']) => {
	const server = new FakeOrigin();
	const api = createClient({ clock, random: () => 0.5, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: breaker({ shared, share: false }) });
	const events: string[] = [];
	for (const type of ['breaker:open', 'breaker:closed'] as const) {
		api.on(type, ({ reason }) => events.push(`${type} ${reason}`));
	}

	return { api, server, events, call: async () => fleetOutcome(api.get(`${origin}/x`, { throwHttpErrors: false })) };
};

describe('a sync under way when this isolate resets or isolates the scope by hand', () => {
	it('reset(): the opening that sync carries (another isolate\'s, from before the reset) does not reopen this isolate', async () => {
		const clock = new ManualClock();
		const { shared, held, gate, other } = gatedCoordinator(clock);
		const { api, events, call } = isolateOf(clock, shared);
		expect(await call()).toBe('200'); // the fleet's state known: closed
		other({ outcomes: [1, 1, 1, 1, 1] }); // another isolate's five failures: the fleet's breaker opens
		clock.advance(1_500);
		gate.holding = true;
		const first = call(); // its sync asks for the state: the coordinator answers the opening, on its way
		await waitFor(() => held.length === 1, 'the first sync at the coordinator');
		clock.advance(10);
		const resetting = api.breaker.reset(origin); // the app closes the scope by hand, for the fleet
		await waitFor(() => held.length === 2, 'the command\'s sync at the coordinator');
		held[0]!.go(); // the answer of the sync sent before the reset comes first, as it was sent first
		await flush();
		const during = { state: api.breaker(origin).state, call: await call() };
		held[1]!.go();
		await resetting;
		await first;
		api.close();
		// Before: { state: 'open', call: 'OPEN' }, and events [..., 'breaker:open shared', 'breaker:closed shared']: the
		// opening the reset ended came back with the late answer, until the reset's own answer closed it again.
		expect(during).toEqual({ state: 'closed', call: '200' });
		expect(events).toEqual([]);
	});

	it('reset() whose own sync fails: the late opening does not reopen this isolate after reset() resolved', async () => {
		const clock = new ManualClock();
		const { shared, held, gate, other } = gatedCoordinator(clock);
		const { api, events, call } = isolateOf(clock, shared);
		expect(await call()).toBe('200');
		other({ outcomes: [1, 1, 1, 1, 1] });
		clock.advance(1_500);
		gate.holding = true;
		const first = call();
		await waitFor(() => held.length === 1, 'the first sync at the coordinator');
		gate.fail = true; // the reset's own sync fails: reset() resolves with the scope closed here
		await api.breaker.reset(origin);
		gate.fail = false;
		held[0]!.go();
		await first;
		await flush();
		clock.advance(100); // well within sharedCacheMs: no sync of its own
		const after = { state: api.breaker(origin).state, call: await call() };
		api.close();
		// Before: { state: 'open', call: 'OPEN' } after `await reset()`, until a call past sharedCacheMs synced again.
		expect(after).toEqual({ state: 'closed', call: '200' });
		expect(events).not.toContain('breaker:open shared');
	});

	it('reset() through one client while its extend() peer (same name and store) has a sync under way: neither reopens', async () => {
		const clock = new ManualClock();
		const { shared, held, gate, other } = gatedCoordinator(clock);
		const server = new FakeOrigin();
		const api = createClient({ clock, random: () => 0.5, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, store: memoryStore, name: 'peers', breaker: breaker({ shared }) });
		const peer = api.extend({});
		const callOf = async (client: typeof api) => fleetOutcome(client.get(`${origin}/x`, { throwHttpErrors: false }));
		expect([await callOf(api), await callOf(peer)]).toEqual(['200', '200']);
		other({ outcomes: [1, 1, 1, 1, 1] });
		clock.advance(1_500);
		gate.holding = true;
		const first = callOf(peer); // the peer's sync asks for the state: the coordinator answers the opening, on its way
		await waitFor(() => held.length === 1, 'the peer\'s sync at the coordinator');
		clock.advance(10);
		const resetting = api.breaker.reset(origin);
		await waitFor(() => held.length === 2, 'the reset\'s sync at the coordinator');
		held[0]!.go();
		await first;
		await flush();
		const during = [api.breaker(origin).state, peer.breaker(origin).state];
		held[1]!.go();
		await resetting;
		await flush();
		clock.advance(100); // within sharedCacheMs: no sync
		const after = [api.breaker(origin).state, peer.breaker(origin).state, await callOf(api), await callOf(peer)];
		api.close();
		peer.close();
		expect({ during, after }).toEqual({ during: ['closed', 'closed'], after: ['closed', 'closed', '200', '200'] });
	});

	it('isolate(): a closed state that sync carries (from before the isolation) does not lift the kill switch here', async () => {
		const clock = new ManualClock();
		const { shared, held, gate, other } = gatedCoordinator(clock);
		const { api, server, call } = isolateOf(clock, shared);
		expect(await call()).toBe('200');
		clock.advance(1_400);
		other({ command: 'reset' }); // the fleet's state changes (a reset elsewhere): closed as of now
		clock.advance(100);
		gate.holding = true;
		const first = call(); // its sync asks for the state: the coordinator answers that closed state, on its way
		await waitFor(() => held.length === 1, 'the first sync at the coordinator');
		clock.advance(100);
		const isolating = api.breaker.isolate(origin); // the kill switch, for the fleet
		await waitFor(() => held.length === 2, 'the command\'s sync at the coordinator');
		held[0]!.go(); // the answer of the sync sent before the isolation comes first
		await first;
		await flush();
		const sent = server.requests.length;
		const during = { state: api.breaker(origin).state, call: await call(), sent: server.requests.length - sent };
		held[1]!.go();
		await isolating;
		api.close();
		// Before: { state: 'closed', call: '200', sent: 1 }: the kill switch lifted here for the isolation's round trip.
		expect(during).toEqual({ state: 'open', call: 'OPEN', sent: 0 });
	});
});
