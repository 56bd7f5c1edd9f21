/**
 * Defect hunt, thirty-eighth round (area: recovery you can see — tabs, reachability, probes). Tabs are clients of one
 * name over one store, told by BroadcastChannel, their probes holding Web Locks (`sharedTabs`, as in
 * recovery-hunt37-variants.test.ts). API.md: `close()` stops channels; work that outlives its caller checks, at each
 * write, the world it started in (close included).
 */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, sharedTabs, times, windowEachTest } from './breaker-kit.js';

describe('breaker across tabs: a tab closed while its attempt is in flight', () => {
	const tabsOf = sharedTabs(windowEachTest(), 'h38-rec-a');

	it('its probe that fails after the close writes no re-opening over the closing another tab\'s probe stored', async () => {
		const { clock, open, store } = tabsOf();
		const a = open({ consecutiveFailures: 2 });
		const b = open({ consecutiveFailures: 2 });
		a.server.answer(503);
		expect(await times(2, async () => a.call())).toEqual(['HTTPError', 'HTTPError']);
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('open'));
		clock.advance(40_000); // the open period is over: a's next call is the probe, and holds the probe's lock
		a.server.hang();
		const probing = a.call();
		await vi.waitFor(() => expect(a.server.pending).toHaveLength(1));
		a.api.close(); // its page goes: the lock is given back, b takes the probe
		b.server.up();
		expect(await b.call()).toBe('200');
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'closed' }));
		clock.advance(5);
		a.server.settleAll(new Response('{}', { status: 503 })); // a's probe answers now, its tab closed
		expect(await probing).toBe('HTTPError');
		await flush();
		await flush();
		// Before: the stored state was a's re-opening (`open`, 60 s), which no tab heard: b closed, a new tab failing fast.
		expect(await store.get(origin)).toMatchObject({ state: 'closed' });
		const c = open({ consecutiveFailures: 2 }); // a tab opened now reads it
		c.server.up();
		expect([await c.call(), c.api.breaker(origin).state]).toEqual(['200', 'closed']);
	});

	it('its `breaker.probe` that fails after the close writes no re-opening either', async () => {
		const { clock, open, store } = tabsOf();
		const a = open({ consecutiveFailures: 2, probe: '/health' });
		const b = open({ consecutiveFailures: 2, probe: '/health' });
		a.server.answer(503);
		expect(await times(2, async () => a.call())).toEqual(['HTTPError', 'HTTPError']);
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('open'));
		clock.advance(40_000);
		a.server.hang();
		expect(await a.call()).toBe('CIRCUIT_OPEN'); // a's probe goes (and hangs), its call fails fast
		await vi.waitFor(() => expect(a.server.pending).toHaveLength(1));
		a.api.close();
		b.server.up();
		await b.api.waitForHealthy(origin, { timeoutMs: 5000 }); // b's own probe, once a's lock is given back
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'closed' }));
		clock.advance(5);
		a.server.settleAll(new Response('{}', { status: 503 }));
		await flush();
		await flush();
		// Before: `open` (a's probe-failed, 60 s) stored over b's closing.
		expect(await store.get(origin)).toMatchObject({ state: 'closed' });
	});

	it('its call that fails after the close writes no opening the other tabs never heard', async () => {
		const { open, store } = tabsOf();
		const a = open({ consecutiveFailures: 2 });
		const b = open({ consecutiveFailures: 2 });
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		await vi.waitFor(() => expect(b.api.breaker(origin).consecutiveFailures).toBe(1));
		a.server.hang();
		const calling = a.call();
		await vi.waitFor(() => expect(a.server.pending).toHaveLength(1));
		a.api.close();
		a.server.settleAll(new Response('{}', { status: 503 })); // the second failure in a row, counted by a alone
		expect(await calling).toBe('HTTPError');
		await flush();
		await flush();
		expect(b.api.breaker(origin).state).toBe('closed'); // b never heard it: its channel was closed
		// Before: `open` stored, so a tab opened now failed fast (`CIRCUIT_OPEN`) while every tab open sent its calls.
		expect((await store.get(origin) as { state?: string } | undefined)?.state).not.toBe('open');
		const c = open({ consecutiveFailures: 2 });
		c.server.up();
		expect(await c.call()).toBe('200');
	});
});
