/**
 * Sixth round's variants of work bound to who started it, and offline writes for real apps (API.md
 * "Identity", "Work that outlives its caller", "Offline writes for real apps").
 */
import { describe, expect, it } from 'vitest';
import { harnessEachTest, holdingRecordReads, queueOffline, withoutLocks, type FakeWindow, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: FakeWindow;
harnessEachTest((started, fake) => {
	h = started;
	win = fake;
});

/** Requests for `id` that reached the transport. */
const sent = (id: string) => h.seen.filter((request) => request.url.includes(`id=${id}`) && request.method !== 'GET');

describe.each([['with Web Locks', false], ['without Web Locks (as workerd)', true]] as const)('clear({ identity }) (%s)', (_name, noLocks) => {
	const run = async (task: () => Promise<void>) => (noLocks ? withoutLocks(task) : task());

	it('retry(id) of ann\'s dead letter while bob is signed in, racing clear({ identity: \'ann\' }): it does not come back', async () => run(async () => {
		const { store, reading, resume, holdNextRead } = holdingRecordReads(h.store, 'd|');
		let who = 'ann';
		const api = h.make({ identity: () => who, outbox: true, store: () => store });
		const entry = await queueOffline(win, api, async () => api.post('status/400?id=revive-ann'));
		await api.outbox.flush();
		expect(await api.outbox.deadLetters()).toHaveLength(1);
		who = 'bob';
		holdNextRead();
		const retrying = api.outbox.retry(entry.id).catch((error: unknown) => error);
		await reading.wait;
		await api.clear({ identity: 'ann' });
		resume.open();
		await retrying;
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		who = 'ann';
		await api.outbox.flush();
		expect(sent('revive-ann')).toHaveLength(1);
	}));
});
