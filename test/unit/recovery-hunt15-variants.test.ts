/** Variants of recovery and Workers limits (API.md "Reachability and recovery", "Request contexts"), fifteenth round. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, flush, memoryCoordinator, origin, probeFails, pagesEachDescribe, t0, times } from './breaker-kit.js';

const { now, inPage, triggers } = pagesEachDescribe('hunt15');
const probes = [
	{ how: 'the first call is the probe', breakerOptions: {}, first: [] as string[] },
	{ how: 'with breaker.probe', breakerOptions: { probe: '/health' }, first: [`${origin}/health`] },
];

/** Two tabs of a page whose shared breaker opened on the first's network failures (5 in a row): both know it. */
const twoTabsOpened = async (breakerOptions: object) => {
	const made = now.page();
	const one = made.open(breakerOptions);
	const two = made.open(breakerOptions);
	one.server.down();
	await times(5, async () => one.call());
	await vi.waitFor(() => expect(two.snapshot().state).toBe('open'));
	return { made, one, two };
};

/** A tab whose breaker opened on network failures (5 in a row), `advance` ms later. */
const openedTab = async (breakerOptions: object, advance: number) => {
	const made = now.page();
	const tab = made.open(breakerOptions);
	tab.server.down();
	await times(5, async () => tab.call());
	expect(tab.snapshot().state).toBe('open');
	made.clock.advance(advance);
	return tab;
};

describe('breaker: calls of the tab that got a recovery trigger wait for its early probe', () => {
	inPage();
	for (const { trigger, fire } of triggers) {
		for (const { how, breakerOptions, first } of probes) {
			it(`${trigger}, ${how}: calls made while the probe is in flight get fresh data`, async () => {
				const tab = await openedTab(breakerOptions, 10_000);
				tab.server.hang();
				fire();
				const calls = [tab.call(), tab.call(), tab.call()];
				await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1)); // the probe (one)
				await flush();
				tab.server.up();
				tab.server.settleAll(new Response('{}', { status: 200 }));
				expect(await Promise.all(calls)).toEqual(['200', '200', '200']); // before: CIRCUIT_OPEN for the calls behind the probe
				expect(tab.server.requests.slice(5, 5 + first.length + 1).map(({ url }) => url)).toEqual([...first, `${origin}/x`]);
				expect(tab.snapshot().state).toBe('closed');
			});

			it(`${trigger}, ${how}: a probe that fails fails the waiting calls fast once it has failed`, async () => {
				const tab = await openedTab(breakerOptions, 10_000);
				tab.server.hang();
				fire();
				const results = await probeFails(tab);
				expect(results.slice(1)).toEqual(['CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
				expect(tab.server.requests).toHaveLength(6); // nobody went out after the failed probe
				expect(tab.snapshot().state).toBe('open');
			});
		}

		it(`${trigger} with breaker.probe after the open period ended: calls made while its probe is in flight get fresh data`, async () => {
			const tab = await openedTab({ probe: '/health' }, 60_000);
			tab.server.hang();
			fire();
			await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1)); // the trigger's probe
			const calls = [tab.call(), tab.call()];
			await flush();
			tab.server.up();
			tab.server.settleAll(new Response('{}', { status: 200 }));
			expect(await Promise.all(calls)).toEqual(['200', '200']); // before: ['CIRCUIT_OPEN', 'CIRCUIT_OPEN']
			expect(tab.server.requests.slice(5).map(({ url }) => url)).toEqual([`${origin}/health`, `${origin}/x`, `${origin}/x`]);
		});
	}

	it('a breaker opened on HTTP answers keeps its period: calls still fail fast, no probe', async () => {
		const made = now.page();
		const tab = made.open({ probe: '/health' });
		tab.server.script = () => new Response('{}', { status: 503 });
		await times(5, async () => tab.call());
		made.clock.advance(10_000);
		tab.server.hang();
		now.win.setOnline(true);
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		expect(tab.server.requests).toHaveLength(5);
	});
});

describe('breaker: the other tabs, which got the same trigger, still fail fast while one tab probes', () => {
	inPage();
	for (const { how, breakerOptions } of probes) {
		it(`${how}: the tab that did not take the probe answers CIRCUIT_OPEN while it is in flight; the closing reaches it`, async () => {
			const { made, one, two } = await twoTabsOpened(breakerOptions);
			made.clock.advance(10_000);
			one.server.hang();
			two.server.hang();
			now.win.setOnline(true);
			// Calls of both tabs made with the trigger, before either knows which took the probe.
			const first = [one.call(), two.call()];
			await vi.waitFor(() => expect(one.server.pending.length + two.server.pending.length).toBe(1)); // one probe across the tabs
			const [prober, other] = one.server.pending.length ? [one, two] : [two, one];
			const [proberFirst, otherFirst] = one === prober ? first : [first[1]!, first[0]!];
			expect(await otherFirst).toBe('CIRCUIT_OPEN'); // at once: it does not wait for the other tab's probe
			expect(await other.call()).toBe('CIRCUIT_OPEN');
			prober.server.up();
			prober.server.settleAll(new Response('{}', { status: 200 }));
			expect(await proberFirst).toBe('200');
			await vi.waitFor(() => expect(other.snapshot().state).toBe('closed'));
			other.server.up();
			expect(await other.call()).toBe('200');
			expect(other.server.requests).toHaveLength(1);
		});
	}
});

describe('breaker({ shared }): a coordinator sync started before clear() adopts nothing after it', () => {
	const made: Array<{ close(): void }> = [];
	afterEach(() => {
		for (const client of made.splice(0)) {
			client.close();
		}
	});

	/** The fleet open on network failures (another isolate's), and an isolate whose syncs wait for `release()`. */
	const fleetOpen = async () => {
		const clock = new ManualClock(t0);
		const fleet = memoryCoordinator(clock);
		const other = new FakeOrigin();
		other.down();
		const tripper = createClient({ clock, random: () => 0.5, name: 'hunt15-fleet', fetch: other.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { shared: fleet, openMs: 30_000 } });
		made.push(tripper);
		await times(5, async () => tripper.get(`${origin}/x`).then(() => 'ok', () => 'failed'));
		await vi.waitFor(() => expect(fleet.states.get(origin)?.record.state).toBe('open'));
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const held = sharedCoordinator(async (scope, message) => {
			await gate;
			return fleet.sync(scope, message);
		});
		const store = memoryStore('hunt15-fleet-isolate');
		const server = new FakeOrigin();
		const api = createClient({ clock, random: () => 0.5, name: 'hunt15-fleet', store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { shared: held, openMs: 30_000 } });
		made.push(api);
		return { api, store, server, release, clock };
	};

	it('the fleet\'s open state its answer brings is neither stored nor taken by the isolate once clear() resolved', async () => {
		const { api, store, server, release } = await fleetOpen();
		const call = api.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: string }) => error.code);
		await flush(); // the call's sync is in flight
		await api.clear();
		release();
		await call;
		await flush();
		await flush();
		// Before: { state: 'open', … }, written by the sync after the clear: a reload revived what it removed.
		expect(await store.get(origin)).toBeUndefined();
		expect(api.breaker(origin).state).toBe('closed');
		expect(server.requests.length).toBeLessThanOrEqual(1);
	});

	it('a failure\'s report in flight at clear(): the fleet it opened is neither stored nor taken', async () => {
		const clock = new ManualClock(t0);
		const fleet = memoryCoordinator(clock);
		let gate: Promise<void> | undefined;
		let release = (): void => undefined;
		const held = sharedCoordinator(async (scope, message) => {
			await gate;
			return fleet.sync(scope, message);
		});
		const store = memoryStore('hunt15-fleet-report');
		const server = new FakeOrigin();
		server.down();
		// The sync of the second call's failure is held: the gate shuts as its request goes out (a call made before a clear()
		// that waited no longer goes out after it: auth-hunt27-variants.test.ts).
		let holding = false;
		const fetch = async (request: Request): Promise<Response> => {
			if (holding) {
				gate = new Promise<void>((resolve) => {
					release = resolve;
				});
			}

			return server.fetch(request);
		};

		const api = createClient({ clock, random: () => 0.5, name: 'hunt15-report', store: () => store, fetch: fetch as typeof globalThis.fetch, retry: 0, staleCache: false, breaker: { shared: held, openMs: 30_000, consecutiveFailures: 2 } });
		made.push(api);
		expect(await api.get(`${origin}/x`).then(() => 'ok', (error: Error) => error.name)).toBe('NetworkError');
		await vi.waitFor(() => expect(fleet.states.get(origin)?.consecutive).toBe(1));
		const syncs = fleet.syncs;
		holding = true;
		clock.advance(2_000); // past sharedCacheMs: the call syncs first, its failure is reported behind it (held)
		await api.get(`${origin}/x`).catch(() => undefined);
		await flush();
		await api.clear();
		release();
		await vi.waitFor(() => expect(fleet.states.get(origin)?.record.state).toBe('open')); // the fleet opened
		await vi.waitFor(() => expect(fleet.syncs).toBeGreaterThanOrEqual(syncs + 1));
		await flush();
		await flush();
		expect(await store.get(origin)).toBeUndefined(); // before: the fleet's open state, stored after the clear
		expect(api.breaker(origin).state).toBe('closed');
	});

	it('a sync started after clear() still adopts and stores the fleet\'s state', async () => {
		const { api, store, release } = await fleetOpen();
		await api.clear();
		release();
		expect(await api.get(`${origin}/x`).then(() => 'ok', (error: { code?: string }) => error.code)).toBe('CIRCUIT_OPEN');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		expect(api.breaker(origin).state).toBe('open');
	});
});

describe('breaker: one probe per recovery trigger across tabs, also when the open period had ended', () => {
	inPage();

	for (const { trigger, fire } of triggers) {
		for (const { how, breakerOptions } of probes) {
			it(`${trigger}, ${how}: a tab that handles the trigger after the probe it let through in another tab failed does not probe again`, async () => {
				const { made, one, two } = await twoTabsOpened(breakerOptions);
				two.server.down();
				made.clock.advance(60_000); // the open period (30 s) is over: half-open, nobody called
				fire();
				if (how === 'the first call is the probe') {
					expect(await one.call()).toBe('NetworkError'); // the probe
				}

				await vi.waitFor(() => expect(one.server.requests.length + two.server.requests.length).toBe(6)); // 5 + the probe
				await vi.waitFor(() => expect([one.snapshot().state, two.snapshot().state]).toEqual(['open', 'open'])); // it failed
				const prober = one.server.requests.length > 5 ? one : two;
				const other = prober === one ? two : one;
				const sent = other.server.requests.length;
				prober.api.close();
				// The same `online` as the other tab handles it, ms later (that tab alone here: the prober has gone).
				made.clock.advance(50);
				fire();
				await flush();
				expect(other.snapshot().state).toBe('open'); // before: half-open again
				expect(await other.call()).toBe('CIRCUIT_OPEN'); // before: a second probe of an origin just found down
				await flush();
				expect(other.server.requests.length).toBe(sent);
				expect(other.events.filter((event) => event === `half-open ${trigger}`)).toEqual([]);
			});
		}
	}
});
