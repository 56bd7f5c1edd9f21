/**
 * Defect hunt, eighteenth round (recovery you can see). API.md "Reachability and recovery": a scope is `offline`
 * "while `navigator.onLine` is false and no attempt to the scope got an HTTP answer since it turned false". When it
 * turned false was noted at the first look, and an answer looked after noting its own time: on a clock whose millisecond
 * turned in between (the real one, now and then), the first answer while `navigator.onLine` was wrongly false told
 * `unknown -> offline` and left the scope `offline` (TanStack's `onlineManager`, through `followReachability`, offline too).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { Reach } from '../../src/core/reachability.js';

/** A clock that moves 1 ms at each read: the real clock's millisecond turning between any two reads. */
const ticking = (from = 1_000) => {
	let now = from;
	return { now: () => now++ };
};

const setOnLine = (value: boolean | undefined): void => {
	Object.defineProperty(globalThis.navigator, 'onLine', { value, configurable: true });
};

afterEach(() => {
	setOnLine(undefined);
});

describe('an HTTP answer while navigator.onLine is wrongly false makes its scope reachable, whatever the clock did between two reads', () => {
	it('a client\'s first answer: reachable, told unknown -> reachable', async () => {
		setOnLine(false);
		const api = createClient({ fetch: async () => new Response('ok'), clock: ticking(), random: () => 0.5, retry: 0 });
		const told: string[] = [];
		api.on('reachability', ({ previous, state }) => void told.push(`${previous} -> ${state}`));
		expect((await api.get('https://api.test/a')).status).toBe(200);
		// Before: 'offline' and ['unknown -> offline'] (the answer was read as older than the scope's going offline).
		expect([api.reachability('https://api.test'), told]).toEqual(['reachable', ['unknown -> reachable']]);
		api.close();
	});

	it('Reach: an answer after navigator.onLine turned false is after it; one before it is not', () => {
		setOnLine(false);
		const reach = new Reach(ticking());
		reach.answered('https://a.test', 200);
		expect(reach.state('https://a.test')).toBe('reachable'); // before: 'offline'
		// Another scope, never answered since: offline, as before.
		expect(reach.state('https://b.test')).toBe('offline');
		setOnLine(true);
		reach.answered('https://b.test', 503);
		expect(reach.state('https://b.test')).toBe('reachable');
		// navigator.onLine turns false after b's answer: b is offline until it answers again.
		setOnLine(false);
		expect(reach.state('https://b.test')).toBe('offline');
		reach.answered('https://b.test', 200);
		expect(reach.state('https://b.test')).toBe('reachable');
	});
});
