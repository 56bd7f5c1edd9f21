/**
 * A change of a breaker's state is written behind the call that caused it, through that call's own
 * `waitUntil` (issue 34: handed down as a parameter, not a field set around the calls). In a Worker
 * a write with no `waitUntil` is dropped (`storage:error`), so a lost hand-over shows.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin } from './breaker-kit.js';

const t0 = 1_700_000_000_000;

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('breaker writes go to the waitUntil of the call that changed the state', () => {
	it('the call that opens it, the probe that closes it, and the first call after a probe timed out', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' }); // I/O ends with its request: no background work without waitUntil
		const clock = new ManualClock(t0);
		const store = memoryStore('breaker-wait-until');
		const server = new FakeOrigin();
		const errors: unknown[] = [];
		const api = createClient({ clock, random: () => 0.5, name: 'breaker-wait-until', store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false,
			timeout: 30_000, breaker: { share: true, consecutiveFailures: 2, openMs: 1_000 } }); // a probe times out with the attempt timeout
		api.on('storage:error', (event) => errors.push(event));
		const call = async () => {
			const handed: Array<Promise<unknown>> = [];
			await api.get(`${origin}/x`, { waitUntil: (promise) => handed.push(promise) }).catch(() => undefined);
			await Promise.all(handed);
			return { handed: handed.length, stored: await store.get(origin) as { state: string } | undefined };
		};

		server.script = () => new Response('down', { status: 503 });
		expect((await call()).handed).toBe(0); // one failure: no change, nothing written
		expect(await call()).toMatchObject({ handed: 1, stored: { state: 'open' } }); // the second opens it

		clock.advance(1_000);
		server.script = () => new Response('{}', { status: 200 });
		expect(await call()).toMatchObject({ handed: 1, stored: { state: 'closed' } }); // the probe closes it

		server.script = () => new Response('down', { status: 503 });
		await call();
		expect(await call()).toMatchObject({ stored: { state: 'open' } });
		clock.advance(1_000);
		server.script = () => 'hang';
		const probe = api.get(`${origin}/x`, { waitUntil: () => undefined }).catch(() => undefined); // the probe hangs past the attempt timeout (the manual clock: ky's timer does not fire)
		await vi.waitFor(() => expect(server.pending).toHaveLength(1));
		clock.advance(30_000);
		const after = await call(); // admitting it finds the probe expired: reopened, written through this call's waitUntil
		expect(after.stored).toMatchObject({ state: 'open', openedAt: t0 + 32_000 });
		expect(after.handed).toBeGreaterThanOrEqual(1);
		expect(errors).toEqual([]);
		server.pending[0]?.reject(new Error('gone'));
		await probe;
		api.close();
	});
});
