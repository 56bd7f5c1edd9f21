/**
 * Defect hunt, thirty-first round (area: recovery — the breaker shared across tabs, its probe, health). API.md "One
 * vocabulary of failure" (`classify()` / `originFailed` decide: a steadfetch service worker's refusal is no answer of the
 * origin), "Recovery without waiting", "Reachability and recovery". Scripted transports on injected clocks.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { health } from '../../src/entries/health.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { origin, setup, sharedTabs, windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

/** A steadfetch service worker's answer for a call its own client refused (its breaker open): the origin was not asked. */
const refusal = (code = 'CIRCUIT_OPEN'): Response => new Response('{"code":"CIRCUIT_OPEN"}', { status: 503, headers: { 'content-type': 'application/json', 'steadfetch-error': code } });

describe('breaker.probe answered by a steadfetch service worker\'s refusal (503, Steadfetch-Error: CIRCUIT_OPEN)', () => {
	it('is no probe: the origin was not asked, the scope stays half-open and the next probe that gets through closes it', async () => {
		const { clock, server, events, call, state } = setup({ breaker: { consecutiveFailures: 1, probe: '/health' } });
		server.answer(503);
		expect(await call()).toBe('503');
		expect(state()).toBe('open');
		clock.advance(30_000);
		server.script = () => refusal();
		expect(await call()).toBe('CIRCUIT_OPEN'); // the probe goes instead of this call
		await vi.waitFor(() => expect(server.requests.map((request) => new URL(request.url).pathname)).toEqual(['/x', '/health']));
		// Before: 'open' with reason probe-failed (re-opened for a doubled period, 60 000 ms).
		await vi.waitFor(() => expect([state(), events.map((event) => event.reason)]).toEqual(['half-open', ['consecutive-failures', 'open-elapsed']]));
		server.up();
		expect(await call()).toBe('CIRCUIT_OPEN'); // the next probe goes now (the scope is half-open, its slot free)
		await vi.waitFor(() => expect(state()).toBe('closed'));
		expect(events.map((event) => event.reason)).toEqual(['consecutive-failures', 'open-elapsed', 'probe-succeeded']);
	});

	it('one whose Steadfetch-Error is NETWORK is a failed probe (the worker\'s attempt met the network\'s failure)', async () => {
		const { clock, server, events, call, state } = setup({ breaker: { consecutiveFailures: 1, probe: '/health' } });
		server.answer(503);
		expect(await call()).toBe('503');
		clock.advance(30_000);
		server.script = () => refusal('NETWORK');
		expect(await call()).toBe('CIRCUIT_OPEN');
		await vi.waitFor(() => expect(events.map((event) => event.reason)).toEqual(['consecutive-failures', 'open-elapsed', 'probe-failed']));
		expect(state()).toBe('open');
	});
});

describe('health() and a steadfetch service worker\'s refusal (503, Steadfetch-Error: CIRCUIT_OPEN)', () => {
	it('counts it as no call that reached the network (the worker\'s breaker refused it): no errorRate, no scope:unhealthy', async () => {
		const clock = new ManualClock();
		const api = createClient({ clock, fetch: (async () => refusal()) as typeof fetch, retry: 0, health: health() });
		const unhealthy: number[] = [];
		api.on('scope:unhealthy', (event) => unhealthy.push(event.calls));
		for (let index = 0; index < 10; index++) {
			await api.get(`${origin}/x`).catch(() => undefined);
			await api.get(`${origin}/x`, { throwHttpErrors: false });
		}

		// Before: errorRate 1 over 20 calls, and scope:unhealthy at the tenth.
		expect([api.stats()[origin]?.errorRate ?? 0, unhealthy]).toEqual([0, []]);
		api.close();
	});

	it('a retry the worker refused after the origin\'s own 503 counts as that 503 (the call\'s last real outcome)', async () => {
		const clock = new ManualClock();
		let sent = 0;
		const api = createClient({ clock, fetch: (async () => (sent++ % 2 ? refusal() : new Response('{}', { status: 503 }))) as typeof fetch, retry: { limit: 1, delay: () => 0 }, retryBudget: false, health: health() });
		await api.get(`${origin}/x`).catch(() => undefined);
		expect([sent, api.stats()[origin]?.errorRate, api.stats()[origin]?.topErrors]).toEqual([2, 1, [{ code: 'HTTP_5XX', count: 1 }]]);
		api.close();
	});
});

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
const tabsOf = sharedTabs(clients, 'h31-tabs');

/** What a browser fires at a page restored from the back/forward cache (its BroadcastChannel got nothing meanwhile). */
const restoredFromBfcache = (): void => {
	win.dispatch(Object.assign(new Event('pageshow'), { persisted: true }));
	win.document.dispatchEvent(new Event('visibilitychange'));
};

describe('breaker across tabs: a page restored from the back/forward cache, that missed the other tabs\' messages meanwhile', () => {
	it('takes the closed state stored meanwhile (another tab\'s reset): its next call goes out', async () => {
		const { open, clock, store } = tabsOf();
		const a = open({ consecutiveFailures: 1 });
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		expect(a.api.breaker(origin).state).toBe('open');
		// The page goes into the bfcache; 10 s later a tab still running resets the scope (its record stored, its message missed).
		clock.advance(10_000);
		const stored = await store.get(origin) as { at: number };
		await store.set(origin, { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: stored.at + 10_000 });
		clock.advance(1_000);
		a.server.up();
		restoredFromBfcache();
		// Before: 'open' for the 19 s left of its period (opened on a 503: no trigger turns it half-open), its calls CIRCUIT_OPEN.
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		expect([await a.call(), a.events]).toEqual(['200', ['breaker:open consecutive-failures', 'breaker:closed shared']]);
	});

	it('takes the open state stored meanwhile (another tab\'s opening): its next call fails fast', async () => {
		const { open, clock, store } = tabsOf();
		const a = open();
		a.server.up();
		expect(await a.call()).toBe('200');
		clock.advance(1_000);
		await store.set(origin, { v: 2, scope: origin, state: 'open', openedAt: clock.now(), reopensAt: clock.now() + 30_000, opens: 1, at: clock.now() });
		clock.advance(1_000);
		a.server.answer(503);
		restoredFromBfcache();
		// Before: 'closed', and its calls went to the failing origin until its own 5 failures opened it.
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		expect([await a.call(), a.server.requests.length]).toEqual(['CIRCUIT_OPEN', 1]);
	});
});

describe('reachability behind a steadfetch service worker (its 503/504 with Steadfetch-Error NETWORK or TIMEOUT: no answer of the origin)', () => {
	it('two such answers in a row make the scope unreachable; the worker\'s refusal (CIRCUIT_OPEN) makes it reachable no more', async () => {
		let next: () => Response = () => refusal('NETWORK');
		const api = createClient({ fetch: (async () => next()) as typeof fetch, retry: 0, breaker: false, staleCache: false });
		const states: string[] = [];
		await api.get(`${origin}/x`).catch(() => undefined);
		next = () => new Response('{}', { status: 504, headers: { 'steadfetch-error': 'TIMEOUT' } });
		await api.get(`${origin}/x`).catch(() => undefined);
		states.push(api.reachability(origin));
		next = () => refusal();
		await api.get(`${origin}/x`).catch(() => undefined);
		states.push(api.reachability(origin));
		next = () => new Response('{}', { status: 200 });
		await api.get(`${origin}/x`);
		states.push(api.reachability(origin));
		// Before: ['reachable', 'reachable', 'reachable'] (any HTTP answer, the worker's own too, was the origin's).
		expect(states).toEqual(['unreachable', 'unreachable', 'reachable']);
		api.close();
	});
});

describe('breaker behind a steadfetch service worker: opened on its 503 with Steadfetch-Error NETWORK (its attempts got no answer)', () => {
	it('is an opening without an HTTP answer: `online` turns it half-open at once, as for the network failures themselves', async () => {
		const { server, events, call, state } = setup({ breaker: { consecutiveFailures: 1 } });
		server.script = () => refusal('NETWORK');
		expect(await call()).toBe('503');
		expect(state()).toBe('open');
		win.setOnline(true);
		// Before: 'open' for its whole period (taken for an opening on the origin's 503s, which no trigger cuts short).
		expect([state(), events.map((event) => event.reason)]).toEqual(['half-open', ['consecutive-failures', 'online']]);
	});
});
