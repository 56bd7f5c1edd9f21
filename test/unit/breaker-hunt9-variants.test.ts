/** Variants of recovery a user can see (API.md "Reachability and recovery", the shared breaker's rules), ninth round. */
import { describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { CircuitOpenError, createClient } from '../../src/entries/core.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';

const origin = 'https://fleet.example';

/** A coordinator in memory over the shared state machine (what the Durable Object, Deno KV and Redis run), on the test's clock. */
const memoryCoordinator = (clock: ManualClock): SharedBreaker & { states: Map<string, ScopeState>; syncs: number } => {
	const states = new Map<string, ScopeState>();
	const coordinator = Object.assign(sharedCoordinator(async (scope, message) => {
		coordinator.syncs++;
		const state = states.get(scope) ?? emptyState(scope);
		states.set(scope, state);
		return structuredClone(sync(state, message as SyncMessage, clock.now()));
	}), { states, syncs: 0 });
	return coordinator;
};

const outcome = async (promise: Promise<Response>): Promise<string> =>
	promise.then((response) => String(response.status), (error: unknown) => (error instanceof CircuitOpenError ? 'OPEN' : String((error as { response?: Response }).response?.status ?? (error as Error).name)));

describe('shared breaker: waitForHealthy follows the fleet\'s state', () => {
	it('a wait in an isolate that knew the scope open resolves once the fleet closed it (another isolate\'s reset), with no call of its own', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const fetch = async (): Promise<Response> => new Response('down', { status: 503 });
		const make = () => createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 60_000, share: false }) });
		const [a, b] = [make(), make()];
		expect(await outcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		expect(a.breaker(origin).state).toBe('open');
		const waiting = a.waitForHealthy(origin, { timeoutMs: 3_000 }).then(() => 'healthy', (error: unknown) => (error as { code?: string }).code);
		await b.breaker.reset(origin);
		expect(coordinator.states.get(origin)?.record.state).toBe('closed');
		clock.advance(1_000); // sharedCacheMs: what the isolate adopted is that old now
		// Before: 'TIMEOUT' (the wait read the isolate's copy, adopted a minute before, and never asked the coordinator).
		expect(await waiting).toBe('healthy');
		expect(a.breaker(origin).state).toBe('closed');
		a.close();
		b.close();
	});
});
