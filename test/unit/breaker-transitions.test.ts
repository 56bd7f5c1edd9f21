/** Exact-time tests of every breaker transition, on an injected clock: no real sleeps. */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/entries/index.js';
import { flush, origin, setup, times } from './breaker-kit.js';

const t0 = 1_700_000_000_000;

describe('breaker: closed → open', () => {
	it('stays open 5 s by default (API.md), not the 30 s of earlier versions', async () => {
		// The kit sets openMs 30 s for the tests below; `undefined` takes it back to the default.
		const { server, call, snapshot } = setup({ breaker: { openMs: undefined } as unknown as object });
		server.down();
		await times(5, async () => call());
		expect(snapshot()).toMatchObject({ state: 'open', openedAt: t0, reopensAt: t0 + 5_000 });
	});

	it('opens after consecutiveFailures network errors in a row, then fails fast with retryAfterMs and no I/O', async () => {
		const { server, call, events, snapshot, api, clock } = setup();
		server.down();
		expect(await times(4, async () => call())).toEqual(Array(4).fill('NetworkError'));
		expect(snapshot()).toEqual({ scope: origin, state: 'closed', consecutiveFailures: 4 });
		expect(await call()).toBe('NetworkError');
		expect(snapshot()).toEqual({ scope: origin, state: 'open', consecutiveFailures: 5, openedAt: t0, reopensAt: t0 + 30_000 });
		expect(events).toEqual([expect.objectContaining({ type: 'breaker:open', reason: 'consecutive-failures', scope: origin, time: t0, reopensAt: t0 + 30_000 })]);

		clock.advance(29_999);
		const error = await api.get(origin + '/x').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(CircuitOpenError);
		expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', scope: origin, retryAfterMs: 1, transient: true });
		expect(server.requests).toHaveLength(5);
		expect(api.stats()[origin]?.breaker?.state).toBe('open');
	});

	it('a success resets the consecutive count', async () => {
		const { server, call, state } = setup();
		server.down();
		await times(4, async () => call());
		server.up();
		await call();
		server.down();
		await times(4, async () => call());
		expect(state()).toBe('closed');
		await call();
		expect(state()).toBe('open');
	});

	it('opens on the failure ratio over the window once minimumThroughput calls were made; older buckets drop out', async () => {
		const { server, call, clock, events, state } = setup({ breaker: { consecutiveFailures: 100, windowMs: 10_000, minimumThroughput: 10, failureRatio: 0.5 } });
		const mixed = async (ok: number, failed: number) => {
			server.up();
			await times(ok, async () => call());
			server.down();
			await times(failed, async () => call());
		};

		await mixed(4, 5); // 9 calls, 5 failed: below minimumThroughput
		expect(state()).toBe('closed');
		clock.advance(10_000); // those nine are now outside the window
		await mixed(0, 1); // 1 call in the window
		expect(state()).toBe('closed');
		await mixed(5, 3); // 9 calls, 4 failed
		expect(state()).toBe('closed');
		await mixed(0, 1); // 10 calls, 5 failed: 0.5
		expect(state()).toBe('open');
		expect(events.at(-1)).toMatchObject({ type: 'breaker:open', reason: 'failure-ratio' });
	});

	it('the ratio is not reached below failureRatio', async () => {
		const { server, call, state } = setup({ breaker: { consecutiveFailures: 100, minimumThroughput: 10, failureRatio: 0.5 } });
		for (let round = 0; round < 20; round++) {
			server.up();
			await times(2, async () => call());
			server.down();
			await call();
		}

		expect(state()).toBe('closed');
	});
});

describe('breaker: Retry-After', () => {
	it('a 503 with Retry-After in seconds opens at once for that long', async () => {
		const { server, call, snapshot, events } = setup();
		server.answer(503, { 'retry-after': '120' });
		expect(await call()).toBe('503');
		expect(snapshot()).toMatchObject({ state: 'open', openedAt: t0, reopensAt: t0 + 120_000 });
		expect(events).toEqual([expect.objectContaining({ type: 'breaker:open', reason: 'retry-after', reopensAt: t0 + 120_000 })]);
	});

	it('an attempt a few ms before the scope reopens (a timer fires early against the clock) waits for it and goes as the probe', async () => {
		const { server, call, snapshot, api, clock } = setup();
		server.answer(503, { 'retry-after': '1' });
		expect(await call()).toBe('503');
		expect(snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 1_000 });
		server.up();
		clock.advance(995);
		// 5 ms before it reopens: the attempt reaches the breaker at once (microtasks) and waits (a real
		// 5 ms timer); the clock reaches the reopening 2 ms later, meanwhile.
		const late = api.get(origin + '/late').then((response) => response.status);
		setTimeout(() => clock.advance(5), 2);
		expect(await late).toBe(200);
		expect(snapshot()).toMatchObject({ state: 'closed' });
		// Further than that before reopening it still fails fast, with no I/O.
		server.answer(503, { 'retry-after': '1' });
		await call();
		clock.advance(900);
		const requests = server.requests.length;
		await expect(api.get(origin + '/early')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 100 });
		expect(server.requests).toHaveLength(requests);
	});

	it('a 429 with an HTTP date opens until that date', async () => {
		const { server, call, snapshot } = setup();
		server.answer(429, { 'retry-after': new Date(t0 + 90_000).toUTCString() });
		await call();
		expect(snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 90_000 });
	});

	it('is capped at maxOpenMs', async () => {
		const { server, call, snapshot } = setup({ breaker: { maxOpenMs: 60_000 } });
		server.answer(503, { 'retry-after': '86400' });
		await call();
		expect(snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 60_000 });
	});

	it('without Retry-After, with a date in the past, or on a 500, it is one ordinary failure', async () => {
		const { server, call, state } = setup();
		server.answer(503);
		await call();
		server.answer(429, { 'retry-after': new Date(t0 - 5000).toUTCString() });
		await call();
		server.answer(500, { 'retry-after': '60' });
		await call();
		expect(state()).toBe('closed');
		expect(setup().snapshot().consecutiveFailures).toBe(0);
	});
});

describe('breaker: open → half-open → closed or re-opened', () => {
	const openIt = async (kit: ReturnType<typeof setup>) => {
		kit.server.down();
		await times(5, async () => kit.call());
		expect(kit.state()).toBe('open');
	};

	it('after openMs exactly one probe goes through; the others fail fast; its success closes and resets', async () => {
		const kit = setup();
		const { server, clock, call, events, snapshot } = kit;
		await openIt(kit);
		clock.advance(30_000);
		expect(snapshot()).toMatchObject({ state: 'half-open' });
		server.hang();
		const probe = call();
		await flush();
		expect(server.requests).toHaveLength(6);
		expect(await times(3, async () => call())).toEqual(Array(3).fill('CIRCUIT_OPEN'));
		expect(server.requests).toHaveLength(6);
		server.settleAll(new Response('{}', { status: 200 }));
		expect(await probe).toBe('200');
		expect(snapshot()).toEqual({ scope: origin, state: 'closed', consecutiveFailures: 0 });
		expect(events.map(({ type, reason }) => `${type} ${reason}`)).toEqual([
			'breaker:open consecutive-failures', 'breaker:half-open open-elapsed', 'breaker:closed probe-succeeded',
		]);
		server.down();
		await times(4, async () => call());
		expect(kit.state()).toBe('closed');
	});

	it('a failed probe re-opens with double the time, up to maxOpenMs; a full close resets the doubling', async () => {
		const kit = setup({ breaker: { openMs: 30_000, maxOpenMs: 200_000 } });
		const { clock, call, snapshot, server, events } = kit;
		await openIt(kit);
		const durations: number[] = [];
		for (let round = 0; round < 5; round++) {
			const { openedAt, reopensAt } = snapshot();
			durations.push(reopensAt! - openedAt!);
			clock.set(reopensAt!);
			expect(await call()).toBe('NetworkError'); // the probe
		}

		// Capped: the nominal 240 000 and 480 000 are 200 000, jittered within its lower 20 % (random 0.5: 180 000), not all at the cap.
		expect(durations).toEqual([30_000, 60_000, 120_000, 180_000, 180_000]);
		expect(events.filter(({ reason }) => reason === 'probe-failed')).toHaveLength(5);
		clock.set(snapshot().reopensAt!);
		server.up();
		expect(await call()).toBe('200');
		await openIt(kit);
		expect(snapshot().reopensAt! - snapshot().openedAt!).toBe(30_000);
	});

	it('a probe answered 429 with Retry-After re-opens for that long', async () => {
		const kit = setup();
		await openIt(kit);
		kit.clock.advance(30_000);
		kit.server.answer(429, { 'retry-after': '7' });
		await kit.call();
		expect(kit.snapshot()).toMatchObject({ state: 'open', reopensAt: kit.clock.now() + 7000 });
	});

	it('a probe answered 404 closes it: the origin answered', async () => {
		const kit = setup();
		await openIt(kit);
		kit.clock.advance(30_000);
		kit.server.answer(404);
		expect(await kit.call()).toBe('404');
		expect(kit.state()).toBe('closed');
	});

	it('halfOpenProbes lets that many probes through at once', async () => {
		const kit = setup({ breaker: { halfOpenProbes: 2 } });
		await openIt(kit);
		kit.clock.advance(30_000);
		kit.server.hang();
		const probes = [kit.call(), kit.call()];
		expect(await kit.call()).toBe('CIRCUIT_OPEN');
		await flush();
		expect(kit.server.requests).toHaveLength(7);
		kit.server.settleAll(new Response('{}', { status: 200 }));
		expect(await Promise.all(probes)).toEqual(['200', '200']);
		expect(kit.state()).toBe('closed');
	});
});

describe('breaker: never stuck', () => {
	it('concurrent failures in flight when it opens neither re-open it nor stretch it (opossum #385)', async () => {
		const { server, clock, call, events, snapshot } = setup();
		server.hang();
		const calls = Array.from({ length: 20 }, async () => call());
		await flush();
		expect(server.requests).toHaveLength(20);
		clock.advance(100);
		server.settleAll(new TypeError('Failed to fetch'));
		await Promise.all(calls);
		expect(events.filter(({ type }) => type === 'breaker:open')).toHaveLength(1);
		expect(snapshot()).toMatchObject({ state: 'open', reopensAt: t0 + 100 + 30_000 });
		clock.advance(30_000);
		server.up();
		expect(await call()).toBe('200');
		expect(snapshot().state).toBe('closed');
	});

	it('a success still in flight from before the open does not close it', async () => {
		const { server, clock, call, state } = setup();
		server.hang();
		const late = call();
		await flush();
		server.down();
		await times(5, async () => call());
		expect(state()).toBe('open');
		clock.advance(1000);
		server.settleAll(new Response('{}', { status: 200 }));
		expect(await late).toBe('200');
		expect(state()).toBe('open');
	});

	it('a failure still in flight from an earlier open period does not re-open a closed breaker', async () => {
		const kit = setup();
		const { server, clock, call, state, events } = kit;
		server.hang();
		const late = call();
		await flush();
		server.down();
		await times(5, async () => call());
		clock.advance(30_000);
		server.up();
		expect(await call()).toBe('200');
		server.settleAll(new TypeError('Failed to fetch'));
		expect(await late).toBe('NetworkError');
		expect(state()).toBe('closed');
		expect(events.filter(({ type }) => type === 'breaker:open')).toHaveLength(1);
	});

	it('a probe aborted by the caller frees its slot: the next call is the probe (opossum #276)', async () => {
		const kit = setup();
		const { server, clock, call, state, events } = kit;
		server.down();
		await times(5, async () => call());
		clock.advance(30_000);
		server.hang();
		const controller = new AbortController();
		const aborted = call('/x', { signal: controller.signal });
		await flush();
		expect(server.requests).toHaveLength(6);
		controller.abort(new Error('user left'));
		expect(await aborted).toBe('Error');
		expect(state()).toBe('half-open');
		server.up();
		expect(await call()).toBe('200');
		expect(server.requests).toHaveLength(7);
		expect(state()).toBe('closed');
		expect(events.map(({ reason }) => reason)).toEqual(['consecutive-failures', 'open-elapsed', 'probe-succeeded']);
	});

	it('a probe that never settles counts as failed after its attempt timeout', async () => {
		const kit = setup({ timeout: 5000 });
		const { server, clock, call, snapshot, events } = kit;
		server.down();
		await times(5, async () => call());
		clock.advance(30_000);
		server.hang();
		server.ignoreAbort = true; // a transport that ignores its signal
		const controller = new AbortController();
		const stuck = call('/x', { signal: controller.signal });
		await flush();
		clock.advance(4999);
		expect(await call()).toBe('CIRCUIT_OPEN');
		expect(snapshot().state).toBe('half-open');
		clock.advance(1);
		expect(snapshot()).toMatchObject({ state: 'open', openedAt: clock.now(), reopensAt: clock.now() + 60_000 });
		expect(events.at(-1)).toMatchObject({ type: 'breaker:open', reason: 'probe-timeout' });
		clock.advance(60_000);
		server.ignoreAbort = false;
		server.up();
		expect(await call()).toBe('200');
		expect(snapshot().state).toBe('closed');
		// The stuck probe's late answer changes nothing.
		server.settleAll(new TypeError('Failed to fetch'));
		controller.abort();
		await stuck;
		expect(snapshot().state).toBe('closed');
	});

	it('a probe whose call gives a longer timeout of its own is given that long: its answer closes the breaker', async () => {
		const kit = setup({ timeout: 5000 });
		const { server, clock, call, snapshot, events } = kit;
		server.down();
		await times(5, async () => call());
		clock.advance(30_000);
		server.hang();
		// A slow endpoint's call, with the time it needs (ky's `timeout` per call), is the probe.
		const slow = call('/report', { timeout: 20_000 });
		await flush();
		clock.advance(15_000); // past the client's 5 s, within the call's 20 s
		expect([await call(), snapshot().state]).toEqual(['CIRCUIT_OPEN', 'half-open']);
		server.settleAll(new Response('{}', { status: 200 }));
		expect(await slow).toBe('200');
		expect(snapshot()).toEqual({ scope: origin, state: 'closed', consecutiveFailures: 0 });
		expect(events.map(({ reason }) => reason)).toEqual(['consecutive-failures', 'open-elapsed', 'probe-succeeded']);
		// Past the call's own timeout it counts as failed, as any probe past its attempt timeout.
		server.down();
		await times(5, async () => call());
		clock.advance(30_000);
		server.hang();
		server.ignoreAbort = true;
		const stuck = call('/report', { timeout: 20_000 });
		await flush();
		clock.advance(20_000);
		expect(snapshot()).toMatchObject({ state: 'open', openedAt: clock.now() });
		expect(events.at(-1)).toMatchObject({ type: 'breaker:open', reason: 'probe-timeout' });
		server.settleAll(new TypeError('Failed to fetch'));
		await stuck;
	});

	it('a probe whose attempt times out in ky counts as failed at once', async () => {
		const kit = setup({ timeout: 30 });
		const { server, clock, call, snapshot, events } = kit;
		server.down();
		await times(5, async () => call());
		clock.advance(30_000);
		server.hang();
		server.ignoreAbort = true;
		expect(await call()).toBe('TimeoutError');
		expect(snapshot()).toMatchObject({ state: 'open', reopensAt: clock.now() + 60_000 });
		expect(events.at(-1)).toMatchObject({ type: 'breaker:open', reason: 'probe-failed' });
		server.ignoreAbort = false;
		server.settleAll(new TypeError('late'));
	});
});
