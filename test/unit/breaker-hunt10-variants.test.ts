/** Variants of recovery a user can see (API.md "Reachability and recovery", the breaker's sharing), tenth round. */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { CircuitOpenError, createClient, memoryStore } from '../../src/entries/core.js';
import { ManualClock } from '../helpers/manual-clock.js';

const origin = 'https://hunt10.example';

const outcome = async (promise: Promise<Response>): Promise<string> =>
	promise.then((response) => String(response.status), (error: unknown) => (error instanceof CircuitOpenError ? 'OPEN' : String((error as { response?: Response }).response?.status ?? (error as Error).name)));

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
			expect(await outcome(client.get(`${origin}/a`))).toBe('503');
		}

		// Before: [closed 3, closed 2] (each counted only the failures it saw itself).
		expect([api.breaker(origin).state, api.breaker(origin).consecutiveFailures, child.breaker(origin).state, child.breaker(origin).consecutiveFailures]).toEqual(['open', 5, 'open', 5]);
		const before = server.sent;
		expect([await outcome(api.get(`${origin}/a`)), await outcome(child.get(`${origin}/a`))]).toEqual(['OPEN', 'OPEN']);
		expect(server.sent).toBe(before);
		api.close();
		child.close();
	});

	it('a success through the child ends the parent\'s failures in a row too', async () => {
		const server = scriptedOrigin();
		const api = createClient({ clock: new ManualClock(), random: () => 0.5, retry: 0, fetch: server.fetch, store: memoryStore, name: 'hunt10-extend-success', breaker: breaker({ consecutiveFailures: 3, openMs: 60_000 }) });
		const child = api.extend({ headers: { 'x-tenant': 'a' } });
		await outcome(api.get(`${origin}/a`));
		await outcome(api.get(`${origin}/a`));
		server.status = 200;
		await outcome(child.get(`${origin}/a`));
		server.status = 503;
		await outcome(api.get(`${origin}/a`));
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
		expect(await outcome(child.get(`${origin}/a`))).toBe('200'); // the child has read the scope's stored state
		server.status = 503;
		expect(await outcome(api.get(`${origin}/a`))).toBe('503');
		expect(child.breaker(origin).state).toBe('open');
		clock.advance(1_000);
		server.hold = true;
		const sent = server.sent;
		const probe = outcome(api.get(`${origin}/a`));
		await new Promise((resolve) => setTimeout(resolve, 0));
		// Before: the child's call went out as a second probe (sent + 2; its answer held too).
		const second = child.get(`${origin}/a`);
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(server.sent).toBe(sent + 1);
		server.release(200);
		expect(await probe).toBe('200');
		server.hold = false;
		server.release(200);
		expect(await outcome(second)).toBe('OPEN');
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
		await outcome(child.get(`${origin}/a`));
		server.status = 503;
		await outcome(api.get(`${origin}/a`));
		clock.advance(1_000);
		server.hold = true;
		void api.get(`${origin}/a`, { timeout: false, totalTimeout: false }).catch(() => undefined); // the probe, held for good
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(await outcome(child.get(`${origin}/a`))).toBe('OPEN');
		clock.advance(300_000); // past the lost probe's limit (maxOpenMs: its call has no timeout)
		expect(await outcome(child.get(`${origin}/a`))).toBe('OPEN'); // it counted as failed now: a new (doubled) period
		expect(child.breaker(origin).state).toBe('open');
		clock.advance(2_400);
		server.hold = false;
		server.status = 200;
		expect(await outcome(child.get(`${origin}/a`))).toBe('200');
		expect([api.breaker(origin).state, child.breaker(origin).state]).toEqual(['closed', 'closed']);
		api.close();
		child.close();
	});
});
