/**
 * Defect hunt, thirteenth round, second pass (Y): the outbox's stored write and the app's hooks —
 * what `list()` shows of the pending records (API.md "Outbox": `list()` "pending, oldest first", as
 * many as `size()` counts), what an `init` hook that throws does to a replay. ManualClock, random 0.5,
 * the real loopback API.
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

describe('list() shows every pending entry size() counts', () => {
	it('a pending record the outbox cannot read is listed as its dead letter will be (no method, no URL, lastError Unreadable), before a pass reaches it', async () => {
		const api = h.make({ outbox: { baseBackoffMs: 600_000 } });
		// The scope's head waits for its backoff: no pass reads the records behind it.
		await expect(api.post('mutate?id=head&fail=503&times=1', { json: { n: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const scope = new URL(h.api.url).origin;
		const [head] = await api.outbox.list();
		await h.store.set(pendingKey(head!.createdAt + 1, 'damaged', scope), { v: 1, garbage: true });
		await h.store.set(pendingKey(head!.createdAt + 2, 'junk', scope), 'junk');
		await h.store.set(pendingKey(head!.createdAt + 3, 'secret', scope), { ...(await h.store.get<Record<string, unknown>>((await h.store.keys()).find((key) => key.startsWith('p|'))!)), id: 'secret', headers: { authorization: 'Bearer stolen' } });
		const listed = await api.outbox.list();
		// Before: size() 4, list() [head]: the three unreadable records counted by one and not shown by the other.
		expect([await api.outbox.size(), listed.map((entry) => entry.id)]).toEqual([4, [head!.id, 'damaged', 'junk', 'secret']]);
		for (const entry of listed.slice(1)) {
			expect(entry).toMatchObject({ method: '', url: '', headers: {}, idempotencyKey: entry.id, attempts: 0, bodyBytes: 0, version: 1, lastError: { code: 'INVALID_REQUEST', message: 'Unreadable' } });
			expect(JSON.stringify(entry)).not.toContain('stolen');
		}

		// Once a pass reached them: dead letters shown the same way (`'rejected'`), none pending.
		await api.outbox.flush();
		const dead = await api.outbox.deadLetters();
		expect([await api.outbox.list(), dead.map((entry) => [entry.id, entry.method, entry.url, entry.lastError?.message, entry.deadReason])]).toEqual([[], [
			['damaged', '', '', 'Unreadable', 'rejected'], ['junk', '', '', 'Unreadable', 'rejected'], ['secret', '', '', 'Unreadable', 'rejected'],
		]]);
	});
});
