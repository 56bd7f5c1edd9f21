/**
 * Defect hunt, forty-first round (recovery you can see): neighbours of "a breaker probe answered in another tab is
 * `scope:back` here" on one injected clock (Node's BroadcastChannel and Web Locks carry the tabs' messages and locks,
 * `document` faked). The probe's status travels with the closed state it made (`BreakerRecord.status`), read bounded; a
 * closing no answer made (a reset, a clear) is none; one heard from the store (a page back from the bfcache) is one.
 */
import { describe, expect, it, vi } from 'vitest';
import { origin, sharedTabs, t0, windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
const tabsOf = sharedTabs(clients, 'h41-tabs');

/**
 * Tabs A and B (of `tabs`); B's own attempts fail twice (network failures): the breaker opens in every tab of the name
 * (A's when `breaker` shares it too). What each tells of `scope:back` (its status).
 */
const openedByB = async (tabs: ReturnType<typeof tabsOf>, breaker: object = {}) => {
	const a = tabs.open({ consecutiveFailures: 2 });
	const b = tabs.open({ consecutiveFailures: 2, ...breaker });
	const [backA, backB]: number[][] = [[], []];
	a.api.on('scope:back', ({ status }) => backA.push(status));
	b.api.on('scope:back', ({ status }) => backB.push(status));
	b.server.down();
	expect([await b.call(), await b.call()]).toEqual(['NetworkError', 'NetworkError']);
	expect(b.api.breaker(origin).state).toBe('open');
	return { a, b, backA, backB };
};

/** A closed record of `origin` as a tab posts it, dated after B's opening. */
const closing = (extra: object) => ({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: t0 + 1, ...extra });

describe("a closing another tab tells: its probe's status is scope:back here, bounded", () => {
	for (const status of ['200', 199, 600, 200.5, -200, null, [200], 1e9]) {
		it(`a closed record whose status is ${JSON.stringify(status)} closes the breaker, with no scope:back`, async () => {
			const tabs = tabsOf();
			const { b, backB } = await openedByB(tabs);
			const channel = tabs.other();
			const heard: Array<{ outcome?: number; status?: unknown }> = [];
			channel.onmessage = ({ data }: MessageEvent) => heard.push(data as never);
			channel.postMessage(closing({ status }));
			await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
			// No answer's status: no answer told (the forty-second hunt: a closing without one, a reset's or a clear's, leaves
			// B's reachability as it was; this case expected 'reachable' until then).
			expect([backB, b.api.reachability(origin)]).toEqual([[], 'unreachable']);
			// Not kept either: B's next outcome (a network failure: no status of its own) tells its closed state without it.
			expect(await b.call()).toBe('NetworkError');
			await vi.waitFor(() => expect(heard.filter(({ outcome }) => outcome === 1)).toHaveLength(1));
			expect(heard.find(({ outcome }) => outcome === 1)).not.toHaveProperty('status');
		});
	}

	for (const status of [200, 204, 304, 404]) {
		it(`a closed record a probe answered ${status} made: scope:back ${status}, once`, async () => {
			const tabs = tabsOf();
			const { b, backB } = await openedByB(tabs);
			const channel = tabs.other();
			channel.postMessage(closing({ status }));
			await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
			// Told again (its stored write lands, then it is posted again): the same record changes nothing.
			channel.postMessage(closing({ status }));
			channel.postMessage(closing({ status, at: t0 + 2 }));
			await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
			expect(backB).toEqual([status]);
		});
	}

	it("tab A's call as the probe answered 404 (no failure of the breaker's): B tells scope:back 404 and A none", async () => {
		const tabs = tabsOf();
		const { a, b, backA, backB } = await openedByB(tabs);
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		a.server.answer(404);
		tabs.clock.advance(30_000);
		expect(await a.call()).toBe('HTTPError');
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect({ backA, backB, stored: (await tabs.store.get<{ status?: number }>(origin))?.status }).toEqual({ backA: [], backB: [404], stored: 404 });
	});

	it("A's reset() and A's clear() close the breaker in B with no scope:back; A's probe then is one", async () => {
		const tabs = tabsOf();
		const { a, b, backB } = await openedByB(tabs);
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		await a.api.breaker.reset(origin);
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect(await b.call()).toBe('NetworkError');
		expect(await b.call()).toBe('NetworkError');
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		tabs.clock.advance(1_000);
		await a.api.clear();
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect(backB).toEqual([]);
		tabs.clock.advance(1_000);
		expect([await b.call(), await b.call()]).toEqual(['NetworkError', 'NetworkError']);
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		tabs.clock.advance(30_000);
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect(backB).toEqual([200]);
	});

	it('a page back from the bfcache (its channel heard nothing meanwhile) that finds the probe\'s closing stored tells scope:back', async () => {
		const tabs = tabsOf();
		const { b, backB } = await openedByB(tabs);
		// Meanwhile another tab's probe closed it: stored with its answer's status; the message never reached this page.
		await vi.waitFor(async () => expect(await tabs.store.get(origin)).toMatchObject({ state: 'open' }));
		tabs.clock.advance(31_000);
		await tabs.store.set(origin, closing({ status: 200, at: tabs.clock.now() }));
		win.dispatch(Object.assign(new Event('pageshow'), { persisted: true }));
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect(backB).toEqual([200]);
	});

	it("A's call made with breaker: false (not counted by the breaker) is told to no other tab (documented); A's next counted answer is", async () => {
		const tabs = tabsOf();
		const { a, b, backB } = await openedByB(tabs, { openMs: 60_000 });
		a.server.up();
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('open'));
		expect(await a.api.get(`${origin}/x`, { breaker: false }).then((response) => response.status)).toBe(200);
		// A marker posted after it, taken by B: whatever A told of that call has landed in B by then.
		const marker = 'https://marker.test';
		tabs.other().postMessage({ v: 2, scope: marker, state: 'open', openedAt: t0, reopensAt: t0 + 60_000, opens: 1, at: t0 });
		await vi.waitFor(() => expect(b.api.breaker(marker).state).toBe('open'));
		expect([backB, b.api.reachability(origin)]).toEqual([[], 'unreachable']);
		tabs.clock.advance(60_000);
		expect(await a.call()).toBe('200'); // the probe: its closing tells B (after the bypass, in order on the channel)
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		expect([backB, b.api.reachability(origin)]).toEqual([[200], 'reachable']);
	});

	it("with share: false, B hears no other tab (documented): its own next good answer is its scope:back", async () => {
		const tabs = tabsOf();
		const { a, b, backB } = await openedByB(tabs, { share: false });
		a.server.up();
		expect(await a.call()).toBe('200');
		tabs.clock.advance(30_000);
		b.server.up();
		expect(backB).toEqual([]);
		expect(await b.call()).toBe('200');
		expect(backB).toEqual([200]);
	});
});
