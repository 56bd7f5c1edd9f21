/** Variants of recovery a user can see (API.md "Reachability and recovery", the breaker's sharing), tenth round. */
import { describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient, memoryStore } from '../../src/entries/core.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fleetOutcome, memoryCoordinator } from './breaker-kit.js';

const origin = 'https://hunt10.example';

/** An origin answering `status` (503 first), whose requests can be held (`hold`) until `release`. */
const scriptedOrigin = () => {
	const held: Array<(response: Response) => void> = [];
	const server = {
		status: 503,
		hold: false,
		sent: 0,
		held,
		fetch: async (): Promise<Response> => {
			server.sent++;
			return server.hold ? new Promise<Response>((resolve) => held.push(resolve)) : new Response('', { status: server.status });
		},
		release: (status: number) => {
			for (const resolve of held.splice(0)) {
				resolve(new Response('', { status }));
			}
		},
	};
	return server;
};

describe('breaker: a client extend() made counts with its parent (same name and store), where no channel tells them (Node, Deno, Workers)', () => {
	it('3 failures through the parent and 2 through the child are 5 in a row: open for both, the next call of each fails fast', async () => {
		const server = scriptedOrigin();
		const api = createClient({ clock: new ManualClock(), random: () => 0.5, retry: 0, fetch: server.fetch, store: memoryStore, name: 'hunt10-extend-counts', breaker: breaker({ consecutiveFailures: 5, openMs: 60_000 }) });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		for (const client of [api, api, api, child, child]) {
			expect(await fleetOutcome(client.get(`${origin}/a`))).toBe('503');
		}

		// Before: [closed 3, closed 2] (each counted only the failures it saw itself).
		expect([api.breaker(origin).state, api.breaker(origin).consecutiveFailures, child.breaker(origin).state, child.breaker(origin).consecutiveFailures]).toEqual(['open', 5, 'open', 5]);
		const before = server.sent;
		expect([await fleetOutcome(api.get(`${origin}/a`)), await fleetOutcome(child.get(`${origin}/a`))]).toEqual(['OPEN', 'OPEN']);
		expect(server.sent).toBe(before);
		api.close();
		child.close();
	});

	it('a success through the child ends the parent\'s failures in a row too', async () => {
		const server = scriptedOrigin();
		const api = createClient({ clock: new ManualClock(), random: () => 0.5, retry: 0, fetch: server.fetch, store: memoryStore, name: 'hunt10-extend-success', breaker: breaker({ consecutiveFailures: 3, openMs: 60_000 }) });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		await fleetOutcome(api.get(`${origin}/a`));
		await fleetOutcome(api.get(`${origin}/a`));
		server.status = 200;
		await fleetOutcome(child.get(`${origin}/a`));
		server.status = 503;
		await fleetOutcome(api.get(`${origin}/a`));
		// Before: open (2 + 1 in a row through the parent, the child's success unheard).
		expect(api.breaker(origin)).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
		api.close();
		child.close();
	});
});

describe('breaker: one half-open probe for a client and the clients extend() made of it (same name and store), with no channel or Web Lock', () => {
	it('while the parent\'s probe is in flight, the child\'s call fails fast (no second request to the origin), and the probe\'s success closes both', async () => {
		const clock = new ManualClock();
		const server = scriptedOrigin();
		const api = createClient({ clock, random: () => 0.5, retry: 0, fetch: server.fetch, store: memoryStore, name: 'hunt10-extend-probe', breaker: breaker({ consecutiveFailures: 1, openMs: 1_000 }) });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		server.status = 200;
		expect(await fleetOutcome(child.get(`${origin}/a`))).toBe('200'); // the child has read the scope's stored state
		server.status = 503;
		expect(await fleetOutcome(api.get(`${origin}/a`))).toBe('503');
		expect(child.breaker(origin).state).toBe('open');
		clock.advance(1_000);
		server.hold = true;
		const sent = server.sent;
		const probe = fleetOutcome(api.get(`${origin}/a`));
		await new Promise((resolve) => setTimeout(resolve, 0));
		// Before: the child's call went out as a second probe (sent + 2; its answer held too).
		const second = child.get(`${origin}/a`);
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(server.sent).toBe(sent + 1);
		server.release(200);
		expect(await probe).toBe('200');
		server.hold = false;
		server.release(200);
		expect(await fleetOutcome(second)).toBe('OPEN');
		expect([api.breaker(origin).state, child.breaker(origin).state]).toEqual(['closed', 'closed']);
		api.close();
		child.close();
	});

	it('a peer\'s probe that never settles holds the slot only until its limit: it counts as failed then, and the next period\'s probe goes from the child and closes both', async () => {
		const clock = new ManualClock();
		const server = scriptedOrigin();
		const api = createClient({ clock, random: () => 0.5, retry: 0, timeout: 5_000, fetch: server.fetch, store: memoryStore, name: 'hunt10-extend-lost', breaker: breaker({ consecutiveFailures: 1, openMs: 1_000 }) });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		server.status = 200;
		await fleetOutcome(child.get(`${origin}/a`));
		server.status = 503;
		await fleetOutcome(api.get(`${origin}/a`));
		clock.advance(1_000);
		server.hold = true;
		void api.get(`${origin}/a`, { timeout: false, totalTimeout: false }).catch(() => undefined); // the probe, held for good
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(await fleetOutcome(child.get(`${origin}/a`))).toBe('OPEN');
		clock.advance(300_000); // past the lost probe's limit (maxOpenMs: its call has no timeout)
		expect(await fleetOutcome(child.get(`${origin}/a`))).toBe('OPEN'); // it counted as failed now: a new (doubled) period
		expect(child.breaker(origin).state).toBe('open');
		clock.advance(2_400);
		server.hold = false;
		server.status = 200;
		expect(await fleetOutcome(child.get(`${origin}/a`))).toBe('200');
		expect([api.breaker(origin).state, child.breaker(origin).state]).toEqual(['closed', 'closed']);
		api.close();
		child.close();
	});
});

describe('shared breaker: an isolate refused the fleet\'s probe (another isolate holds it) fails fast', () => {
	it('its calls within sharedCacheMs of the refusal fail fast without asking the coordinator again (one ask, not one per call); after it, it asks again', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const server = scriptedOrigin();
		const make = () => createClient({ clock, random: () => 0.5, retry: 0, fetch: server.fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 5_000, sharedCacheMs: 1_000, share: false }) });
		const [a, b] = [make(), make()];
		expect(await fleetOutcome(a.get(`${origin}/x`))).toBe('503');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.state).toBe('open'));
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('OPEN'); // b knows the fleet's open period
		clock.advance(5_000);
		server.hold = true;
		const probe = fleetOutcome(a.get(`${origin}/x`)); // a holds the fleet's probe
		await vi.waitFor(() => expect(server.sent).toBe(2));
		const asked = coordinator.asks;
		const seen: string[] = [];
		for (let call = 0; call < 5; call++) {
			clock.advance(100);
			seen.push(await fleetOutcome(b.get(`${origin}/x`)));
		}

		// Before: 5 asks (each call after a refusal asked the coordinator for the probe again, and waited for its answer).
		expect([seen, coordinator.asks - asked]).toEqual([['OPEN', 'OPEN', 'OPEN', 'OPEN', 'OPEN'], 1]);
		clock.advance(1_000);
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('OPEN');
		expect(coordinator.asks - asked).toBe(2); // sharedCacheMs later: asked again (refused again: cached from then)
		clock.advance(100);
		expect(await fleetOutcome(b.get(`${origin}/x`))).toBe('OPEN');
		expect(coordinator.asks - asked).toBe(2);
		server.release(200);
		expect(await probe).toBe('200');
		expect(server.sent).toBe(2);
		a.close();
		b.close();
	});
});
