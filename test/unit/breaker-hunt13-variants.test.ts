/** Variants of recovery a user can see (API.md "Reachability and recovery", the breaker's sharing), thirteenth round. */
import { describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { flush, memoryCoordinator, origin, sharedPages, t0, times, windowEachTest } from './breaker-kit.js';

const clients = windowEachTest();
const { page, openedAndClosed } = sharedPages(clients, 'hunt13');

describe('breaker: a reload after the stored open period ended (opened by network failures), with breaker.probe', () => {
	it('the first call waits for the probe it sends and gets fresh data', async () => {
		const { clock, open } = await openedAndClosed({ probe: '/health' });
		clock.advance(60_000); // the period (30 s) ended while the page was closed; the API is back
		const after = open({ probe: '/health' });
		expect(await after.call()).toBe('200'); // before: CIRCUIT_OPEN (the probe went behind the call)
		expect(after.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`, `${origin}/x`]);
		expect(after.snapshot().state).toBe('closed');
	});

	it('with a stale copy stored, the first call gets fresh data, not the copy', async () => {
		const { clock, open } = await openedAndClosed({ probe: '/health' }, { staleCache: { networkTimeoutMs: false } } as ClientOptions);
		clock.advance(60_000);
		const after = open({ probe: '/health' });
		const response = await after.api.get(`${origin}/x`);
		expect(response.headers.get('steadfetch-stale')).toBeNull(); // before: the copy, `detail=circuit-open`
		expect(after.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`, `${origin}/x`]);
	});

	it('a probe that fails: the call fails fast once it has failed (not while it is in flight), and the period doubles (a probe at the end of a period)', async () => {
		const { clock, open } = await openedAndClosed({ probe: '/health' });
		clock.advance(60_000);
		const after = open({ probe: '/health' });
		after.server.hang();
		let settled = false;
		const calling = after.call().finally(() => {
			settled = true;
		});
		await vi.waitFor(() => expect(after.server.pending).toHaveLength(1));
		await flush();
		expect(settled).toBe(false); // before: CIRCUIT_OPEN at once, the probe in flight
		after.server.settleAll(new TypeError('Failed to fetch'));
		expect(await calling).toBe('CIRCUIT_OPEN');
		// Re-opened for the next, doubled period (a probe at the end of a period, not an early one).
		expect(after.snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 60_000 + 60_000 });
		expect(after.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`]);
	});

	it('later calls (not the reload\'s first) fail fast while a probe at a period\'s end goes, as before', async () => {
		const { clock, open } = await openedAndClosed({ probe: '/health' });
		clock.advance(60_000);
		const after = open({ probe: '/health' });
		after.server.down();
		expect(await after.call()).toBe('CIRCUIT_OPEN');
		clock.advance(60_000);
		after.server.hang();
		expect(await after.call()).toBe('CIRCUIT_OPEN'); // at once: the probe hangs
		expect(after.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`, `${origin}/health`]);
	});
});

describe('breaker: the reason of a probe that never settled, where tabs share the probe (Web Locks)', () => {
	it('a caller\'s probe with `timeout: false` still unsettled at its limit (`maxOpenMs`) re-opens it with `probe-timeout`, as where no tab shares it', async () => {
		const { clock, open } = page({ timeout: false } as ClientOptions);
		const tab = open({ openMs: 100, maxOpenMs: 300 });
		tab.server.down();
		await times(5, async () => tab.call());
		expect(tab.snapshot().state).toBe('open');
		clock.advance(200); // past the period (100 ms): half-open
		tab.server.hang();
		tab.server.ignoreAbort = true;
		const stuck = tab.call();
		await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1)); // the probe, under the tabs' lock
		clock.advance(300); // its limit: `maxOpenMs`, `timeout` being false
		await vi.waitFor(() => expect(tab.events).toHaveLength(3), { timeout: 5_000 }); // the lock's own timer (300 ms, real time)
		expect(tab.events).toEqual(['open consecutive-failures', 'half-open open-elapsed', 'open probe-timeout']); // before: 'open probe-failed'
		tab.server.settleAll(new TypeError('late'));
		await stuck;
	});
});

describe('shared breaker: a probe answered with Retry-After (API.md: "never shorter than a Retry-After that opened it")', () => {
	it('the fleet re-opens for the Retry-After, and the isolate keeps it after its next sync', async () => {
		const clock = new ManualClock(t0);
		const coordinator = memoryCoordinator(clock);
		let answer = (): Response => new Response('', { status: 503 });
		const api = createClient({ clock, random: () => 0.5, retry: 0, staleCache: false, fetch: (async () => answer()) as typeof fetch, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 1_000, share: false }) });
		clients.push(api);
		const call = async (): Promise<string> => api.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
		expect(await call()).toBe('HTTPError');
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record).toMatchObject({ state: 'open', reopensAt: t0 + 1_000 }));
		clock.advance(1_000);
		answer = () => new Response('', { status: 503, headers: { 'retry-after': '120' } });
		expect(await call()).toBe('HTTPError'); // the fleet's probe: the origin asks for 2 minutes
		const now = clock.now();
		expect(api.breaker(origin)).toMatchObject({ state: 'open', reopensAt: now + 120_000 });
		await vi.waitFor(() => expect(coordinator.states.get(origin)?.record.openedAt).toBe(now));
		expect(coordinator.states.get(origin)?.record.reopensAt).toBe(now + 120_000); // before: now + 2 000 (doubled, the Retry-After dropped)
		clock.advance(2_000); // the next sync adopts the fleet's state
		answer = () => new Response('{}', { status: 200 });
		expect(await call()).toBe('CIRCUIT_OPEN'); // before: 200 (a probe 2 s after the origin asked for 2 minutes)
		expect(api.breaker(origin)).toMatchObject({ state: 'open', reopensAt: now + 120_000 });
	});
});
