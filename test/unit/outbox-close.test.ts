/**
 * After `close()` (API.md "Client", issue 33): no replay starts, and a pending `onConflict` or
 * `migrate` is not waited for — its entry stays as it was, for the next client of the name.
 * (That the process can then exit: outbox-exit.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/entries/index.js';
import { gate, spyStore, until, type Harness, harnessEachTest, type FakeWindow } from './outbox-helpers.js';

let h: Harness;
let win: FakeWindow;
harnessEachTest((started, fake) => {
	h = started;
	win = fake;
});

const queueOffline = async (api: ReturnType<Harness['make']>, run: () => Promise<unknown>): Promise<OutboxEntry> => {
	win.setOnline(false, false);
	const { entryId } = await run().then(() => ({ entryId: 'not queued' }), (error: { entryId: string }) => error);
	const entry = (await api.outbox.list()).find(({ id }) => id === entryId);
	expect(entry).toBeDefined();
	win.setOnline(true, false);
	return entry!;
};

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
		const entry = await queueOffline(api, async () => api.put('doc?id=close-conflict', { body: 'mine', headers: { 'If-Match': '"v0"' } }));
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
		const entry = await queueOffline(writer, async () => writer.put('doc?id=close-migrate', { body: 'v1' }));
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
		const reading = gate();
		const resume = gate();
		let pause = false;
		const store = spyStore(h.store, {
			async get(key, read) {
				const value = await read();
				if (pause && key.startsWith('p|')) {
					pause = false;
					reading.open();
					await resume.wait;
				}

				return value;
			},
		});
		const api = h.make({ outbox: true, store: () => store });
		const entry = await queueOffline(api, async () => api.post('mutate?id=close-next'));
		pause = true;
		const flushing = api.outbox.flush();
		await reading.wait;
		api.close();
		resume.open();
		await flushing;
		expect(h.seen.filter((request) => request.url.includes('close-next'))).toEqual([]);
		expect(await h.make({ outbox: true }).outbox.list()).toEqual([entry]);
	});
});
