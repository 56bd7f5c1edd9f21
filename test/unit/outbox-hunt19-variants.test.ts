/**
 * The outbox's listing after a reload over a store that failed: a write superseded (`coalesce`) whose key the store did
 * not delete is never sent (outbox-supersede-reload.test.ts) and is no longer shown either, by `list()`, `size()` or
 * `stats()`, before any pass removed it; and a superseding write the store refused for its quota supersedes nothing (API.md
 * "Outbox", "Conflicts, superseded writes and app updates", `OutboxFullError`: "what was queued stays").
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { OutboxFullError } from '../../src/errors/OutboxFullError.js';
import { failingDeletes, outboxOnStore, quota, refusingStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt19');
type Api = ReturnType<typeof onStore>['api'];

/** `method /items/1` with `json` (none for a DELETE), queued, then flushed while the transport is down (no replay in flight). */
const queue = async (api: Api, method: 'put' | 'patch' | 'delete', json?: object): Promise<void> => {
	await expect(api[method]('items/1', json && { json })).rejects.toBeInstanceOf(OutboxQueuedError);
	await api.outbox.flush();
};

/** What `api`'s outbox shows of its pending entries: `list()`'s ids, `size()`, `stats()`. */
const shown = async (api: Api) => [(await api.outbox.list()).map((each) => each.id), await api.outbox.size(), await api.outbox.stats()];

describe('a superseded write whose key the store did not delete is not shown after a reload', () => {
	it.each([
		['a PUT, then a PUT', 'put', { v: 1 }, 'put', { v: 2 }, 7],
		['a PATCH, then a PUT', 'patch', { v: 1 }, 'put', { v: 2 }, 7],
		['a PUT, then a DELETE', 'put', { v: 1 }, 'delete', undefined, 0],
		['a DELETE, then a DELETE', 'delete', undefined, 'delete', undefined, 0],
	] as const)('%s: list(), size() and stats() show the newer only, before any pass, as the first client does', async (_, first, one, second, two, bytes) => {
		const { store, refused, keys } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, first, one);
		refused.deletes = ['p|'];
		await queue(api, second, two);
		const [newer] = await api.outbox.list();
		const expected = [[newer!.id], 1, { entries: 1, dead: 0, bytes }];
		expect(await shown(api)).toEqual(expected);
		expect((await keys('p|')).length).toBe(2); // The older key is still in the store.
		api.close();
		// A reload (no `coalesce`: the record says what it replaced), transport down: nothing sent yet.
		const reload = onStore(store);
		// Before: [[older, newer], 2, { entries: 2, dead: 0, bytes: 14 }].
		expect(await shown(reload.api)).toEqual(expected);
		expect(reload.state.sent).toEqual([]);
		reload.api.close();
	});

	it('three generations while no delete lands: a reload shows {"v":3} only', async () => {
		const { store, refused } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = ['p|'];
		await queue(api, 'put', { v: 2 });
		await queue(api, 'put', { v: 3 });
		const [newest] = await api.outbox.list();
		api.close();
		const reload = onStore(store);
		// Before: three ids, 3, { entries: 3, … bytes: 21 }.
		expect(await shown(reload.api)).toEqual([[newest!.id], 1, { entries: 1, dead: 0, bytes: 7 }]);
		reload.api.close();
	});

	it('size() asked first (no list() before it) counts the newer only', async () => {
		const { store, refused } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = ['p|'];
		await queue(api, 'put', { v: 2 });
		api.close();
		const reload = onStore(store);
		expect(await reload.api.outbox.size()).toBe(1); // Before: 2.
		reload.api.close();
	});

	it('the superseding write buried (422) with the older key left: a reload shows no pending entry and one dead letter', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api, state } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = await keys('p|'); // The older entry's key only.
		await queue(api, 'put', { v: 2 });
		state.down = false;
		state.status = 422;
		await api.outbox.flush();
		api.close();
		const reload = onStore(store);
		expect(await shown(reload.api)).toEqual([[], 0, { entries: 0, dead: 1, bytes: 7 }]);
		expect((await reload.api.outbox.deadLetters()).length).toBe(1);
		reload.api.close();
	});

	it('another URL\'s entry queued between them is still shown, in its place', async () => {
		const { store, refused } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = ['p|'];
		await expect(api.put('items/2', { json: { w: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await queue(api, 'put', { v: 2 });
		const urls = (await api.outbox.list()).map((each) => `${each.url.slice(-7)} ${each.bodyBytes}`);
		api.close();
		const reload = onStore(store);
		expect(urls).toEqual(['items/2 7', 'items/1 7']);
		expect((await reload.api.outbox.list()).map((each) => `${each.url.slice(-7)} ${each.bodyBytes}`)).toEqual(urls);
		expect(await reload.api.outbox.size()).toBe(2);
		reload.api.close();
	});
});

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
