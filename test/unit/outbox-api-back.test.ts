/**
 * Queued writes notice the API is back (API.md "Reachability and recovery"): after a network failure
 * or a timeout an entry's next attempt is at most `maxNetworkBackoffMs` ahead (30 s in a page by
 * default), a 5xx keeps the normal backoff; `online`, the page becoming visible and a reload make
 * every pending entry due at once, whatever its `nextAttemptAt`. Injected clock, loopback API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { resolveOutboxOptions } from '../../src/outbox/options.js';
import { fakeWindow, startHarness, until, type Harness } from './outbox-helpers.js';

let h: Harness;
beforeEach(async () => {
	h = await startHarness();
});
afterEach(async () => {
	await h.close();
});

/** The API's connection refused while `down.now` (as the platform's fetch reports it), else the real one. */
const down = { now: true };
const fetchUnlessDown = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
	if (down.now) {
		throw new TypeError('Failed to fetch');
	}

	return fetch(input, init);
};

const applied = (id: string) => h.state.applied.get(id)?.length ?? 0;

/** A client of the harness once its start drain is over (in a page it makes every entry due: not the entries queued next). */
const started = async (options: Parameters<Harness['make']>[0]) => {
	const api = h.make(options);
	await api.outbox.flush();
	return api;
};

/** A backoff whose first step (random 0.5) is 50 000 ms: above the network cap in a page. */
const slow = { baseBackoffMs: 100_000 };

describe('maxNetworkBackoffMs: the wait after a network failure or a timeout', () => {
	it('in a page, by default 30 000 ms after a network failure (its backoff: 50 000 ms)', async () => {
		const win = fakeWindow();
		try {
			down.now = true;
			const api = await started({ outbox: slow, fetch: fetchUnlessDown });
			const now = h.clock.now();
			await expect(api.post('mutate?id=net', { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
			expect(await api.outbox.list()).toMatchObject([{ lastError: { code: 'NETWORK' }, nextAttemptAt: now + 30_000 }]);
		} finally {
			win.restore();
		}
	});

	it('in a page, a 503 keeps its backoff (50 000 ms)', async () => {
		const win = fakeWindow();
		try {
			down.now = false;
			const api = await started({ outbox: slow, fetch: fetchUnlessDown });
			const now = h.clock.now();
			await expect(api.post('mutate?id=5xx&fail=503', { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
			expect(await api.outbox.list()).toMatchObject([{ lastError: { code: 'HTTP_5XX' }, nextAttemptAt: now + 50_000 }]);
		} finally {
			win.restore();
		}
	});

	it('a replay that fails by a network failure is due again at most maxNetworkBackoffMs ahead', async () => {
		const win = fakeWindow();
		try {
			down.now = true;
			const api = await started({ outbox: { ...slow, maxBackoffMs: 300_000 }, fetch: fetchUnlessDown });
			await expect(api.post('mutate?id=again', { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
			for (const _ of [1, 2, 3]) {
				h.clock.advance(30_000);
				expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
				expect((await api.outbox.list())[0]!.nextAttemptAt).toBe(h.clock.now() + 30_000);
			}

			expect((await api.outbox.list())[0]).toMatchObject({ attempts: 4 });
		} finally {
			win.restore();
		}
	});

	it.each([
		['where there is no document the default is maxBackoffMs (the backoff kept: 50 000 ms)', {}, 50_000],
		['a value given applies there too', { maxNetworkBackoffMs: 10_000 }, 10_000],
	])('%s', async (_name, more, wait) => {
		down.now = true;
		const api = h.make({ outbox: { ...slow, ...more }, fetch: fetchUnlessDown });
		const now = h.clock.now();
		await expect(api.post('mutate?id=server', { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(await api.outbox.list()).toMatchObject([{ lastError: { code: 'NETWORK' }, nextAttemptAt: now + wait }]);
	});

	it('never above maxBackoffMs; not a non-negative finite number: a RangeError naming it', () => {
		expect(resolveOutboxOptions({}).maxNetworkBackoffMs).toBe(300_000);
		expect(resolveOutboxOptions({ maxBackoffMs: 20_000 }).maxNetworkBackoffMs).toBe(20_000);
		expect(resolveOutboxOptions({ maxBackoffMs: 20_000, maxNetworkBackoffMs: 60_000 }).maxNetworkBackoffMs).toBe(20_000);
		for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
			expect(() => resolveOutboxOptions({ maxNetworkBackoffMs: bad as number })).toThrow(/maxNetworkBackoffMs/);
		}

		const win = fakeWindow();
		try {
			expect(resolveOutboxOptions({}).maxNetworkBackoffMs).toBe(30_000);
			expect(resolveOutboxOptions({ maxBackoffMs: 5000 }).maxNetworkBackoffMs).toBe(5000);
		} finally {
			win.restore();
		}
	});
});

describe('every pending entry due at once when the API may be back', () => {
	let win: ReturnType<typeof fakeWindow>;
	beforeEach(() => {
		win = fakeWindow();
	});
	afterEach(() => {
		win.restore();
	});

	/** Queue a write the API answered 503 (due 50 000 ms ahead), the API good again, the clock unmoved. */
	const queueFar = async (id: string, options = {}) => {
		down.now = false;
		const api = await started({ outbox: slow, fetch: fetchUnlessDown, ...options });
		await expect(api.post(`mutate?id=${id}&fail=503&times=1`, { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list())[0]!.nextAttemptAt).toBe(h.clock.now() + 50_000);
		return api;
	};

	it('the page becoming visible: delivered now, not in 50 s', async () => {
		const api = await queueFar('visible');
		win.document.visibilityState = 'visible';
		win.document.dispatchEvent(new Event('visibilitychange'));
		await until(() => applied('visible') === 1);
		await until(async () => (await api.outbox.size()) === 0);
	});

	it('online: delivered now', async () => {
		await queueFar('online');
		win.setOnline(true);
		await until(() => applied('online') === 1);
	});

	it('a reload (the first client of the name starting in a page): delivered now', async () => {
		const first = await queueFar('reload');
		first.close();
		const again = h.make({ outbox: slow, fetch: fetchUnlessDown });
		await until(() => applied('reload') === 1);
		await until(async () => (await again.outbox.size()) === 0);
	});

	it('after the random 0–resumeJitterMs wait (the client\'s random: 0.5 × 400 ms)', async () => {
		const api = await queueFar('jitter');
		const drained = h.make({ outbox: { ...slow, resumeJitterMs: 400 }, fetch: fetchUnlessDown });
		api.close();
		// The new client's start drain waits 200 ms (real time) before it replays.
		const from = Date.now();
		await until(() => applied('jitter') === 1);
		expect(Date.now() - from).toBeGreaterThanOrEqual(190);
		await until(async () => (await drained.outbox.size()) === 0);
	});
});
