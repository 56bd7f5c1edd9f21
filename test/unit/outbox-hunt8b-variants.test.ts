/**
 * Defect hunt, eighth round, second pass (V): offline writes at any queue length — variants of
 * `maxAttempts` (README: "Attempts of one entry that reached the network (the original call, when it
 * did, counts as the first) before it becomes a dead letter (`max-attempts`)"). ManualClock, random 0.5,
 * the real loopback API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { startHarness, type Harness } from './outbox-helpers.js';

let h: Harness;
beforeEach(async () => {
	h = await startHarness();
});
afterEach(async () => h.close());

describe('maxAttempts counts the attempts an entry already made', () => {
	it('maxAttempts: 1 — the call\'s own attempt was the one: the entry is a dead letter at the next pass, never sent again', async () => {
		const api = h.make({ outbox: { maxAttempts: 1 } });
		const dead = h.record(api, 'outbox:dead');
		const error = await api.post('mutate?id=one&fail=503', { json: { n: 1 } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		expect(h.sentOf('one')).toHaveLength(1);
		h.clock.advance(500);
		const result = await api.outbox.flush();
		// Before: a second attempt went out (503 again), then it was buried with attempts 2.
		expect({ sent: h.sentOf('one').length, result }).toEqual({ sent: 1, result: { sent: 0, failed: 0, dead: 1, remaining: 0 } });
		expect(await api.outbox.deadLetters()).toMatchObject([{ id: (error as OutboxQueuedError).entryId, attempts: 1, deadReason: 'max-attempts', lastError: { code: 'HTTP_5XX', status: 503 } }]);
		expect(dead).toMatchObject([{ deadReason: 'max-attempts', code: 'HTTP_5XX', attempts: 1 }]);
	});

	it('an app update that lowers maxAttempts: an entry whose stored attempts reached it is a dead letter, not sent once more', async () => {
		const before = h.make({ outbox: { maxAttempts: 20 } });
		await expect(before.post('mutate?id=lower&fail=503', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		before.close();
		const [key] = (await h.store.keys()).filter((each) => each.startsWith('p|'));
		await h.store.set(key!, { ...await h.store.get<object>(key!), attempts: 5 });
		const after = h.make({ outbox: { maxAttempts: 3 } });
		h.clock.advance(60_000);
		expect(await after.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		// Before: a sixth attempt went out at maxAttempts 3.
		expect(h.sentOf('lower')).toHaveLength(1);
		expect(await after.outbox.deadLetters()).toMatchObject([{ attempts: 5, deadReason: 'max-attempts' }]);
	});
});
