/**
 * After `close()` (API.md "Client", issue 33): no replay starts, and a pending `onConflict` or
 * `migrate` is not waited for — its entry stays as it was, for the next client of the name.
 * (That the process can then exit: outbox-exit.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { gate, until, harnessEachTest, queueOffline, holdingRecordReads } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

describe('close()', () => {
	it('a pending onConflict is not waited for: the drain ends at once, the entry stays as it was', async () => {
		const deciding = gate();
		const api = h.make({
			outbox: { onConflict: async () => {
				deciding.open();
				return new Promise<never>(() => undefined); // never answers
			} },
		});
		const events = h.record(api, 'outbox:dead', 'outbox:retry', 'outbox:discarded');
		const entry = await queueOffline(win, api, async () => api.put('doc?id=close-conflict', { body: 'mine', headers: { 'If-Match': '"v0"' } }));
		let settled = false;
		void api.outbox.flush().finally(() => {
			settled = true;
		});
		await deciding.wait;
		api.close();
		await until(() => settled, 3000); // before: after onConflict's 10 s limit
		expect(events).toEqual([]);
		const next = h.make({ outbox: true });
		expect(await next.outbox.list()).toEqual([entry]);
		expect(await next.outbox.deadLetters()).toEqual([]);
	});

	it('a pending migrate is not waited for: the entry stays as it was', async () => {
		const writer = h.make({ outbox: true });
		const entry = await queueOffline(win, writer, async () => writer.put('doc?id=close-migrate', { body: 'v1' }));
		writer.close();
		const migrating = gate();
		win.setOnline(false, false);
		const api = h.make({
			outbox: { version: 2, migrate: async () => {
				migrating.open();
				return new Promise<never>(() => undefined);
			} },
		});
		win.setOnline(true, false);
		let settled = false;
		void api.outbox.flush().finally(() => {
			settled = true;
		});
		await migrating.wait;
		api.close();
		await until(() => settled, 3000);
		const next = h.make({ outbox: true });
		expect(await next.outbox.list()).toEqual([entry]);
	});

	it('no replay starts after it, though the drain had read the next entry', async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store);
		const api = h.make({ outbox: true, store: () => store });
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=close-next'));
		holdNextRead();
		const flushing = api.outbox.flush();
		await reading.wait;
		api.close();
		resume.open();
		await flushing;
		expect(h.seen.filter((request) => request.url.includes('close-next'))).toEqual([]);
		expect(await h.make({ outbox: true }).outbox.list()).toEqual([entry]);
	});
});
