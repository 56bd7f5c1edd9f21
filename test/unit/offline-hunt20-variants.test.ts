/**
 * Offline writes for real apps (API.md "Offline writes for real apps", "Superseded writes"), defect hunt,
 * twentieth round: a write superseded (`coalesce`) while its record, a file, is still being written to
 * the store. Its caller is told it is queued (it was stored), but it left the queue before that: it is
 * no longer counted pending (read your own writes: `pending-writes=N`) nor told `outbox:queued` after
 * its `outbox:superseded`; the superseding write alone is sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, OutboxQueuedError, staleCache } from '../../src/entries/index.js';
import { fakeWindow, gate, spyStore, startHarness, throwIfOffline, until, type Harness } from './outbox-helpers.js';

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

/**
 * A client with a stale cache and `coalesce` whose store holds the write of the first pending record
 * with a 5-byte body until `stored.open()` (`storing` opens as it starts); its transport answers a GET
 * `{ file: 1 }`, records each write's bytes in `sent`, and fails while `down` or offline.
 */
const slowFileStore = () => {
	const storing = gate();
	const stored = gate();
	let hold = true;
	const store = spyStore(memoryStore('hunt20-offline'), {
		async set(key, value, run) {
			if (hold && key.startsWith('p|') && (value as { body?: ArrayBuffer }).body?.byteLength === 5) {
				hold = false;
				storing.open();
				await stored.wait;
			}

			return run();
		},
	});
	const sent: number[][] = [];
	const state = { down: false };
	const api = h.make({
		store: () => store, staleCache: staleCache(), outbox: { coalesce: true },
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			throwIfOffline();
			if (state.down) {
				throw new TypeError('Failed to fetch');
			}

			const request = input as Request;
			if (request.method === 'GET') {
				return Response.json({ file: 1 });
			}

			sent.push([...new Uint8Array(await request.arrayBuffer())]);
			return Response.json({ ok: true });
		},
	});
	return { api, storing, stored, sent, state };
};

describe('a write superseded while its file is being stored (coalesce)', () => {
	it('is no longer counted pending, nor told queued after it was superseded; only the superseding write is sent', async () => {
		const { api, storing, stored, sent, state } = slowFileStore();
		const events = h.record(api, 'outbox:queued', 'outbox:superseded');
		await api.get('files/1').json(); // A copy of the URL, for its stale answers.
		win.setOnline(false, false);
		const first = queued(api.put('files/1', { body: new Blob([new Uint8Array([1, 2, 3, 4, 5])], { type: 'image/png' }) }));
		await storing.wait;
		const second = queued(api.put('files/1', { body: new Blob([new Uint8Array([9, 9])], { type: 'image/png' }) }));
		await until(() => events.some((event) => event.type === 'outbox:superseded'));
		stored.open();
		const [one, two] = await Promise.all([first, second]);
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([two]);
		// Before: ['outbox:superseded', one], ['outbox:queued', two], ['outbox:queued', one] — told queued after it was gone.
		expect(events.map((event) => [event.type, (event as { entryId?: string }).entryId])).toEqual([['outbox:superseded', one], ['outbox:queued', two]]);
		win.setOnline(true, false);
		state.down = true;
		// Before: pending-writes=2 where one write is pending.
		expect((await api.get('files/1')).headers.get('cache-status')).toMatch(/; pending-writes=1$/);
		state.down = false;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent).toEqual([[9, 9]]);
		await api.get('files/1').json(); // A copy stored after the delivery (the older one was dropped with it).
		state.down = true;
		// Before: pending-writes=1 once the only pending write was delivered (the superseded one counted for ever).
		await expect.poll(async () => (await api.get('files/1')).headers.get('cache-status')).toMatch(/detail=network$/);
	});
});
