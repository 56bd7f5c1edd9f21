/**
 * Superseded writes (`coalesce`) against a store that fails or stalls the delete of the older entry's key, followed by
 * a reload (a second client on the same store): a write the outbox told the app was superseded (`outbox:superseded`) is
 * never sent, whatever becomes of the write that replaced it; the newer one is (API.md "Conflicts, superseded writes and
 * app updates", and "Outbox": a reload at any moment revives nothing it removed).
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { failingDeletes, outboxOnStore, type Sent } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('supersede');
type Api = ReturnType<typeof onStore>['api'];

/**
 * `method /items/1` with `json` (none for a DELETE), queued: the caller is told so. Then flushed while the transport is
 * down, so no pass the queuing started has it in flight when the next write comes (a write whose replay started is never superseded).
 */
const queue = async (api: Api, method: 'put' | 'patch' | 'delete', json?: object): Promise<void> => {
	await expect(api[method]('items/1', json && { json })).rejects.toBeInstanceOf(OutboxQueuedError);
	await api.outbox.flush();
};

/** The entry ids `api` tells `outbox:superseded`, as they come. */
const superseded = (api: Api): string[] => {
	const ids: string[] = [];
	api.on('outbox:superseded', (event) => ids.push(event.entryId));
	return ids;
};

/** What a transport was sent, as `METHOD /path body`. */
const lines = (sent: Sent[]): string[] => sent.map((each) => `${each.line} ${each.body}`.trim());

/** A reload (a client of no `coalesce`: it is the record that says what was superseded) with its transport up, flushed once. */
const reloaded = async (store: Parameters<typeof onStore>[0], more: Parameters<typeof onStore>[1] = {}) => {
	const reload = onStore(store, more);
	const told = superseded(reload.api);
	reload.state.down = false;
	await reload.api.outbox.flush();
	return { ...reload, told };
};

describe('a PUT superseded while the store fails to delete its key is never sent after a reload', () => {
	it('the reload sends {"v":2} only and tells {"v":1} superseded; until the store deletes again it keeps the newer key, then nothing comes back', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		const told = superseded(api);
		await queue(api, 'put', { v: 1 });
		const [older] = await api.outbox.list();
		refused.deletes = ['p|'];
		await queue(api, 'put', { v: 2 });
		expect([told, (await api.outbox.list()).length, (await keys('p|')).length]).toEqual([[older!.id], 1, 2]);
		api.close();
		const reload = await reloaded(store);
		// Before: ['PUT /items/1 {"v":1}', 'PUT /items/1 {"v":2}']: the write told superseded went out first.
		expect(lines(reload.state.sent)).toEqual(['PUT /items/1 {"v":2}']);
		expect([reload.told, await reload.api.outbox.list(), await reload.api.outbox.deadLetters()]).toEqual([[older!.id], [], []]);
		const key = reload.state.sent[0]!.key;
		reload.api.close();
		// The store deleted nothing: the newer entry's key waits for the older's delete (a reload replays it, never the older).
		expect((await keys('p|')).length).toBe(2);
		refused.deletes = [];
		const again = await reloaded(store);
		expect(again.state.sent.map((each) => [each.line, each.key, each.body])).toEqual([['PUT /items/1', key, '{"v":2}']]);
		again.api.close();
		const last = await reloaded(store);
		expect([last.state.sent, await keys('p|'), await keys('d|')]).toEqual([[], [], []]);
		last.api.close();
	});

	it.each([
		['a PATCH, then a PUT', 'patch', { v: 1 }, 'put', { v: 2 }, 'PUT /items/1 {"v":2}'],
		['a PUT, then a DELETE', 'put', { v: 1 }, 'delete', undefined, 'DELETE /items/1'],
		['a PATCH, then a DELETE', 'patch', { v: 1 }, 'delete', undefined, 'DELETE /items/1'],
		['a DELETE, then a PUT', 'delete', undefined, 'put', { v: 2 }, 'PUT /items/1 {"v":2}'],
	] as const)('%s: only the newer is sent', async (_, first, one, second, two, expected) => {
		const { store, refused } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, first, one);
		refused.deletes = ['p|'];
		await queue(api, second, two);
		api.close();
		const reload = await reloaded(store);
		expect(lines(reload.state.sent)).toEqual([expected]);
		reload.api.close();
	});

	it('three generations (v1, v2, v3) while no delete lands: only {"v":3} is sent', async () => {
		const { store, refused } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		const told = superseded(api);
		await queue(api, 'put', { v: 1 });
		refused.deletes = ['p|'];
		await queue(api, 'put', { v: 2 });
		await queue(api, 'put', { v: 3 });
		expect(told.length).toBe(2);
		api.close();
		const reload = await reloaded(store);
		expect([lines(reload.state.sent), reload.told.length]).toEqual([['PUT /items/1 {"v":3}'], 2]);
		reload.api.close();
	});

	it('three generations where only v1\'s delete fails (v2\'s lands): v3 names v1 too, only {"v":3} is sent', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = await keys('p|');
		await queue(api, 'put', { v: 2 });
		await queue(api, 'put', { v: 3 });
		expect((await keys('p|')).length).toBe(2);
		api.close();
		const reload = await reloaded(store);
		// Before: ['PUT /items/1 {"v":1}', 'PUT /items/1 {"v":3}'].
		expect(lines(reload.state.sent)).toEqual(['PUT /items/1 {"v":3}']);
		reload.api.close();
	});

	it('the older key\'s delete outlasts storageTimeoutMs (a blocked IndexedDB): a reload meanwhile sends {"v":2} only; once it lands, nothing comes back', async () => {
		const { store, refused, keys, release } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.held = ['p|'];
		await queue(api, 'put', { v: 2 });
		api.close();
		const reload = await reloaded(store);
		expect(lines(reload.state.sent)).toEqual(['PUT /items/1 {"v":2}']);
		reload.api.close();
		release();
		await waitFor(async () => (await keys('p|')).length <= 1, 'the older key\'s delete to land');
		const again = await reloaded(store);
		const last = await reloaded(store);
		// The newer one at most once more (its key waited for the older's confirmed delete), its Idempotency-Key the same.
		expect(lines([...again.state.sent, ...last.state.sent]).every((line) => line === 'PUT /items/1 {"v":2}')).toBe(true);
		expect(new Set([...reload.state.sent, ...again.state.sent].map((each) => each.key)).size).toBe(1);
		expect([last.state.sent, await keys('p|')]).toEqual([[], []]);
		again.api.close();
		last.api.close();
	});
});

describe('the superseding entry leaves the queue while the older key stays in the store', () => {
	it('a dead letter (422): a reload sends nothing, lists it dead only', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api, state } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = await keys('p|'); // The older entry's key only.
		await queue(api, 'put', { v: 2 });
		state.down = false;
		state.status = 422;
		await api.outbox.flush();
		expect([await api.outbox.list(), (await api.outbox.deadLetters()).length]).toEqual([[], 1]);
		api.close();
		const reload = await reloaded(store);
		// Before: ['PUT /items/1 {"v":1}']: the dead letter's pending key gone, the older write alone in the store.
		expect(lines(reload.state.sent)).toEqual([]);
		expect([await reload.api.outbox.list(), (await reload.api.outbox.deadLetters()).map((each) => each.url)]).toEqual([[], ['https://api.example.com/items/1']]);
		reload.api.close();
	});

	it('discard(id) rejects while the older key is not deleted; once it is, discard resolves and a reload sends nothing', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api } = onStore(store, { coalesce: true });
		await queue(api, 'put', { v: 1 });
		refused.deletes = await keys('p|');
		await queue(api, 'put', { v: 2 });
		const [newer] = await api.outbox.list();
		// Before: resolved, and a reload sent 'PUT /items/1 {"v":1}'.
		await expect(api.outbox.discard(newer!.id)).rejects.toThrow('disk I/O error');
		expect((await api.outbox.list()).map((each) => each.id)).toEqual([newer!.id]);
		refused.deletes = [];
		await api.outbox.discard(newer!.id);
		api.close();
		const reload = await reloaded(store);
		expect([reload.state.sent, await keys('p|')]).toEqual([[], []]);
		reload.api.close();
	});

	it('dropped by onConflict (\'discard\', a 412): {"v":1} is never sent, here or after a reload', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api, state } = onStore(store, { coalesce: true, onConflict: () => 'discard' });
		await queue(api, 'put', { v: 1 });
		refused.deletes = await keys('p|');
		await queue(api, 'put', { v: 2 });
		state.down = false;
		state.status = 412;
		await api.outbox.flush();
		api.close();
		const reload = onStore(store, { onConflict: () => 'discard' });
		reload.state.down = false;
		reload.state.status = 412;
		await reload.api.outbox.flush();
		expect(lines(reload.state.sent)).not.toContain('PUT /items/1 {"v":1}');
		expect(await reload.api.outbox.list()).toEqual([]);
		reload.api.close();
	});
});

describe('replaces as read from storage is distrusted', () => {
	it('a record naming an entry of another URL, or a later one, leaves it: both are sent', async () => {
		const { store, inner, keys } = failingDeletes();
		const { api } = onStore(store);
		await queue(api, 'put', { v: 1 });
		await expect(api.put('items/2', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		api.close();
		const [first, second] = await keys('p|');
		const edit = async (key: string, replaces: string[]): Promise<void> => {
			await inner.set(key, { ...await inner.get<object>(key), replaces });
		};
		await edit(second!, [first!]); // Another URL's entry.
		await edit(first!, [second!]); // A later entry.
		const reload = await reloaded(store);
		expect(lines(reload.state.sent)).toEqual(['PUT /items/1 {"v":1}', 'PUT /items/2 {"v":2}']);
		reload.api.close();
	});
});
