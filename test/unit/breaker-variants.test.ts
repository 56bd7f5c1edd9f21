/**
 * Variants of the breaker's sharing across tabs (API.md "Reachability and recovery", "Identity"):
 * a clear in one tab (the learned state goes in every tab), two tabs opening it at once, waitForHealthy
 * in a tab that did not probe.
 * Clients of one name and store on one injected clock; a real BroadcastChannel (Node's); `document`
 * faked (a page).
 */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, tabPages, times, windowEachTest } from './breaker-kit.js';

const clients = windowEachTest();
const pages = tabPages(clients, 'variants');

type Page = ReturnType<ReturnType<typeof pages>['open']>;

/** Four failures in tab `a` (counted in both tabs), then each tab's fifth answered 503 at the same moment, both before either tab hears of the other's. */
const fifthFailuresTogether = async (a: Page, b: Page): Promise<void> => {
	await times(4, async () => a.call());
	await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(4));
	a.server.hang();
	b.server.hang();
	const calls = [a.call(), b.call()];
	await vi.waitFor(() => expect([a.server.pending.length, b.server.pending.length]).toEqual([1, 1]));
	a.server.settleAll(new Response('{}', { status: 503 }));
	b.server.settleAll(new Response('{}', { status: 503 }));
	expect(await Promise.all(calls)).toEqual(['HTTPError', 'HTTPError']);
};

describe('breaker variants across tabs', () => {
	it('clear() in one tab: the other tabs forget the failures in a row too (4 of 5 before the clear, then 1: closed)', async () => {
		const { open, store } = pages();
		const [a, b] = [open(), open()];
		await times(4, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(4));
		await a.api.clear();
		await flush();
		expect(await b.call()).toBe('HTTPError');
		await flush();
		expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 1 }); // before: open (4 from before the clear + 1)
		expect(a.snapshot().state).toBe('closed');
		expect(await store.get(origin)).not.toMatchObject({ state: 'open' });
	});

	it('clear() in one tab: another tab\'s open breaker closes too, and its pending waitForHealthy resolves', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		const waiting = b.api.waitForHealthy(origin, { timeoutMs: 2_000 }).then(() => 'healthy', (error: { code?: string }) => error.code);
		await a.api.clear();
		await vi.waitFor(() => expect(b.snapshot().state).toBe('closed')); // before: open for its period
		expect(await waiting).toBe('healthy');
		expect(b.events).toEqual(['breaker:open shared', 'breaker:closed shared']);
		b.server.up();
		expect(await b.call()).toBe('200');
	});

	it('two tabs whose fifth failures cross on the channel each open it: breaker:open once per tab, and both keep the later period', async () => {
		const { open, clock } = pages();
		// The second tab's outcome is counted 1 ms after the first's (its isFailure moves the clock), both before either message lands.
		const [a, b] = [open(), open({ isFailure: () => void clock.advance(1) })];
		await fifthFailuresTogether(a, b);
		await vi.waitFor(() => expect(a.snapshot().reopensAt).toBe(b.snapshot().reopensAt));
		await flush();
		expect(a.events).toEqual(['breaker:open consecutive-failures']); // before: and 'breaker:open shared'
		expect(b.events).toEqual(['breaker:open consecutive-failures']);
		expect(a.snapshot().state).toBe('open');
	});

	it('two tabs whose fifth failures land in the same ms (records of equal `at`), each with its own jitter, both keep one period: the later', async () => {
		const { open } = pages();
		const [a, b] = [open({}, { random: () => 0.2 }), open({}, { random: () => 0.8 })];
		await fifthFailuresTogether(a, b);
		await flush();
		expect([a.snapshot().reopensAt, b.snapshot().reopensAt]).toEqual([b.snapshot().reopensAt, b.snapshot().reopensAt]); // before: each tab kept its own period
		expect(b.snapshot().reopensAt).toBeGreaterThan(a.snapshot().openedAt! + 5_000); // the later (0.8's jitter)
		expect([a.events, b.events]).toEqual([['breaker:open consecutive-failures'], ['breaker:open consecutive-failures']]);
	});

	it('waitForHealthy in a tab that never called resolves when another tab\'s probe closes it', async () => {
		const { open, clock } = pages();
		const [a, b, c] = [open(), open(), open()];
		await times(5, async () => a.call());
		await vi.waitFor(() => expect([b.snapshot().state, c.snapshot().state]).toEqual(['open', 'open']));
		const waiting = c.api.waitForHealthy(origin, { timeoutMs: 2_000 }).then(() => 'healthy', (error: { code?: string }) => error.code);
		clock.advance(30_000);
		b.server.up();
		expect(await b.call()).toBe('200');
		expect(await waiting).toBe('healthy');
		expect(c.events).toEqual(['breaker:open shared', 'breaker:closed shared']);
	});
});
