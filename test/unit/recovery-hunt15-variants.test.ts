/** Variants of recovery and Workers limits (API.md "Reachability and recovery", "Request contexts"), fifteenth round. */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, sharedPages, times, windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
const { page } = sharedPages(clients, 'hunt15');

/** The triggers: the device back online, the page visible again. */
const triggers = [
	{ trigger: 'online', fire: () => win.setOnline(true) },
	{
		trigger: 'visible',
		fire: () => {
			win.document.dispatchEvent(new Event('visibilitychange'));
		},
	},
];
const probes = [
	{ how: 'the first call is the probe', breakerOptions: {}, first: [] as string[] },
	{ how: 'with breaker.probe', breakerOptions: { probe: '/health' }, first: [`${origin}/health`] },
];

/** A tab whose breaker opened on network failures (5 in a row), `advance` ms later. */
const openedTab = async (breakerOptions: object, advance: number) => {
	const made = page();
	const tab = made.open(breakerOptions);
	tab.server.down();
	await times(5, async () => tab.call());
	expect(tab.snapshot().state).toBe('open');
	made.clock.advance(advance);
	return tab;
};

describe('breaker: calls of the tab that got a recovery trigger wait for its early probe', () => {
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
				let settled = 0;
				const calls = [tab.call(), tab.call(), tab.call()].map(async (calling) => calling.finally(() => settled++));
				await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1));
				await flush();
				expect(settled).toBe(0);
				tab.server.settleAll(new TypeError('Failed to fetch'));
				const results = await Promise.all(calls);
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
		const made = page();
		const tab = made.open({ probe: '/health' });
		tab.server.script = () => new Response('{}', { status: 503 });
		await times(5, async () => tab.call());
		made.clock.advance(10_000);
		tab.server.hang();
		win.setOnline(true);
		expect(await tab.call()).toBe('CIRCUIT_OPEN');
		expect(tab.server.requests).toHaveLength(5);
	});
});

describe('breaker: the other tabs, which got the same trigger, still fail fast while one tab probes', () => {
	for (const { how, breakerOptions } of probes) {
		it(`${how}: the tab that did not take the probe answers CIRCUIT_OPEN while it is in flight; the closing reaches it`, async () => {
			const made = page();
			const one = made.open(breakerOptions);
			const two = made.open(breakerOptions);
			one.server.down();
			await times(5, async () => one.call());
			await vi.waitFor(() => expect(two.snapshot().state).toBe('open'));
			made.clock.advance(10_000);
			one.server.hang();
			two.server.hang();
			win.setOnline(true);
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
