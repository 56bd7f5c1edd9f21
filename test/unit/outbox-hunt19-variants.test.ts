/**
 * The outbox over a store that failed: a superseding write the store refused for its quota supersedes nothing (API.md
 * "Conflicts, superseded writes and app updates", `OutboxFullError`: "what was queued stays").
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { OutboxFullError } from '../../src/errors/OutboxFullError.js';
import { outboxOnStore, quota, refusingStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt19');
type Api = ReturnType<typeof onStore>['api'];

/** `method /items/1` with `json` (none for a DELETE), queued, then flushed while the transport is down (no replay in flight). */
const queue = async (api: Api, method: 'put' | 'patch' | 'delete', json?: object): Promise<void> => {
	await expect(api[method]('items/1', json && { json })).rejects.toBeInstanceOf(OutboxQueuedError);
	await api.outbox.flush();
};

/** What `api`'s outbox shows of its pending entries: `list()`'s ids, `size()`, `stats()`. */
const shown = async (api: Api) => [(await api.outbox.list()).map((each) => each.id), await api.outbox.size(), await api.outbox.stats()];

describe('a superseding write the store refused for its quota (OutboxFullError) supersedes nothing, in this client\'s passes too', () => {
	/** A client over a store that refuses new pending keys for its quota while `full.on`; `{"v":1}` queued, `{"v":2}` refused. */
	const refusedPut = async (through: (api: Api) => Api = (api) => api) => {
		const full = { on: false };
		const { store, keys } = refusingStore('hunt19-quota', ['p|'], () => full.on ? quota() : undefined);
		const { api, state } = onStore(store, { coalesce: true });
		const told: string[] = [];
		api.on('outbox:superseded', (event) => told.push(event.entryId));
		await queue(api, 'put', { v: 1 });
		const [first] = await api.outbox.list();
		full.on = true;
		await expect(api.put('items/1', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxFullError);
		full.on = false;
		state.down = false;
		state.sent.length = 0;
		const flushed = await through(api).outbox.flush();
		return { api, state, told, first: first!.id, flushed, keys };
	};

	it('the next pass sends {"v":1} (what was queued stays): no outbox:superseded, nothing lost', async () => {
		const { api, state, told, flushed, keys } = await refusedPut();
		// Before: { sent: 0 … }, [], told [<{"v":1}'s id>], the store empty: the write the caller was told queued, dropped.
		expect([flushed.sent, state.sent.map((each) => `${each.line} ${each.body}`), told, await keys('p|')]).toEqual([1, ['PUT /items/1 {"v":1}'], [], []]);
		api.close();
	});

	it('listed and counted until then', async () => {
		const full = { on: false };
		const { store } = refusingStore('hunt19-quota-list', ['p|'], () => full.on ? quota() : undefined);
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		const [first] = await api.outbox.list();
		full.on = true;
		await expect(api.put('items/1', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxFullError);
		expect(await shown(api)).toEqual([[first!.id], 1, { entries: 1, dead: 0, bytes: 7 }]);
		api.close();
	});

	it('flushed through another client of the name (extend()): the same', async () => {
		const { api, state, told } = await refusedPut((client) => client.extend({ headers: { 'x-view': 'other' } }) as unknown as Api);
		expect([state.sent.map((each) => `${each.line} ${each.body}`), told]).toEqual([['PUT /items/1 {"v":1}'], []]);
		api.close();
	});
});
