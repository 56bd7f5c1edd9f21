/**
 * Recovery without waiting, and no herd (API.md "Reachability and recovery"): a breaker open because
 * of network failures or timeouts turns half-open at once on `online`, on a page becoming visible and
 * when a client starts and finds that open state in storage; one open on HTTP answers keeps its
 * period; an early probe that fails re-opens for the period that was running (not doubled), one at
 * the end of a period doubles; each open period is jittered within ±20 %. Exact
 * times on an injected clock and random source; `window` and `document` faked (Node has neither).
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { breaker } from '../../src/breaker/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, flush, origin, sharedPages, t0, times, windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

let win: FakeWindow;
const clients = windowEachTest((fake) => {
	win = fake;
});
const { page } = sharedPages(clients, 'recovery');

/** Open a tab's breaker: five failures of `kind` (network failures, or 503 answers). */
const trip = async (tab: ReturnType<ReturnType<typeof page>['open']>, kind: 'down' | 503) => {
	if (kind === 'down') {
		tab.server.down();
	} else {
		tab.server.answer(503);
	}

	await times(5, async () => tab.call());
	await flush();
	expect(tab.snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 30_000 });
};

describe('breaker: recovery without waiting', () => {
	it('open on network failures: `online` turns it half-open at once; the next call is the probe and closes it', async () => {
		const { clock, open } = page();
		const tab = open();
		await trip(tab, 'down');
		clock.advance(1_000);
		tab.server.up();
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		win.setOnline(true);
		expect(tab.snapshot()).toMatchObject({ state: 'half-open' });
		expect(await tab.call()).toBe('200'); // before: CIRCUIT_OPEN for 29 s more
		expect(tab.snapshot().state).toBe('closed');
		expect(tab.events).toEqual(['open consecutive-failures', 'half-open online', 'closed probe-succeeded']);
		expect(tab.server.requests).toHaveLength(6);
	});

	it('a page that becomes visible again does the same; one that is hidden does not', async () => {
		const { clock, open } = page();
		const tab = open();
		await trip(tab, 'down');
		clock.advance(1_000);
		win.document.visibilityState = 'hidden';
		win.document.dispatchEvent(new Event('visibilitychange'));
		expect(tab.snapshot().state).toBe('open');
		win.document.visibilityState = 'visible';
		win.document.dispatchEvent(new Event('visibilitychange'));
		expect(tab.snapshot().state).toBe('half-open');
		expect(tab.events.at(-1)).toBe('half-open visible');
	});

	it('a timeout opens it as unanswered too', async () => {
		const { clock, open } = page({ timeout: 20 });
		const tab = open({ consecutiveFailures: 2 });
		tab.server.hang();
		await times(2, async () => tab.call());
		await flush();
		expect(tab.snapshot().state).toBe('open');
		clock.advance(1_000);
		win.setOnline(true);
		expect(tab.snapshot().state).toBe('half-open');
	});

	it('a reload finds the open state in storage: half-open at once, its first call is the probe', async () => {
		const { clock, store, open } = page();
		const before = open();
		await trip(before, 'down');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', unanswered: true }));
		before.api.close();
		clock.advance(2_000);
		const after = open(); // the reloaded page: the API is back
		expect(await after.call()).toBe('200'); // before: CIRCUIT_OPEN until t0 + 30 s
		expect(after.server.requests).toHaveLength(1);
		expect(after.events).toEqual(['open restored', 'half-open restored', 'closed probe-succeeded']);
	});

	it('not extend(): a client extended from a page\'s client, of the same name and store, finds the open state as that page knows it (no early probe)', async () => {
		const { clock, open } = page();
		const tab = open();
		await trip(tab, 'down');
		clock.advance(2_000);
		const child = tab.api.extend({ headers: { 'x-child': '1' } });
		clients.push(child);
		const result = await child.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: unknown }) => error.code);
		expect([result, tab.server.requests.length]).toEqual(['CIRCUIT_OPEN', 5]);
		expect(child.breaker(origin)).toMatchObject({ state: 'open', reopensAt: t0 + 30_000 });
	});

	it('not a server runtime (no document): a client that starts and finds the open state in storage keeps its period', async () => {
		const { clock, open } = page();
		const before = open();
		await trip(before, 'down');
		before.api.close();
		clock.advance(2_000);
		const g = globalThis as { document?: unknown };
		const { document } = g;
		delete g.document;
		try {
			const after = open();
			expect([await after.call(), after.server.requests.length]).toEqual(['CIRCUIT_OPEN', 0]);
			expect(after.snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 30_000 });
		} finally {
			g.document = document;
		}
	});

	it('an early probe that fails re-opens for the period that was running (30 s from now, re-jittered, not doubled); a probe at the end of a period doubles as usual', async () => {
		const draws = [0.5];
		const { clock, open } = page({ random: () => draws.shift() ?? 0.5 });
		const tab = open();
		await trip(tab, 'down');
		clock.advance(1_000);
		win.setOnline(true);
		draws.push(0); // the re-opened period's jitter: 0.8 × 30 s
		expect(await tab.call()).toBe('NetworkError'); // the early probe: still down
		expect(tab.snapshot()).toMatchObject({ state: 'open', openedAt: clock.now(), reopensAt: clock.now() + 24_000 }); // before: 60 s
		expect(tab.events.slice(-2)).toEqual(['half-open online', 'open probe-failed']);
		// Again and again (visible, online): never longer.
		for (let round = 0; round < 3; round++) {
			clock.advance(1_000);
			win.document.dispatchEvent(new Event('visibilitychange'));
			expect(await tab.call()).toBe('NetworkError');
			expect(tab.snapshot()).toMatchObject({ state: 'open', reopensAt: clock.now() + 30_000 });
		}

		// The end of the period: that probe doubles (60 s), and an early one after it keeps 60 s.
		clock.advance(30_000);
		expect(await tab.call()).toBe('NetworkError');
		expect(tab.snapshot()).toMatchObject({ state: 'open', reopensAt: clock.now() + 60_000 });
		clock.advance(1_000);
		win.setOnline(true);
		expect(await tab.call()).toBe('NetworkError');
		expect(tab.snapshot()).toMatchObject({ state: 'open', reopensAt: clock.now() + 60_000 });
		expect(tab.server.requests).toHaveLength(5 + 6);
	});

	it('reloads that each find the open state and probe early do not stretch it: 3 reloads, 30 s each time, stored so', async () => {
		const { clock, store, open } = page();
		let tab = open();
		await trip(tab, 'down');
		for (let reload = 0; reload < 3; reload++) {
			tab.api.close();
			clock.advance(2_000);
			tab = open();
			tab.server.down(); // still down
			expect(await tab.call()).toBe('NetworkError'); // the reload's early probe
			expect(tab.events).toEqual(['open restored', 'half-open restored', 'open probe-failed']);
			const now = clock.now();
			await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', openedAt: now, reopensAt: now + 30_000, opens: 1 }));
		}
	});

	it('only a breaker open on network failures recovers early: one open on HTTP answers keeps its period on `online`, visible and a reload; an isolated one stays open', async () => {
		const { clock, store, open } = page();
		const tab = open();
		const other = 'https://other.test';
		await trip(tab, 503);
		tab.server.script = (request) => new URL(request.url).origin === other ? new TypeError('Failed to fetch') : new Response('{}', { status: 503 });
		await times(5, async () => tab.api.get(`${other}/x`).then(() => 'ok', () => 'failed')); // another scope, down
		await tab.api.breaker.isolate('https://isolated.test');
		clock.advance(1_000);
		tab.server.up();
		win.setOnline(true);
		win.document.dispatchEvent(new Event('visibilitychange'));
		expect(tab.api.breaker(other).state).toBe('half-open'); // before: open
		expect(tab.api.breaker('https://isolated.test').state).toBe('open');
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		expect(await store.get(origin)).not.toHaveProperty('unanswered');
		tab.api.close();
		const after = open();
		expect(await after.call()).toBe('CIRCUIT_OPEN');
		expect(after.snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 30_000 });
		expect(after.server.requests).toHaveLength(0);
		expect([...tab.events, ...after.events].filter((event) => event.startsWith('half-open'))).toEqual(['half-open online']); // the other scope's
	});

	it('with breaker.probe, `online` sends the probe at once, with no call', async () => {
		const { clock, open } = page();
		const tab = open({ probe: '/health' });
		await trip(tab, 'down');
		clock.advance(1_000);
		tab.server.up();
		win.setOnline(true);
		await vi.waitFor(() => expect(tab.snapshot().state).toBe('closed'));
		expect(tab.server.requests.at(-1)!.url).toBe(`${origin}/health`);
		expect(tab.server.requests).toHaveLength(6);
	});

	it('with breaker.probe, `online` sends the probe at once also when the open period is already over (half-open, no call since): the next call is fresh', async () => {
		const { clock, open } = page();
		const tab = open({ probe: '/health' });
		await trip(tab, 'down');
		clock.advance(31_000); // past reopensAt: half-open, nobody called
		tab.server.up();
		win.setOnline(true);
		await vi.waitFor(() => expect(tab.snapshot().state).toBe('closed')); // before: half-open, no probe sent
		expect(tab.server.requests.at(-1)!.url).toBe(`${origin}/health`);
		expect(await tab.call()).toBe('200'); // before: CIRCUIT_OPEN (the probe went behind it)
		expect(tab.server.requests).toHaveLength(7);

		// Opened on HTTP answers, it keeps to its rules: `online` sends nothing.
		const other = page();
		const served = other.open({ probe: '/health' });
		await trip(served, 503);
		other.clock.advance(31_000);
		win.setOnline(true);
		await flush();
		expect(served.server.requests).toHaveLength(5);
	});

	it('with breaker.probe, a reload that finds the open state gets fresh data at its first call: it waits for the probe sent at once', async () => {
		const { clock, store, open } = page();
		const before = open({ probe: '/health' });
		await trip(before, 'down');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', unanswered: true }));
		before.api.close();
		clock.advance(2_000);
		const after = open({ probe: '/health' }); // the reloaded page: the API is back
		expect(await after.call()).toBe('200'); // before: CIRCUIT_OPEN (the probe went behind the failed call)
		expect(after.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`, `${origin}/x`]);
		expect(after.events).toEqual(['open restored', 'half-open restored', 'closed probe-succeeded']);

		// The probe fails (the API is still down): the call fails fast after it, and the breaker re-opens for the period that was running.
		const again = page();
		const first = again.open({ probe: '/health' });
		await trip(first, 'down');
		await vi.waitFor(async () => expect(await again.store.get(origin)).toMatchObject({ state: 'open', unanswered: true }));
		first.api.close();
		again.clock.advance(2_000);
		const reloaded = again.open({ probe: '/health' });
		reloaded.server.down();
		expect(await reloaded.call()).toBe('CIRCUIT_OPEN');
		expect(reloaded.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`]);
		expect(reloaded.snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 2_000 + 30_000 });
		// That period's end is no recovery trigger: the caller fails fast while the probe goes, as at every period's end.
		again.clock.advance(30_000);
		reloaded.server.up();
		expect(await reloaded.call()).toBe('CIRCUIT_OPEN');
		await vi.waitFor(() => expect(reloaded.snapshot().state).toBe('closed'));
		expect(reloaded.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`, `${origin}/health`]);
	});

	it('across tabs: one probe after `online` (the other tab is answered as an open breaker answers); its closing reaches every tab', async () => {
		const { clock, open } = page();
		const a = open();
		const b = open();
		await trip(a, 'down');
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		clock.advance(1_000);
		a.server.hang();
		b.server.hang();
		win.setOnline(true); // both tabs hear it
		expect([a.snapshot().state, b.snapshot().state]).toEqual(['half-open', 'half-open']);
		const calls = [a.call(), b.call(), a.call(), b.call()];
		await vi.waitFor(() => expect(a.server.pending.length + b.server.pending.length).toBe(1));
		const [prober] = [a, b].filter(({ server }) => server.pending.length === 1);
		prober!.server.up();
		prober!.server.settleAll(new Response('{}', { status: 200 }));
		// The prober's second call waited for its probe and went out once it closed the breaker (fifteenth round).
		expect((await Promise.all(calls)).sort()).toEqual(['200', '200', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
		await vi.waitFor(() => expect([a.snapshot().state, b.snapshot().state]).toEqual(['closed', 'closed']));
		expect(a.server.requests.length - 5 + b.server.requests.length).toBe(2);
	});
});

describe('breaker: one probe per recovery trigger across tabs', () => {
	it('a tab that handles `online` after another tab\'s early probe failed does not probe again (the origin just found down); a trigger a second later does', async () => {
		const { clock, open } = page();
		const a = open();
		const b = open();
		await trip(a, 'down');
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		b.server.down();
		clock.advance(1_000);
		win.setOnline(true);
		expect(await a.call()).toBe('NetworkError'); // the early probe: the origin is still down
		await vi.waitFor(() => expect(b.snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 31_000 }));
		// The same `online` as the other tab handles it, ms later (every tab gets it; here fired again: the
		// tab that probed takes it as a new trigger, as it would a later one).
		clock.advance(50);
		win.setOnline(true);
		expect([a.snapshot().state, b.snapshot().state]).toEqual(['half-open', 'open']); // before: half-open in both
		expect(await b.call()).toBe('CIRCUIT_OPEN'); // before: a second probe (NetworkError)
		expect(b.server.requests).toHaveLength(0);
		expect(b.events).toEqual(['open shared', 'half-open online', 'open shared']);
		// A later trigger is a new one: half-open at once again.
		clock.advance(1_000);
		win.setOnline(true);
		expect([a.snapshot().state, b.snapshot().state]).toEqual(['half-open', 'half-open']);
	});
});

describe('breaker: recovery within the millisecond it opened', () => {
	it('`online` at once (the clock unmoved): one tab\'s probe closes it, and its closing reaches the other tab', async () => {
		const { open } = page();
		const a = open();
		const b = open();
		await trip(a, 'down');
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		a.server.up();
		win.setOnline(true);
		expect(await a.call()).toBe('200'); // the probe
		expect(a.snapshot().state).toBe('closed');
		await vi.waitFor(() => expect(b.snapshot().state).toBe('closed'));
	});
});

describe('breaker: jittered open periods (no herd)', () => {
	/** The open period of a breaker opened by 5 network failures with `random` returning `draw`. */
	const period = async (draw: number, options: object = {}) => {
		const clock = new ManualClock(t0);
		const server = new FakeOrigin();
		server.down();
		const api = createClient({ clock, random: () => draw, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: breaker({ share: false, openMs: 10_000, ...options }) });
		clients.push(api);
		for (let index = 0; index < 5; index++) {
			await api.get(`${origin}/x`).catch(() => undefined);
		}

		const { reopensAt, openedAt } = api.breaker(origin);
		return reopensAt! - openedAt!;
	};

	it('uniform within ±20 % of the period, from the client\'s random (0 → 0.8×, 0.5 → 1×, → 1 → 1.2×); a server\'s Retry-After is kept as it is', async () => {
		expect(await period(0)).toBe(8_000);
		expect(await period(0.5)).toBe(10_000);
		expect(await period(0.25)).toBe(9_000);
		expect(await period(1 - 2 ** -20)).toBeCloseTo(12_000, 1);
		const clock = new ManualClock(t0);
		const server = new FakeOrigin();
		server.answer(503, { 'retry-after': '7' });
		const api = createClient({ clock, random: () => 0, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: breaker({ share: false }) });
		clients.push(api);
		await api.get(`${origin}/x`).catch(() => undefined);
		expect(api.breaker(origin).reopensAt).toBe(t0 + 7_000); // not jittered
	});

	it('never beyond maxOpenMs', async () => {
		// Uniform within [8 000, 11 000]: not 11 000 for every draw above 0.75.
		expect(await period(0.99, { maxOpenMs: 11_000 })).toBe(10_970);
		expect(await period(0, { maxOpenMs: 11_000 })).toBe(8_000);
	});

	it('jittered at the cap too: breakers whose doubling reached maxOpenMs do not all reopen at maxOpenMs (uniform within its lower 20 %)', async () => {
		const capped = { openMs: 10_000, maxOpenMs: 10_000 };
		const drawn = await Promise.all([0, 0.25, 0.6, 0.9].map(async (draw) => period(draw, capped)));
		expect(drawn).toEqual([8_000, 8_500, 9_200, 9_800]);
	});

	it('each re-open draws again: the doubled period is jittered too', async () => {
		const clock = new ManualClock(t0);
		const server = new FakeOrigin();
		server.down();
		const draws = [0, 1 - 2 ** -20];
		const api = createClient({ clock, random: () => draws.shift() ?? 0.5, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: breaker({ share: false, openMs: 10_000, consecutiveFailures: 1 }) });
		clients.push(api);
		await api.get(`${origin}/x`).catch(() => undefined);
		expect(api.breaker(origin).reopensAt).toBe(t0 + 8_000);
		clock.advance(8_000);
		await api.get(`${origin}/x`).catch(() => undefined); // the probe fails: 20 s × 1.2
		expect(api.breaker(origin).reopensAt! - clock.now()).toBeCloseTo(24_000, 1);
	});
});
