/** Variants of recovery a user can see (API.md "Reachability and recovery", the shared breaker's rules), ninth round. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient, memoryStore } from '../../src/entries/core.js';
import { sharedCoordinator, type SharedBreaker } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fleetOutcome, memoryCoordinator } from './breaker-kit.js';

const origin = 'https://fleet.example';

describe('shared breaker: waitForHealthy follows the fleet\'s state', () => {
	/** Isolates (`make()`) of one in-memory fleet whose origin answers 503: `a`'s call opened the fleet's breaker (one failure), `b` made before it. */
	const openedByA = async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const fetch = async (): Promise<Response> => new Response('down', { status: 503 });
		const make = () => createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 60_000, share: false }) });
		const [a, b] = [make(), make()];
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		return { clock, coordinator, make, a, b };
	};

	it('a wait in an isolate that knew the scope open resolves once the fleet closed it (another isolate\'s reset), with no call of its own', async () => {
		const { clock, coordinator, a, b } = await openedByA();
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

	// Eleventh round: the wait looked at the isolate's copy before it ever asked, so it resolved under a state it had never synced.
	it('an isolate that never asked the coordinator for the scope does not resolve while the fleet\'s breaker is open: it asks first (TIMEOUT), and its next call fails fast', async () => {
		const { clock, coordinator, make, a, b } = await openedByA();
		const syncs = coordinator.syncs;
		// Before: 'healthy' at once, no sync (then b's next call: 'OPEN').
		expect(await b.waitForHealthy(origin, { timeoutMs: 200 }).then(() => 'healthy', (error: unknown) => (error as { code?: string }).code)).toBe('TIMEOUT');
		expect(coordinator.syncs).toBe(syncs + 1);
		expect(b.breaker(origin).state).toBe('open');
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('OPEN');
		// The fleet's closing (a's reset) ends the wait of an isolate that knew nothing before it.
		const c = make();
		const waiting = c.waitForHealthy(origin, { timeoutMs: 3_000 }).then(() => 'healthy', (error: unknown) => (error as { code?: string }).code);
		await vi.waitFor(() => expect(c.breaker(origin).state).toBe('open'));
		await a.breaker.reset(origin);
		clock.advance(1_000);
		expect(await waiting).toBe('healthy');
		for (const client of [a, b, c]) {
			client.close();
		}
	});

	it('an isolate whose closed state is older than sharedCacheMs asks again before it resolves: the fleet opened it meanwhile (TIMEOUT)', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		let status = 200;
		const fetch = async (): Promise<Response> => new Response('', { status });
		const make = () => createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 60_000, share: false }) });
		const [a, b] = [make(), make()];
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('200'); // b adopts the fleet's closed state
		status = 503;
		clock.advance(5_000);
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		// Before: 'healthy' at once, under the closed state b adopted 5 s before (sharedCacheMs: 1 s).
		expect(await b.waitForHealthy(origin, { timeoutMs: 200 }).then(() => 'healthy', (error: unknown) => (error as { code?: string }).code)).toBe('TIMEOUT');
		expect(b.breaker(origin).state).toBe('open');
		a.close();
		b.close();
	});
});

describe('shared breaker: the fleet\'s state this isolate adopted is the one its store keeps', () => {
	it('an isolate that adopted the fleet\'s closing (another isolate\'s reset) leaves it stored: the next isolate of its store, the coordinator unreachable at its start, does not fail fast for the rest of the period it had stored', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		let reachable = true;
		const flaky = Object.assign(sharedCoordinator(async (scope, message) => {
			if (!reachable) {
				throw new Error('coordinator unreachable');
			}

			return coordinator.sync(scope, message);
		}), {});
		let down = true;
		const fetch = async (): Promise<Response> => new Response(down ? 'down' : 'ok', { status: down ? 503 : 200 });
		const colo = memoryStore('hunt9-colo'); // one store (a data center's Cache API), another for the isolate that probes elsewhere
		/** The breaker record the data center's store holds for the scope. */
		const stored = async (): Promise<unknown> => {
			for (const key of await colo.keys()) {
				const value = await colo.get<{ scope?: string }>(key);
				if (value?.scope === origin) {
					return value;
				}
			}

			return undefined;
		};
		const make = (store: typeof colo, shared: SharedBreaker) => createClient({ clock, random: () => 0.5, retry: 0, fetch, name: 'hunt9-fleet', store: () => store, breaker: breaker({ shared, consecutiveFailures: 1, openMs: 60_000 }) });
		const a = make(colo, flaky);
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(async () => expect(await stored()).toMatchObject({ state: 'open' }));
		// Another isolate, elsewhere (its own store), closes the fleet's breaker by hand: the origin is back.
		const elsewhere = make(memoryStore('hunt9-elsewhere'), coordinator);
		down = false;
		await elsewhere.breaker.reset(origin);
		expect(coordinator.states.get(origin)?.record.state).toBe('closed');
		clock.advance(1_000);
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('200'); // a adopts the fleet's closing
		expect(a.breaker(origin).state).toBe('closed');
		await vi.waitFor(async () => expect(await stored()).toMatchObject({ state: 'closed' }));
		a.close();
		// The next isolate of the data center starts while the coordinator does not answer: its local breaker decides, from the store.
		reachable = false;
		const next = make(colo, flaky);
		// Before: 'OPEN' (the store still held a's own opening, the fleet's closing was never written).
		expect(await fleetOutcome(next.get(`${origin}/x`))).toBe('200');
		next.close();
		elsewhere.close();
	});
});

// Eleventh round: what an isolate told the coordinator once (a probe's outcome, a command by hand) was lost when that one sync failed.
describe('shared breaker: what an isolate told while the coordinator was away for a moment is told at its next sync', () => {
	/** Isolates over a coordinator that can be made unreachable (`away`), and an origin whose answers can be held (`status` 0). */
	const fleet = () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const net = { away: false, status: 503, hold: undefined as ((response: Response) => void) | undefined };
		const shared = sharedCoordinator(async (scope, message) => {
			if (net.away) {
				throw new Error('coordinator unreachable');
			}

			return coordinator.sync(scope, message);
		});
		const fetch = async (): Promise<Response> => net.status === 0 ? new Promise<Response>((resolve) => {
			net.hold = resolve;
		}) : new Response('', { status: net.status });
		const clients: Array<ReturnType<typeof createClient>> = [];
		const make = () => {
			const api = createClient({ clock, random: () => 0.5, retry: 0, fetch, breaker: breaker({ shared, consecutiveFailures: 1, openMs: 60_000, share: false }) });
			const errors: string[] = [];
			api.on('storage:error', ({ operation }) => errors.push(operation));
			clients.push(api);
			return Object.assign(api, { errors });
		};

		return { clock, coordinator, net, make, close: () => {
			for (const api of clients) {
				api.close();
			}
		} };
	};

	it('a granted probe that succeeded while the coordinator was away: the fleet closes at the next sync (not counted failed at its limit and re-opened)', async () => {
		const { clock, coordinator, net, make, close } = fleet();
		const [a, b] = [make(), make()];
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		clock.advance(60_000);
		net.status = 0;
		const probing = fleetOutcome(a.get(`${origin}/x`)); // the fleet's probe, granted to a
		await vi.waitFor(() => expect(net.hold).toBeDefined());
		net.away = true;
		net.hold!(new Response('', { status: 200 }));
		expect(await probing).toBe('200');
		await vi.waitFor(() => expect(a.errors).toEqual(['shared'])); // its report did not reach the coordinator
		net.away = false;
		net.status = 200;
		clock.advance(1_000);
		// Before: 'OPEN' (a adopted the fleet's open state, its probe still in flight there), and at the probe's limit
		// the fleet re-opened for a doubled period: every isolate failed fast with the origin back.
		expect(await fleetOutcome(a.get(`${origin}/y`))).toBe('200');
		expect(coordinator.states.get(origin)?.record.state).toBe('closed');
		clock.advance(10_000);
		expect(await fleetOutcome(b.get(`${origin}/y`))).toBe('200');
		close();
	});

	it('isolate() while the coordinator was away: its first sync after it isolates the fleet (not lifted by the fleet\'s closed state); reset() so too', async () => {
		const { clock, coordinator, net, make, close } = fleet();
		net.status = 200;
		const [a, b] = [make(), make()];
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('200');
		net.away = true;
		await a.breaker.isolate(origin);
		expect(a.breaker(origin).state).toBe('open');
		net.away = false;
		clock.advance(1_000);
		// Before: '200', the kill switch lifted by the fleet's closed state with no reset, and never told to b.
		expect(await fleetOutcome(a.get(`${origin}/y`))).toBe('OPEN');
		expect(coordinator.states.get(origin)?.record).toMatchObject({ state: 'open', isolated: true });
		expect(await fleetOutcome(b.get(`${origin}/y`))).toBe('OPEN');
		net.away = true;
		await a.breaker.reset(origin);
		net.away = false;
		clock.advance(1_000);
		// Before: 'OPEN' (the reset lifted a's copy only; the fleet's isolation came back at the next sync).
		expect(await fleetOutcome(a.get(`${origin}/y`))).toBe('200');
		expect(coordinator.states.get(origin)?.record.state).toBe('closed');
		clock.advance(1_000);
		expect(await fleetOutcome(b.get(`${origin}/y`))).toBe('200');
		close();
	});
});

describe('breaker: a client extend() made shares its parent\'s breaker (same name and store), where no channel tells it', () => {
	it('in Node (no BroadcastChannel): the parent\'s opening fails the child\'s next call fast, and the parent\'s reset closes it for the child', async () => {
		let sent = 0;
		let down = true;
		const fetch = async (): Promise<Response> => {
			sent++;
			return new Response('', { status: down ? 503 : 200 });
		};
		const api = createClient({ clock: new ManualClock(), random: () => 0.5, retry: 0, fetch, store: memoryStore, name: 'hunt9-extend', breaker: breaker({ consecutiveFailures: 2, openMs: 60_000 }) });
		const admin = api.extend({ headers: { 'x-admin': '1' } });
		const events: string[] = [];
		admin.on('breaker:open', ({ reason }) => events.push(`open ${reason}`));
		admin.on('breaker:closed', ({ reason }) => events.push(`closed ${reason}`));
		down = false;
		expect(await fleetOutcome(admin.get(`${origin}/a`))).toBe('200'); // the child has read the scope's stored state (closed)
		down = true;
		expect(await fleetOutcome(api.get(`${origin}/a`))).toBe('503');
		expect(await fleetOutcome(api.get(`${origin}/a`))).toBe('503');
		expect(api.breaker(origin).state).toBe('open');
		const before = sent;
		// Before: '503' (the child kept its own closed state and sent the request to the dead origin).
		expect(await fleetOutcome(admin.get(`${origin}/a`))).toBe('OPEN');
		expect(sent).toBe(before);
		expect(admin.breaker(origin).state).toBe('open');
		down = false;
		await api.breaker.reset(origin);
		expect(admin.breaker(origin).state).toBe('closed');
		expect(await fleetOutcome(admin.get(`${origin}/a`))).toBe('200');
		expect(events).toEqual(['open shared', 'closed shared']);
		// The parent's clear() forgets an open breaker for the child too.
		down = true;
		await fleetOutcome(api.get(`${origin}/a`));
		await fleetOutcome(api.get(`${origin}/a`));
		expect(admin.breaker(origin).state).toBe('open');
		await api.clear();
		expect(admin.breaker(origin).state).toBe('closed');
		api.close();
		admin.close();
	});
	it('a client made by extend() per request and never closed is not kept alive by its parent\'s breaker (the peers are held weakly)', async () => {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const fetch = async (): Promise<Response> => new Response('', { status: 200 });
		const api = createClient({ retry: 0, fetch, store: memoryStore, name: 'hunt9-extend-weak', breaker: breaker() });
		// A server's habit: a client per request, never closed; each with a listener (what its breaker's context holds).
		const made = Array.from({ length: 20 }, (_, index) => {
			const listener = (): void => undefined;
			api.extend({ headers: { 'x-request': String(index) } }).on('breaker:open', listener);
			return new WeakRef(listener);
		});
		for (let round = 0; round < 5 && made.some((ref) => ref.deref()); round++) {
			await new Promise((resolve) => setTimeout(resolve, 10));
			gc();
		}

		expect(made.filter((ref) => ref.deref()).length).toBe(0);
		api.close();
	});
});

