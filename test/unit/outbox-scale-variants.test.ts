/**
 * Defect hunt, fifth round (K): a write's cost stays flat as the outbox grows to 10,000 entries, with
 * `coalesce` too. The pending keys' ids are counted as they are read (round 4's PendingKeys check, here
 * through the queue: `parseKey` gives keys whose `id` counts), and the store's reads by a spy.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { fakeWindow, spyStore, startHarness, until, type Harness } from './outbox-helpers.js';

/** Reads of a pending key's `id` (every key the queue parses counts them). */
const idReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/outbox/record.js', async (original) => {
	const actual = await original<typeof import('../../src/outbox/record.js')>();
	return {
		...actual,
		parseKey: (key: string) => {
			const parsed = actual.parseKey(key);
			if (!parsed) {
				return parsed;
			}

			const { id, ...rest } = parsed;
			return { ...rest, get id() { idReads.count++; return id; } };
		},
	};
});

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
});
afterEach(async () => {
	win.restore();
	await h.close();
});

const queued = async (promise: Promise<unknown>): Promise<string> => {
	const error = await promise.then(() => undefined, (caught: unknown) => caught);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	return (error as OutboxQueuedError).entryId;
};

describe('outbox at 10,000 pending entries (defect hunt, fifth round)', () => {
	it('a coalescing PUT after a reload reads no other URL\'s entry and looks at no other entry: its cost is flat', async () => {
		win.setOnline(false, false);
		const options = { coalesce: true, maxEntries: 20_000 };
		const first = h.make({ outbox: options });
		await queued(first.put('todos/0', { json: { n: 0 } }));
		const [key] = await h.store.keys();
		const scope = key!.split('|')[4]!;
		const record = await h.store.get(key!) as { createdAt: number };
		first.close();
		// 10,000 writes queued before the reload, each to its own URL (one a later write supersedes).
		for (let index = 1; index <= 10_000; index++) {
			const at = record.createdAt - 20_000 + index;
			await h.store.set(`p|${String(at).padStart(15, '0')}|000000|seed-${index}|${scope}`, { ...record, id: `seed-${index}`, idempotencyKey: `seed-${index}`, url: `${h.api.url}/todos/${index}`, createdAt: at, nextAttemptAt: at });
		}

		let reads = 0;
		const counted = spyStore(h.store, {
			get: async (_key, run) => {
				reads++;
				return run();
			},
		});
		const api = h.make({ store: () => counted, outbox: options });
		// The client's start reads every entry once (to count the pending writes per URL).
		await until(async () => reads >= 10_001, 20_000);
		await until(async () => (await api.outbox.size()) === 10_001, 20_000);
		reads = 0;
		idReads.count = 0;
		await queued(api.put('todos/77', { json: { n: 1 } }));
		// The entry it supersedes, and the scope's oldest (whether the write waits behind it): 10,001 reads before.
		expect({ reads, ids: idReads.count < 50 }).toEqual({ reads: 2, ids: true });
		reads = 0;
		idReads.count = 0;
		await queued(api.put('todos/78', { json: { n: 1 } }));
		expect({ reads, ids: idReads.count < 50 }).toEqual({ reads: 1, ids: true });
		const ids = (await api.outbox.list()).map((each) => each.id);
		expect([ids.length, ids.includes('seed-77'), ids.includes('seed-78'), ids.includes('seed-79')]).toEqual([10_001, false, false, true]);
	}, 60_000);
});
