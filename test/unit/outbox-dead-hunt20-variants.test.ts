/**
 * Dead letters on a store that fails (API.md "Outbox": "A mutation the caller was told is queued reaches the server or a
 * dead-letter list the user can see"; "A crash, reload or clear() at any moment loses nothing it should keep and revives
 * nothing it removed"): what this client shows is what a reload (a new client on the same store) finds, and a write the
 * server rejected is never sent again.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { failingDeletes, outboxOnStore, refusingStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('dead-hunt20');
type Client = ReturnType<typeof onStore>;

/** `PUT /todos/1` queued offline, then answered 400 by a flush: a dead letter ('rejected'). Its entry id. */
const deadLetter = async ({ api, state }: Client): Promise<string> => {
	state.offline = true;
	const id = await api.put('todos/1', { json: { v: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
	state.offline = false;
	state.down = false;
	state.status = 400;
	expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
	return id;
};

/** What `api`'s outbox shows: pending ids, dead letters' ids, `stats()`' entries and dead. */
const shown = async ({ api }: Client) => {
	const stats = await api.outbox.stats();
	return [(await api.outbox.list()).map((each) => each.id), (await api.outbox.deadLetters()).map((each) => each.id), stats.entries, stats.dead];
};

const puts = ({ state }: Client): number => state.sent.filter((each) => each.line === 'PUT /todos/1').length;

describe('a dead letter whose own dead key the store refuses: a reload finds it dead (or buries it), never sends it again', () => {
	it('a reload on the same store sends nothing and lists it as a dead letter after its pass', async () => {
		const { store, keys } = refusingStore('dead-refused', ['d|'], () => new Error('disk I/O error'));
		const client = onStore(store);
		const id = await deadLetter(client);
		expect(await shown(client)).toEqual([[], [id], 0, 1]);
		expect(puts(client)).toBe(2);
		client.api.close();
		const reload = onStore(store);
		reload.state.down = false;
		reload.state.status = 400;
		const flushed = await reload.api.outbox.flush();
		// Before: { sent: 0, dead: 1 } after the 400 of a second replay (puts 1): the rejected write went out again.
		expect([puts(reload), flushed]).toEqual([0, { sent: 0, failed: 0, dead: 1, remaining: 0 }]);
		expect((await reload.api.outbox.deadLetters()).map((each) => [each.id, each.deadReason])).toEqual([[id, 'rejected']]);
		expect((await keys('p|')).length).toBe(1); // The store still refuses its dead key: kept in memory, its pending key says dead.
		reload.api.close();
	});

	it('once the store takes its dead key, the pending key goes with it', async () => {
		const refused = ['d|'];
		const { store, keys } = refusingStore('dead-refused-later', refused, () => new Error('disk I/O error'));
		const client = onStore(store);
		const id = await deadLetter(client);
		refused.length = 0;
		// The next write (queued, then another dead letter) writes the kept one again.
		client.state.offline = true;
		await expect(client.api.put('todos/2', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		client.state.offline = false;
		await client.api.outbox.flush();
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([0, 2]);
		client.api.close();
		const reload = onStore(store);
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect([puts(reload), (await reload.api.outbox.deadLetters()).map((each) => each.id).includes(id)]).toEqual([0, true]);
		reload.api.close();
	});
});

const removals = [
	['discard(id)', async ({ api }: Client, id: string) => api.outbox.discard(id)],
	['outbox.clear()', async ({ api }: Client) => api.outbox.clear()],
	['client.clear()', async ({ api }: Client) => api.clear()],
] as const;

describe('a removal of a dead letter whose dead key the store does not delete: it rejects, and the dead letter is shown here as at a reload', () => {
	it.each(removals)('%s', async (_, remove) => {
		const { store, refused, keys } = failingDeletes();
		const client = onStore(store);
		const id = await deadLetter(client);
		refused.deletes = ['d|'];
		await expect(remove(client, id)).rejects.toThrow('disk I/O error');
		expect((await keys('d|')).length).toBe(1);
		// Before: [[], [], 0, 0] here, while the reload below listed it.
		expect(await shown(client)).toEqual([[], [id], 0, 1]);
		client.api.close();
		const reload = onStore(store);
		expect(await shown(reload)).toEqual([[], [id], 0, 1]);
		// Asked again once the store deletes: removed.
		refused.deletes = [];
		await remove(reload, id);
		expect([await shown(reload), await keys('')]).toEqual([[[], [], 0, 0], []]);
		reload.api.close();
	});

	it('retry(id) after the refused discard brings it back pending (not OUTBOX_NOT_FOUND), sent once', async () => {
		const { store, refused, keys } = failingDeletes();
		const client = onStore(store);
		const id = await deadLetter(client);
		refused.deletes = ['d|'];
		await expect(client.api.outbox.discard(id)).rejects.toThrow('disk I/O error');
		refused.deletes = [];
		await client.api.outbox.retry(id);
		client.state.status = 200;
		expect(await client.api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect([puts(client), await keys('')]).toEqual([3, []]);
		client.api.close();
	});
});
