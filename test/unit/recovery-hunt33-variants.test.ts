/**
 * Defect hunt, thirty-third round (area: recovery — the breaker shared across tabs, its probe, health). API.md "Work
 * that outlives its caller" (an adopted breaker state is checked against the world it started in), `isolate` / `reset`
 * by hand (a kill switch "shared across tabs"), "Reachability and recovery". Tabs are clients of one name and store
 * made apart (each its own `stores`, as in separate pages), told by BroadcastChannel; a coordinator of the test's own
 * runs the shared state machine (`sync`) and answers when the test lets it (as fleet-hunt32-variants.test.ts's).
 */
import { describe, expect, it } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakeOrigin, fleetOutcome, flush, origin, windowEachTest } from './breaker-kit.js';

const policy = { consecutiveFailures: 5, openMs: 5_000, maxOpenMs: 300_000, probeTimeoutMs: 10_000 };

/**
 * A coordinator over the shared state machine, on the test's clock: each sync is decided when it arrives; while `holding`,
 * its answer waits in `held` until the test lets it go, so answers can come in any order. `other(message)`: another
 * isolate's sync, decided at once.
 */
const gatedCoordinator = (clock: ManualClock) => {
	const states = new Map<string, ScopeState>();
	const held: Array<{ go(): void }> = [];
	const gate = { holding: false };
	const decide = (scope: string, message: SyncMessage): unknown => {
		const state = states.get(scope) ?? emptyState(scope, clock.now());
		states.set(scope, state);
		return structuredClone(sync(state, message, clock.now()));
	};

	const shared = sharedCoordinator(async (scope, message) => {
		const answer = decide(scope, message as SyncMessage);
		return gate.holding ? new Promise((resolve) => held.push({ go: () => resolve(answer as never) })) : answer as never;
	});
	const other = (message: Partial<SyncMessage>): unknown => decide(origin, { policy, outcomes: [], jitter: 0.5, ...message });
	return { shared, held, gate, other };
};

const clients = windowEachTest();
let names = 0;

/**
 * Two tabs (clients made apart, one name and store) over one gated coordinator, the fleet's breaker opened by another
 * isolate and known to tab `a`; tab `b` has a sync under way (the coordinator answered it the opening, held) when `a`'s
 * user resets the scope. Resolves once `b` took the reset from `a`'s message and the reset's own sync is held too.
 */
const resetWhileOtherTabSyncs = async () => {
	const clock = new ManualClock();
	const { shared, held, gate, other } = gatedCoordinator(clock);
	const store = memoryStore(`h33-tabs-${names}`);
	const name = `h33-tabs-${names++}`;
	const tab = () => {
		const server = new FakeOrigin();
		const api = createClient({ clock, random: () => 0.5, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, store: () => store, name, breaker: breaker({ shared, share: true }) });
		clients.push(api);
		return { api, call: async () => fleetOutcome(api.get(`${origin}/x`, { throwHttpErrors: false })), state: () => api.breaker(origin).state };
	};

	const a = tab();
	const b = tab();
	expect([await a.call(), await b.call()]).toEqual(['200', '200']);
	other({ outcomes: [1, 1, 1, 1, 1] }); // another isolate's five failures: the fleet's breaker opens
	clock.advance(1_500);
	expect(await a.call()).toBe('OPEN'); // a syncs: it adopts the opening (and tells b)
	await waitFor(() => b.state() === 'open', 'b told of the opening');
	gate.holding = true;
	const late = b.call(); // b's sync asks for the state: the coordinator answers the opening, on its way
	await waitFor(() => held.length === 1, 'b\'s sync at the coordinator');
	clock.advance(10);
	const resetting = a.api.breaker.reset(origin); // a's user closes the scope by hand, for every tab and the fleet
	await waitFor(() => held.length === 2, 'the reset\'s sync at the coordinator');
	await waitFor(() => b.state() === 'closed', 'b told of the reset');
	const settled = async (): Promise<void> => {
		await flush();
		await flush();
	};

	gate.holding = false; // later syncs are answered at once
	return { clock, a, b, late, resetting, settled, lateAnswer: held[0]!, resetAnswer: held[1]! };
};

describe('tabs over a coordinator: a reset() in one tab while another tab\'s sync is under way (API.md: shared across tabs)', () => {
	it('that sync\'s answer coming first (the opening the reset ended) reopens neither tab', async () => {
		const { a, b, late, resetting, settled, lateAnswer, resetAnswer } = await resetWhileOtherTabSyncs();
		lateAnswer.go();
		await late;
		await settled();
		// Before: ['open', 'open']: b took the answer's opening (news to its link, dated after the reset it held) and told a.
		const during = [a.state(), b.state()];
		resetAnswer.go();
		await resetting;
		await settled();
		expect({ during, after: [a.state(), b.state(), await a.call(), await b.call()] }).toEqual({ during: ['closed', 'closed'], after: ['closed', 'closed', '200', '200'] });
	});

	it('the reset\'s answer coming first: after reset() resolved, the late answer reopens neither tab for the rest of the period', async () => {
		const { clock, a, b, late, resetting, settled, lateAnswer, resetAnswer } = await resetWhileOtherTabSyncs();
		resetAnswer.go();
		await resetting;
		await settled();
		lateAnswer.go();
		await late;
		await settled();
		const after = [a.state(), b.state(), await a.call(), await b.call()];
		clock.advance(2_000); // past sharedCacheMs: each tab syncs again
		// Before: { after: ['open', 'open', 'OPEN', 'OPEN'], later: ['OPEN', '200'] }: b took the late opening, dated after
		// the reset, and told a, whose own syncs then found the coordinator's closed state (the reset) older than it.
		expect({ after, later: [await a.call(), await b.call()] }).toEqual({ after: ['closed', 'closed', '200', '200'], later: ['200', '200'] });
	});
});

describe('tabs over a coordinator: an isolate() in one tab while another tab\'s first sync is under way', () => {
	it('that sync\'s closed state (from before the isolation) lifts the kill switch in neither tab', async () => {
		const clock = new ManualClock();
		const { shared, held, gate } = gatedCoordinator(clock);
		const store = memoryStore(`h33-tabs-${names}`);
		const name = `h33-tabs-${names++}`;
		const tab = () => {
			const server = new FakeOrigin();
			const api = createClient({ clock, random: () => 0.5, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, store: () => store, name, breaker: breaker({ shared, share: true }) });
			clients.push(api);
			return { api, server, call: async () => fleetOutcome(api.get(`${origin}/x`, { throwHttpErrors: false })), state: () => api.breaker(origin).state };
		};

		const a = tab();
		const b = tab();
		gate.holding = true;
		const late = b.call(); // b's first sync: the coordinator answers the scope's closed state, on its way
		await waitFor(() => held.length === 1, 'b\'s sync at the coordinator');
		const isolating = a.api.breaker.isolate(origin); // in the same ms: a's user turns the kill switch on
		await waitFor(() => held.length === 2, 'the isolation\'s sync at the coordinator');
		await waitFor(() => b.state() === 'open', 'b told of the isolation');
		gate.holding = false;
		held[0]!.go();
		await late;
		held[1]!.go();
		await isolating;
		await flush();
		await flush();
		const sent = a.server.requests.length + b.server.requests.length;
		const calls = [await a.call(), await b.call()];
		expect({ states: [a.state(), b.state()], calls, sent: a.server.requests.length + b.server.requests.length - sent }).toEqual({ states: ['open', 'open'], calls: ['OPEN', 'OPEN'], sent: 0 });
	});
});
