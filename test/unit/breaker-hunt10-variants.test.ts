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
