/**
 * Defect hunt, thirty-seventh round (area: recovery you can see — tabs, reachability, probes). API.md "Counts that cross
 * tabs and reloads": a breaker's failure counts (failures in a row, the ratio window) are shared by the tabs of one name.
 * Tabs are clients of one name over one store, told by BroadcastChannel (`sharedTabs`, as in tabs-hunt36-variants.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, sharedTabs, times, windowEachTest } from './breaker-kit.js';

describe('breaker across tabs: a tab in an older closed state takes another tab\'s newer one from its outcome', () => {
	const tabsOf = sharedTabs(windowEachTest(), 'h37-rec-a');

	it('keeps its own failures in a row, which the other tab counted too (3 across the tabs, not 1)', async () => {
		const { open } = tabsOf();
		const a = open({ consecutiveFailures: 5 });
		const c = open({ consecutiveFailures: 5 });
		a.server.up();
		c.server.up();
		expect([await a.call(), await c.call()]).toEqual(['200', '200']);
		// a's clear: c takes its closed state (dated ahead); a's scope, met again, starts closed as of 0 (nothing stored).
		await a.api.clear();
		await flush();
		a.server.answer(503);
		c.server.answer(503);
		expect(await times(2, async () => a.call())).toEqual(['HTTPError', 'HTTPError']);
		await vi.waitFor(() => expect(c.api.breaker(origin).consecutiveFailures).toBe(2));
		expect(await c.call()).toBe('HTTPError');
		await flush();
		await flush();
		// Before: [1, 3]: a took c's closed state from c's failure and counted that one only.
		expect([a.api.breaker(origin).consecutiveFailures, c.api.breaker(origin).consecutiveFailures]).toEqual([3, 3]);
		c.api.close(); // c's page goes: a counts alone from here, and its fifth failure in a row opens it
		expect(await times(2, async () => a.call())).toEqual(['HTTPError', 'HTTPError']);
		// Before: ['closed', 'HTTPError']: a's next call went to the failing origin.
		expect([a.api.breaker(origin).state, await a.call()]).toEqual(['open', 'CIRCUIT_OPEN']);
	});

	it('a forged outcome of a newer closed state (failures in a row far over the options) counts as one failure over this tab\'s own', async () => {
		const { clock, open, other } = tabsOf();
		const a = open({ consecutiveFailures: 5 });
		a.server.answer(503);
		expect(await times(3, async () => a.call())).toEqual(['HTTPError', 'HTTPError', 'HTTPError']);
		other().postMessage({ v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: clock.now() + 400, failures: 1e9, window: { calls: 1, failures: 1, at: clock.now() }, outcome: 1 });
		// Its own 3 and the one told: 4 of the 5 that open it, not the billion the message names.
		await vi.waitFor(() => expect(a.api.breaker(origin)).toEqual({ scope: origin, state: 'closed', consecutiveFailures: 4 }));
		expect([await a.call(), a.api.breaker(origin).state]).toEqual(['HTTPError', 'open']);
	});

	it('keeps them also when the newer state comes as the other tab\'s window told back (2 across the tabs, not 1)', async () => {
		const { clock, open } = tabsOf();
		const a = open({ consecutiveFailures: 5 });
		const c = open({ consecutiveFailures: 5 });
		a.server.up();
		c.server.up();
		expect([await a.call(), await c.call()]).toEqual(['200', '200']);
		await a.api.clear(); // c takes its closed state (dated ahead); nothing is stored of the scope
		a.api.close();
		await flush();
		clock.advance(2000); // past the second in which c told back its window (to a's call)
		expect(await times(3, async () => c.call())).toEqual(['200', '200', '200']);
		const b = open({ consecutiveFailures: 5 }); // a tab opened now: it reads nothing, closed as of 0, and heard none of c's calls
		b.server.answer(503);
		c.server.answer(503);
		expect(await b.call()).toBe('HTTPError');
		await vi.waitFor(() => expect(c.api.breaker(origin).consecutiveFailures).toBe(1));
		await flush(); // c's window (more calls) told back lands
		await flush();
		expect(await b.call()).toBe('HTTPError');
		await vi.waitFor(() => expect(c.api.breaker(origin).consecutiveFailures).toBe(2));
		// Before: 1: b took c's closed state from c's window told back to its first failure, and counted its second only.
		expect(b.api.breaker(origin).consecutiveFailures).toBe(2);
	});
});
