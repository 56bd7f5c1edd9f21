/**
 * Defect hunt, thirty-sixth round (area: failure counts and recovery across tabs). API.md "Counts that cross tabs and
 * reloads": a breaker's failure counts (failures in a row, the ratio window) are shared by the tabs of one name. Tabs are
 * clients of one name over one store, told by BroadcastChannel (`sharedTabs`, as in tabs-hunt35-variants.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { flush, origin, sharedTabs, times, windowEachTest } from './breaker-kit.js';

/** Failures in a row never open it here: only the ratio, over at least 5 calls. */
const byRatio = { consecutiveFailures: 100, minimumThroughput: 5, failureRatio: 0.5, windowMs: 30_000 };

describe('breaker across tabs: a window told back lands after the tab counted more of its own outcomes', () => {
	const tabsOf = sharedTabs(windowEachTest(), 'h36-tabs-a');

	it('the failures it counted meanwhile still count: 10 failures of 20 calls across the tabs open it', async () => {
		const { open } = tabsOf();
		const a = open(byRatio);
		a.server.up();
		expect(await times(10, async () => a.call())).toEqual(Array(10).fill('200'));
		const b = open(byRatio); // opened now: it heard none of those 10 calls
		b.server.answer(503);
		// Two failures before a's answer to the first lands (the origin answers faster than the channel).
		expect(await times(2, async () => b.call())).toEqual(['HTTPError', 'HTTPError']);
		await flush();
		await flush();
		await flush();
		a.api.close(); // a's page goes: b counts alone from here
		// 2 of 12 calls so far; 8 more failures make 10 of 20 (the ratio, 0.5): the tenth opens it, not an eleventh.
		expect(await times(7, async () => b.call())).toEqual(Array(7).fill('HTTPError'));
		expect(b.api.breaker(origin).state).toBe('closed');
		expect(await b.call()).toBe('HTTPError');
		expect([b.api.breaker(origin).state, await b.call()]).toEqual(['open', 'CIRCUIT_OPEN']);
	});
});

describe('breaker across tabs: an outcome another tab counted before it heard this tab\'s reset()', () => {
	const tabsOf = sharedTabs(windowEachTest(), 'h36-tabs-b');
	type Tab = ReturnType<ReturnType<typeof tabsOf>['open']>;

	/**
	 * Tabs a and b: 3 successes and a failure of a's, which b hears; then `end` in b (its reset or its clear), two failures
	 * of b since, and one of a counted before a heard it (the origin answers faster than the channel); then one more of b:
	 * 4 failures of the 4 calls since, short of the 5 the ratio needs.
	 */
	const countedBeforeHeard = async (end: (b: Tab) => Promise<unknown>): Promise<void> => {
		const { open } = tabsOf();
		const a = open(byRatio);
		const b = open(byRatio);
		a.server.up();
		b.server.answer(503);
		expect(await times(3, async () => a.call())).toEqual(['200', '200', '200']);
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		await flush();
		await flush();
		expect(b.api.breaker(origin)).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
		const ended = end(b);
		expect(await times(2, async () => b.call())).toEqual(['HTTPError', 'HTTPError']);
		expect(await a.call()).toBe('HTTPError');
		await ended;
		await flush();
		await flush();
		expect(await b.call()).toBe('HTTPError');
		await flush();
		await flush();
		expect([a.api.breaker(origin).state, b.api.breaker(origin).state, b.events]).toEqual(['closed', 'closed', []]);
		expect(b.api.breaker(origin).consecutiveFailures).toBe(4);
	};

	it('counts as one failure after the reset, without the calls the reset ended (4 failures of 4 calls open no tab)', async () => {
		// Before: ['open', 'open', ['breaker:open failure-ratio']]: b took a's window, with the 4 calls of before the reset
		// (3 successes), and opened at 3 failures of 6 calls.
		await countedBeforeHeard(async (b) => b.api.breaker.reset(origin));
	});

	it('after this tab\'s clear() likewise: 4 failures of the 4 calls since the clear open no tab', async () => {
		// Before: b's next call 'CIRCUIT_OPEN' (b opened by failure-ratio): a scope met after the clear starts closed as of
		// 0, as a's was, and b took a's window with the 4 calls of before the clear.
		await countedBeforeHeard(async (b) => b.api.clear());
	});
});
