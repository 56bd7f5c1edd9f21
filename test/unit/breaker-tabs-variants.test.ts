/**
 * Variants of what the other tabs hear (API.md "Reachability and recovery": counts that cross tabs
 * and reloads, recovery without waiting, a closing that reaches every tab): clients of one name and
 * store on one injected clock; a real BroadcastChannel (Node's); `document` faked (a page).
 */
import { describe, expect, it, vi } from 'vitest';
import { memoryStore } from '../../src/entries/index.js';
import { flush, origin, tabPages, times, windowEachTest } from './breaker-kit.js';

const clients = windowEachTest();
const pages = tabPages(clients, 'tabs-variants');

describe('breaker: counts that cross tabs after a clear()', () => {
	it('the tab that cleared and the others count each other\'s failures again: 3 + 2 in a row open it', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		expect(await a.call()).toBe('HTTPError');
		await vi.waitFor(() => expect(b.snapshot().consecutiveFailures).toBe(1));
		await a.api.clear();
		await flush();
		await times(3, async () => a.call());
		await flush();
		await times(2, async () => b.call());
		await flush();
		expect([a.snapshot().state, b.snapshot().state]).toEqual(['open', 'open']);
	});

	it('a tab opened after another tab\'s clear() and the tabs that heard it count each other\'s failures', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		expect(await a.call()).toBe('HTTPError');
		await a.api.clear();
		await flush();
		const c = open();
		await times(3, async () => c.call());
		await flush();
		await times(2, async () => b.call());
		await flush();
		expect([b.snapshot().state, c.snapshot().state]).toEqual(['open', 'open']);
	});
	it('an outcome another tab told just before the clear() (in transit) does not count after it: 5 failures in a row, not 4, open it again', async () => {
		const { open, clock } = pages();
		const [a, b] = [open(), open()];
		expect(await a.call()).toBe('HTTPError');
		clock.advance(1);
		await b.api.clear();
		await flush();
		// Before: 1 (the failure told before the clear, heard after it).
		expect([a.snapshot().consecutiveFailures, b.snapshot().consecutiveFailures]).toEqual([0, 0]);
		await times(4, async () => b.call());
		await flush();
		expect([a.snapshot().state, b.snapshot().state]).toEqual(['closed', 'closed']);
	});
});

describe('breaker: what the other tabs are told when an early probe fails', () => {
	it('a reloaded tab\'s early probe fails: the tab that did not reload is told breaker:open with the new period', async () => {
		const { open, clock } = pages();
		const [a, b] = [open({ openMs: 30_000 }), open({ openMs: 30_000 })];
		a.server.down();
		b.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		expect(await b.call()).toBe('CIRCUIT_OPEN');
		const told: Array<number | undefined> = [];
		b.api.on('breaker:open', ({ reopensAt }) => told.push(reopensAt));
		a.api.close();
		clock.advance(10_000);
		const reloaded = open({ openMs: 30_000 });
		reloaded.server.down();
		expect(await reloaded.call()).toBe('NetworkError'); // its early probe, and it fails: 30 s from now
		await vi.waitFor(() => expect(b.snapshot().reopensAt).toBe(clock.now() + 30_000));
		expect(told).toEqual([clock.now() + 30_000]); // before: [] (b's listeners kept the first period's reopensAt, 10 s early)
		expect(b.events.filter((event) => event.startsWith('breaker:open'))).toEqual(['breaker:open shared', 'breaker:open shared']);
	});
});

describe('breaker: isolate() / reset() in one tab, seen by a tab made later', () => {
	it('a tab made after an isolation resets it in the same ms (the clock unmoved): every tab, the store and a reload find it closed', async () => {
		const { open, store } = pages();
		const a = open();
		await a.api.breaker.isolate(origin);
		const b = open();
		await b.api.breaker.reset(origin);
		await vi.waitFor(() => expect(a.snapshot().state).toBe('closed'));
		expect(await store.get(origin)).toMatchObject({ state: 'closed' });
		a.server.up();
		expect(await a.call()).toBe('200');
		expect(a.events).toEqual(['breaker:open isolated', 'breaker:closed shared']);
		const reloaded = open();
		reloaded.server.up();
		expect(await reloaded.call()).toBe('200');
	});
});

describe('breaker: a tab that reads the store while another tab\'s change is being written', () => {
	/** A store whose writes wait while `held` (a slow IndexedDB transaction). */
	const slowWrites = () => {
		const store = memoryStore('slow-writes');
		const set = store.set.bind(store);
		let release = (): void => undefined;
		let gate: Promise<void> | undefined;
		store.set = async (key, value) => {
			await gate;
			return set(key, value);
		};
		return { store, hold: () => (gate = new Promise<void>((resolve) => (release = resolve))), release: () => release() };
	};

	it('a tab made after another tab\'s reset() was told, that reads the open state still stored, is closed once the reset is stored (API.md "its closing reaches every tab")', async () => {
		const { store, hold, release } = slowWrites();
		const { open } = pages(store);
		const a = open();
		await times(5, async () => a.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		hold();
		const reset = a.api.breaker.reset(origin);
		const b = open();
		b.server.up();
		expect(await b.call()).toBe('CIRCUIT_OPEN'); // it read the open state: the reset is not stored yet
		release();
		await reset;
		// Before: 'open' (until the end of the period it read, 5 s later).
		await vi.waitFor(() => expect(b.snapshot().state).toBe('closed'));
		expect(await b.call()).toBe('200');
	});
});

describe('breaker: a tab whose timers are held back (hidden: throttled to 1 s, a minute under intensive throttling)', () => {
	/** Let I/O callbacks and messages run, without a timer (the tab's are held back). */
	const turn = async (): Promise<void> => new Promise((resolve) => {
		setImmediate(resolve);
	});
	/** Five of them: enough for what the channel and the store answer to be taken (a wait starting, a closing heard). */
	const turns = async (): Promise<void> => {
		for (let index = 0; index < 5; index++) {
			await turn();
		}
	};

	it('its waitForHealthy resolves when another tab\'s closing reaches it, not at its next poll', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		await a.api.breaker.isolate(origin);
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			let resolved = false;
			const waiting = b.api.waitForHealthy(origin, { timeoutMs: 60_000 }).then(() => {
				resolved = true;
			}, () => undefined);
			await turns();

			await a.api.breaker.reset(origin);
			for (let index = 0; index < 50 && b.snapshot().state !== 'closed'; index++) {
				await turn();
			}

			expect(b.snapshot().state).toBe('closed');
			await turns();

			// Before: false (it resolved only when its 20 ms poll's timer fired: in a hidden tab a second or a minute later).
			expect(resolved).toBe(true);
			await waiting;
		} finally {
			vi.useRealTimers();
		}
	});

	it('so does its waitForHealthy when its own clear() forgets the open state', async () => {
		const { open } = pages();
		const b = open();
		await times(5, async () => b.call());
		expect(b.snapshot().state).toBe('open');
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			let resolved = false;
			const waiting = b.api.waitForHealthy(origin, { timeoutMs: 60_000 }).then(() => {
				resolved = true;
			}, () => undefined);
			await turn();
			await b.api.clear();
			await turns();

			// Before: false.
			expect(resolved).toBe(true);
			await waiting;
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('breaker: a breaker.probe whose transport ignores its abort (a fetch wrapper that drops the signal)', () => {
	it('counts as failed at its timeout and gives its Web Lock back: the next period\'s probe goes (from this tab or another) and closes the breaker', async () => {
		const { open, clock } = pages();
		const [a, b] = [open({ probe: '/health', openMs: 1_000 }, { timeout: 50 }), open({ probe: '/health', openMs: 1_000 }, { timeout: 50 })];
		a.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		a.server.ignoreAbort = true;
		a.server.hang();
		clock.advance(1_001);
		expect(await a.call()).toBe('CIRCUIT_OPEN'); // the probe goes instead, and hangs
		await vi.waitFor(() => expect(a.server.requests.map(({ url }) => url).at(-1)).toBe(`${origin}/health`));
		// Its 50 ms timeout (real time) passes, then its probe timeout on the client's clock: a failed probe, a new period (2 s).
		await vi.waitFor(() => expect(a.server.pending[0]?.request.signal.aborted).toBe(true));
		clock.advance(50);
		expect(await a.call()).toBe('CIRCUIT_OPEN');
		expect(a.events.at(-1)).toMatch(/^breaker:open probe-/);
		await vi.waitFor(() => expect(b.snapshot().reopensAt).toBe(a.snapshot().reopensAt));
		clock.advance(2_100);
		b.server.up();
		await b.api.waitForHealthy(origin, { timeoutMs: 2_000 }).catch(() => undefined);
		// Before: 'open' (the hung probe held the scope's lock: no tab could probe again) and 0 probes sent by b.
		expect([b.snapshot().state, b.server.requests.length]).toEqual(['closed', 1]);
		await vi.waitFor(() => expect(a.snapshot().state).toBe('closed'));
	});
});

describe('breaker: the events of a clear()', () => {
	it('the tab that clears an open breaker is told breaker:closed too (reason cleared), as the other tabs are (shared); a closed one tells nothing', async () => {
		const { open } = pages();
		const [a, b] = [open(), open()];
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.snapshot().state).toBe('open'));
		await a.api.clear();
		await vi.waitFor(() => expect(b.events.at(-1)).toBe('breaker:closed shared'));
		// Before: 'breaker:open consecutive-failures' (closed without a word in the tab that cleared).
		expect([a.snapshot().state, a.events.at(-1)]).toEqual(['closed', 'breaker:closed cleared']);
		const told = a.events.length;
		await a.api.clear();
		await flush();
		expect(a.events.length).toBe(told);
	});
});
