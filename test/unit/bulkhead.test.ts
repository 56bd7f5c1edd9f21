/** The bulkhead (issue 14), against a loopback origin and a scripted transport. */
import { describe, expect, it, vi } from 'vitest';
import { Lane } from '../../src/bulkhead/lane.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient } from '../../src/entries/core.js';
import { BulkheadFullError, classify, createClient as createPreset } from '../../src/entries/index.js';
import { held, open, server, useCountingOrigin } from './counting-origin-kit.js';

useCountingOrigin();

describe('bulkhead', () => {
	it('a 1,000-call burst at one scope never has more than 6 requests open at the server', async () => {
		open.max = 0;
		const api = createClient({ bulkhead: bulkhead({ maxConcurrent: 6, maxQueue: 1_000 }), retry: 0, timeout: false });
		const results = await Promise.allSettled(Array.from({ length: 1_000 }, async (_, index) => api.get(`${server.url}/burst/${index}?ms=2`).json()));
		expect(results.filter(({ status }) => status === 'fulfilled')).toHaveLength(1_000);
		expect(open.max).toBe(6);
		expect(api.stats()[server.url]).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 } });
	}, 20_000);

	it('beyond maxQueue: BulkheadFullError at once, no I/O, transient, counted and emitted', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 2, maxQueue: 1 }), retry: 0, timeout: false });
		const events: unknown[] = [];
		api.on('bulkhead:rejected', (event) => events.push(event));
		const calls = [0, 1, 2].map(async (index) => api.get(`https://api.test/${index}`).text());
		await Promise.resolve();
		const error = await api.get('https://api.test/over').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(BulkheadFullError);
		expect(classify(error)).toMatchObject({ code: 'BULKHEAD_FULL', transient: true });
		expect(pending).toHaveLength(2);
		expect(events).toEqual([expect.objectContaining({ type: 'bulkhead:rejected', scope: 'https://api.test', running: 2, queued: 1 })]);
		// FIFO: the waiting call goes when a slot frees.
		pending[0]!.release();
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending.map(({ request }) => new URL(request.url).pathname)).toEqual(['/0', '/1', '/2']);
		for (const { release } of pending) {
			release();
		}

		expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'ok']);
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 1 } });
	});

	it('a waiting call leaves the queue when its signal aborts or its timeout runs out; scopes are independent', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 5 }), retry: 0, timeout: false });
		const first = api.get('https://a.test/1').text();
		const controller = new AbortController();
		const aborted = api.get('https://a.test/2', { signal: controller.signal }).catch((error: unknown) => error);
		const timedOut = api.get('https://a.test/3', { timeout: 30 }).catch((error: unknown) => classify(error).code);
		const other = api.get('https://b.test/1').text(); // Another scope is not held behind a.test.
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(pending.map(({ request }) => request.url)).toEqual(['https://a.test/1', 'https://b.test/1']);
		controller.abort(new Error('left'));
		expect(await aborted).toEqual(new Error('left'));
		expect(await timedOut).toBe('TIMEOUT');
		for (const { release } of pending) {
			release();
		}

		expect(await first).toBe('ok');
		expect(await other).toBe('ok');
		expect(pending).toHaveLength(2); // Neither left call was ever sent.
	});

	it('a call whose signal is already aborted is rejected at once with its reason, never queued behind a hung request', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 5 }), retry: 0, timeout: false });
		const hung = api.get('https://api.test/hung').text();
		await expect.poll(() => pending).toHaveLength(1);
		const reason = new Error('the caller left');
		await expect(api.get('https://api.test/late', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 1, queued: 0, rejected: 0 } });
		// A waiting call whose signal aborts leaves at once, holding nothing: the next waiter still waits for the hung one.
		const controller = new AbortController();
		const leaving = api.get('https://api.test/leaving', { signal: controller.signal }).catch((error: unknown) => error);
		const next = api.get('https://api.test/next').text();
		await expect.poll(() => api.stats()['https://api.test']?.['bulkhead']).toMatchObject({ queued: 2 });
		controller.abort(reason);
		expect(await leaving).toBe(reason);
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 1, queued: 1 } });
		expect(pending).toHaveLength(1);
		pending[0]!.release();
		expect(await hung).toBe('ok');
		await expect.poll(() => pending).toHaveLength(2);
		expect(pending[1]!.request.url).toBe('https://api.test/next');
		pending[1]!.release();
		expect(await next).toBe('ok');
		expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 } });
	}, 2_000);

	it('a slot is held no longer than its attempt\'s deadline (timeout, bounded by totalTimeout): an attempt that never ends (its transport ignores the abort) does not hold it for ever', async () => {
		for (const deadline of [{ timeout: 100 }, { timeout: false, totalTimeout: 100 }] as const) {
			// `/stuck` never answers, whatever its signal says; the rest answer at once.
			const fetch = (async (request: Request) => new URL(request.url).pathname === '/stuck' ? new Promise<Response>(() => undefined) : new Response('ok')) as typeof globalThis.fetch;
			const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1 }), retry: 0, ...deadline });
			const stuck = api.get('https://api.test/stuck').catch((error: unknown) => classify(error).code);
			// Waits for the slot; gets it when the stuck attempt's deadline passes, well within its own.
			const waiting = api.get('https://api.test/waiting', { timeout: 2_000, totalTimeout: 2_000 }).text().catch((error: unknown) => classify(error).code);
			expect(await stuck, JSON.stringify(deadline)).toBe('TIMEOUT');
			expect(await waiting, JSON.stringify(deadline)).toBe('ok');
			expect(await api.get('https://api.test/after', { timeout: 2_000, totalTimeout: 2_000 }).text()).toBe('ok');
			expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 } });
			api.close();
		}
	}, 10_000);

	it('bad options are RangeErrors naming option and value; the preset builds it from plain options', () => {
		expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(/bulkhead\.maxConcurrent.*0/);
		expect(() => bulkhead({ maxQueue: -1 })).toThrow(/bulkhead\.maxQueue.*-1/);
		expect(() => bulkhead({ maxConcurrent: 1.5 })).toThrow(RangeError);
		expect(() => createPreset({ bulkhead: { maxConcurrent: 2 } as never })).toThrow(/`bulkhead` must be a policy \(from `steadfetch\/bulkhead`\)/);
		createPreset({ bulkhead: bulkhead({ maxConcurrent: 2 }) }).close();
	});
});

/**
 * The lane itself, on a wall clock stepped by hand (`Date.now`, which its deadlines are read on): what an attempt
 * that asks for a slot sees when the millisecond turns between its look at the slots and its wait.
 */
describe('bulkhead lane: a slot past its deadline whose attempt was aborted', () => {
	it('is taken back for a waiter that asked as its deadline passed (the millisecond turned between settle and wait)', async () => {
		let now = 999;
		const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
		try {
			const lane = new Lane(1, false);
			const attempt = new AbortController();
			const lease = lane.free(1_000, attempt.signal);
			expect(lease).toBeDefined();
			// ky's timer aborts the attempt a little before its deadline on this clock (one clock's ms against another's).
			attempt.abort();
			// The next attempt: the lane is settled (the slot is still within its deadline), no slot is free ...
			lane.settle();
			expect(lane.free(5_000, new AbortController().signal)).toBeUndefined();
			// ... and by the time it waits, the slot's deadline has passed: nothing will abort or release it again.
			now = 1_000;
			const given = lane.wait(5_000, new AbortController().signal, () => new Error('refused'), 'client');
			const outcome = await Promise.race([given.then(() => 'slot'), new Promise((resolve) => setTimeout(resolve, 1_000, 'still waiting'))]);
			expect(outcome).toBe('slot'); // before: 'still waiting' (until its own deadline: the next call's TIMEOUT)
		} finally {
			clock.mockRestore();
		}
	});
});
