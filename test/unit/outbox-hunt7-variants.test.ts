/**
 * Seventh round's variants of the outbox on a failing store (API.md "Queued writes survive the
 * isolate": "the check costs at most one `keys()` of the store per scope per 10 s (besides what a
 * drain itself reads)"; the Standards: storage failures never fail or stall a request).
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { harnessEachTest, spyStore } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe('a store whose keys() fails', () => {
	it('is listed at most once per 10 s by the writes queued on it, a failed listing counting as that listing', async () => {
		let listings = 0;
		const store = spyStore(h.store, {
			async keys() {
				listings++;
				throw new Error('The store is down');
			},
		});
		const api = h.make({ store: () => store });
		const errors = h.record(api, 'storage:error');
		await api.get('json?id=ok');
		const before = listings;
		expect(before).toBeGreaterThan(0);
		win.setOnline(false, false);
		for (let index = 0; index < 5; index++) {
			await expect(api.post(`mutate?id=failing-keys-${index}`, { json: { index } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		expect(errors.length).toBeGreaterThan(0);
		// At most the drain's own try after its backoff (1 s) on a slow machine.
		expect(listings - before).toBeLessThanOrEqual(1);
		const quiet = listings;
		h.clock.advance(10_001);
		await expect(api.post('mutate?id=failing-keys-later', { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
		expect(listings - quiet).toBeGreaterThan(0); // Listed again once the 10 s passed.
		expect((await api.outbox.list()).length).toBe(6); // Every write kept (in memory while the store cannot list).
	});
});
