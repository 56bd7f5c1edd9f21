/**
 * Variants of the outbox's claims (defect hunt, third round): what the caller was told is queued
 * reaches the server or a dead letter; nothing removed comes back; nothing kept is lost.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { fakeWindow, startHarness, type Harness } from './outbox-helpers.js';

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

const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('a coalescing write that is not stored supersedes nothing', () => {
	it('a PUT whose identity changed before it was stored (never queued) leaves the queued PUT of the same URL pending', async () => {
		let who = 'ann';
		let switchNow = false;
		const api = h.make({
			identity: () => who, outbox: { coalesce: true },
			hooks: { beforeRequest: [() => {
				if (switchNow) {
					who = 'bob'; // The user switches while the second PUT is on its way.
				}
			}] },
		});
		win.setOnline(false);
		const first = await caught(api.put('mutate?id=c1', { json: { n: 1 } }));
		expect(first).toBeInstanceOf(OutboxQueuedError);
		switchNow = true;
		const second = await caught(api.put('mutate?id=c1', { json: { n: 2 } }));
		expect(second).not.toBeInstanceOf(OutboxQueuedError); // Not stored: the caller gets its failure.
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([(first as OutboxQueuedError).entryId]);
	});
});
