/**
 * Defect hunt, thirty-second round (the outbox): a reload's drain hurries what earlier pages left, never a write the
 * page's own clients queued — also one of the millisecond the client started in (a clock that does not move).
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { harnessEachTest, queued } from './outbox-helpers.js';

const { h } = harnessEachTest();

describe('outbox hunt 32: a reload\'s drain and a write of the same millisecond', () => {
	it('a write this page queued in the millisecond it started (a clock that does not move) keeps its backoff', async () => {
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 400 } });
		const mine = await queued(page.post('mutate?id=same&fail=503&times=1', { json: {} }));
		const before = Date.now();
		await waitFor(() => Date.now() - before > 600, 'the reload\'s wait over');
		// Before: 2 (the reload's drain, 200 ms on, replayed it: its createdAt was the page's start).
		expect(h.sentOf('same').length).toBe(1);
		expect((await page.outbox.list()).map((entry) => [entry.id, entry.attempts])).toEqual([[mine, 1]]);
	});
});

describe('outbox hunt 32: extend() in a page is no reload', () => {
	it('the reload\'s drain tried what an earlier page left and it failed again: a client extend() makes later does not replay it again at once', async () => {
		const first = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(first.post('mutate?id=prev&fail=503&times=2', { json: {} }));
		first.close();
		h.clock.advance(1);
		const page = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await waitFor(async () => (await page.outbox.list())[0]?.attempts === 2, 'the reload\'s drain replayed it, and it failed again');
		h.clock.advance(1);
		page.extend({ headers: { 'x-part': 'admin' } });
		const before = Date.now();
		await waitFor(() => Date.now() - before > 600, 'the extended client\'s start over');
		// Before: 3 (the extended client's start drained as a reload's, making the entry due whatever its backoff).
		expect(h.sentOf('prev').length).toBe(2);
		expect((await page.outbox.list()).map((entry) => entry.attempts)).toEqual([2]);
	});

	it('nor a write the page queued before it', async () => {
		const page = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await new Promise((resolve) => setTimeout(resolve, 50)); // The page's own start drain is over.
		h.clock.advance(1);
		await queued(page.post('mutate?id=parent&fail=503&times=1', { json: {} }));
		h.clock.advance(1);
		page.extend({ headers: { 'x-part': 'admin' } });
		const before = Date.now();
		await waitFor(() => Date.now() - before > 600, 'the extended client\'s start over');
		expect(h.sentOf('parent').length).toBe(1);
	});
});

describe('outbox hunt 32: a flush() during the reload\'s wait', () => {
	it('replays what an earlier page left, which fails again: the reload\'s drain after the wait does not replay it again at once', async () => {
		const first = h.make({ outbox: { baseBackoffMs: 60_000 } });
		await queued(first.post('mutate?id=twice&fail=503&times=2', { json: {} }));
		first.close();
		h.clock.advance(1);
		const page = h.make({ outbox: { baseBackoffMs: 60_000, resumeJitterMs: 400 } });
		await new Promise((resolve) => setTimeout(resolve, 20)); // The client's start timer fired: its drain waits 200 ms.
		expect(await page.outbox.flush()).toMatchObject({ sent: 0, failed: 1, remaining: 1 });
		const before = Date.now();
		await waitFor(() => Date.now() - before > 600, 'the reload\'s wait over');
		// Before: 3 (the reload's drain made the entry the flush had just tried due again, whatever its backoff).
		expect(h.sentOf('twice').length).toBe(2);
		expect((await page.outbox.list()).map((entry) => entry.attempts)).toEqual([2]);
	});
});
