/**
 * Defect hunt, thirteenth round (U): offline writes for real apps, at any queue length — what the
 * outbox says it holds (API.md "Outbox": `size()` "pending entries", `stats()` `entries`), the
 * neighbours of the stored records read back defensively. ManualClock, random 0.5, the real loopback API.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { harnessEachTest, type Harness } from './outbox-helpers.js';

let h: Harness;
harnessEachTest((started) => {
	h = started;
});

/** The store key of a pending record of `scope` queued at `createdAt` (record.ts `makeKey`). */
const pendingKey = (createdAt: number, id: string, scope: string): string => `p|${String(createdAt).padStart(15, '0')}|000000|${id}|${encodeURIComponent(scope)}`;

describe('size() and stats() count the same pending entries', () => {
	it('a pending record the outbox cannot read (damaged, or holding a header it never stores) is counted by stats() as by size(), before a pass reaches it', async () => {
		const api = h.make({ outbox: { baseBackoffMs: 600_000 } });
		// The scope's head waits for its backoff: no pass reads the records behind it.
		await expect(api.post('mutate?id=head&fail=503&times=1', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const scope = new URL(h.api.url).origin;
		const [head] = await api.outbox.list();
		await h.store.set(pendingKey(head!.createdAt + 1, 'damaged', scope), { v: 1, garbage: true });
		await h.store.set(pendingKey(head!.createdAt + 2, 'junk', scope), 'junk');
		await h.store.set(pendingKey(head!.createdAt + 3, 'secret', scope), { ...(await h.store.get<Record<string, unknown>>((await h.store.keys()).find((key) => key.startsWith('p|'))!)), id: 'secret', headers: { authorization: 'Bearer stolen' } });
		const size = await api.outbox.size();
		// Before: size() 4, stats() { entries: 1 }: the three unreadable records counted by one and not the other.
		expect([size, (await api.outbox.stats()).entries]).toEqual([4, 4]);
		// Once a pass reached them (the head delivered), dead letters (`'rejected'`, `Unreadable`), counted as such by both.
		await api.outbox.flush();
		expect([await api.outbox.size(), await api.outbox.stats(), (await api.outbox.deadLetters()).length]).toEqual([0, { entries: 0, dead: 3, bytes: 0 }, 3]);
	});
});
