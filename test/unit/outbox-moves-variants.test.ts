/**
 * The outbox's moves of an entry between pending and dead letters (`retry(id)`, a replay refused) against a store that
 * fails the second step — the delete of the key the entry moved from — followed by a reload (a second client on the
 * same store): the entry is in exactly one list, never replayed once dead, never lost (API.md "Outbox": a crash, reload
 * or `clear()` at any moment loses nothing it should keep and revives nothing it removed).
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { failingDeletes, outboxOnStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('moves');
type Api = ReturnType<typeof onStore>['api'];

/** The URLs (paths) of `entries`. */
const paths = async (entries: Promise<Array<{ url: string }>>): Promise<string[]> => (await entries).map((entry) => new URL(entry.url).pathname);

/** Pending and dead letters of `api`, as paths. */
const lists = async (api: Api): Promise<[string[], string[]]> => [await paths(api.outbox.list()), await paths(api.outbox.deadLetters())];

/** `PUT /items/1` queued, then answered 422 by a pass: its dead letter's id. */
const deadPut = async (api: Api, state: ReturnType<typeof onStore>['state']): Promise<string> => {
	await expect(api.put('items/1', { json: { b: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
	state.down = false;
	state.status = 422;
	await api.outbox.flush();
	const [dead] = await api.outbox.deadLetters();
	state.down = true;
	state.status = 200;
	return dead!.id;
};

describe('retry(id) whose dead key the store does not delete: the entry is pending, here and after a reload', () => {
	it('a reload lists it pending only, sends it once with its Idempotency-Key and body, and nothing comes back', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api, state } = onStore(store);
		const id = await deadPut(api, state);
		const key = state.sent.at(-1)!.key;
		refused.deletes = ['d|'];
		await api.outbox.retry(id);
		expect(await lists(api)).toEqual([['/items/1'], []]);
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 1]);
		api.close();
		const reload = onStore(store);
		// Before: [[], ['/items/1']]: the entry a dead letter again at the reload, the retry undone.
		expect(await lists(reload.api)).toEqual([['/items/1'], []]);
		expect(await reload.api.outbox.size()).toBe(1);
		expect((await reload.api.outbox.stats()).dead).toBe(0);
		refused.deletes = [];
		reload.state.down = false;
		const sent = reload.state.sent.length;
		await reload.api.outbox.flush();
		expect(reload.state.sent.slice(sent).map((each) => [each.line, each.key, each.body])).toEqual([['PUT /items/1', key, '{"b":1}']]);
		expect(await lists(reload.api)).toEqual([[], []]);
		reload.api.close();
		const again = onStore(store);
		expect(await lists(again.api)).toEqual([[], []]);
		expect([await keys('p|'), await keys('d|')]).toEqual([[], []]);
		again.api.close();
	});
});

describe('a replay refused (422) whose pending key the store does not delete: a dead letter, here and after a reload', () => {
	it('a reload lists it dead only and never replays it; retry(id) there takes it back and it is sent once', async () => {
		const { store, refused, keys } = failingDeletes();
		const { api, state } = onStore(store);
		refused.deletes = ['p|'];
		const id = await deadPut(api, state);
		expect([(await keys('p|')).length, (await keys('d|')).length]).toEqual([1, 1]);
		api.close();
		const reload = onStore(store);
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect(await lists(reload.api)).toEqual([[], ['/items/1']]);
		expect(reload.state.sent).toEqual([]);
		refused.deletes = [];
		await reload.api.outbox.retry(id);
		expect(await lists(reload.api)).toEqual([['/items/1'], []]);
		await reload.api.outbox.flush();
		expect(reload.state.sent.map((each) => [each.line, each.body])).toEqual([['PUT /items/1', '{"b":1}']]);
		expect([await lists(reload.api), await keys('p|'), await keys('d|')]).toEqual([[[], []], [], []]);
		reload.api.close();
	});

	it.each([
		['discard(id)', async (api: Api, id: string) => api.outbox.discard(id)],
		['outbox.clear()', async (api: Api) => api.outbox.clear()],
		['client.clear()', async (api: Api) => api.clear()],
		['client.clear({ identity })', async (api: Api) => api.clear({ identity: 'ann' })],
	])('%s of the dead letter rejects while the store does not delete its pending key; it stays dead, never sent; then nothing comes back', async (_, remove) => {
		const { store, refused, keys } = failingDeletes();
		// Ann's clients: her entry is replayed by them, and hers is the identity cleared.
		const onAnns = (): ReturnType<typeof onStore> => onStore(store, {}, { identity: () => 'ann' });
		const { api, state } = onAnns();
		refused.deletes = ['p|'];
		const id = await deadPut(api, state);
		// Before: resolved, the dead letter gone here; a reload then replayed 'PUT /items/1' from the pending key left.
		await expect(remove(api, id)).rejects.toThrow('disk I/O error');
		expect(await lists(api)).toEqual([[], ['/items/1']]);
		api.close();
		const reload = onAnns();
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect([await lists(reload.api), reload.state.sent]).toEqual([[[], ['/items/1']], []]);
		refused.deletes = [];
		await remove(reload.api, id);
		reload.api.close();
		const again = onAnns();
		again.state.down = false;
		await again.api.outbox.flush();
		expect([await lists(again.api), again.state.sent, await keys('p|'), await keys('d|')]).toEqual([[[], []], [], [], []]);
		again.api.close();
	});
});

describe('a retried entry whose dead key the store did not delete leaves the queue with it', () => {
	/** `PUT /items/1` buried (422) and retried while the store fails deletes of dead keys: its client, state and id. */
	const retried = async (more: Parameters<typeof onStore>[1] = {}) => {
		const failing = failingDeletes();
		const { api, state } = onStore(failing.store, more);
		const id = await deadPut(api, state);
		failing.refused.deletes = ['d|'];
		await api.outbox.retry(id);
		return { ...failing, api, state, id };
	};

	it('delivered in the same client, the store taking the dead key\'s delete then: nothing at a reload', async () => {
		const { store, refused, keys, api, state } = await retried();
		refused.deletes = [];
		state.down = false;
		await api.outbox.flush();
		expect(await lists(api)).toEqual([[], []]);
		api.close();
		const reload = onStore(store);
		// Before: [[], ['/items/1']]: the dead key of a delivered write shown again as a dead letter.
		expect([await lists(reload.api), await keys('p|'), await keys('d|')]).toEqual([[[], []], [], []]);
		reload.api.close();
	});

	it('delivered while the store still fails the dead key\'s delete: its pending key stays, so a reload replays it (same key and body), never a dead letter', async () => {
		const { store, api, state, refused } = await retried();
		const key = state.sent.at(-1)!.key;
		state.down = false;
		await api.outbox.flush();
		expect(await lists(api)).toEqual([[], []]);
		api.close();
		const reload = onStore(store);
		expect(await lists(reload.api)).toEqual([['/items/1'], []]);
		refused.deletes = [];
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect(reload.state.sent.map((each) => [each.line, each.key, each.body])).toEqual([['PUT /items/1', key, '{"b":1}']]);
		expect(await lists(reload.api)).toEqual([[], []]);
		reload.api.close();
		const again = onStore(store);
		expect(await lists(again.api)).toEqual([[], []]);
		again.api.close();
	});

	it('dropped by onConflict (\'discard\', a 412) after a reload: its dead key goes too, nothing at the next reload', async () => {
		const { store, api, refused, keys } = await retried();
		api.close();
		refused.deletes = [];
		const reload = onStore(store, { onConflict: () => 'discard' });
		reload.state.down = false;
		reload.state.status = 412;
		await reload.api.outbox.flush();
		expect(await lists(reload.api)).toEqual([[], []]);
		reload.api.close();
		const again = onStore(store);
		// Before: [[], ['/items/1']]: the write the app's onConflict dropped, a dead letter again.
		expect([await lists(again.api), await keys('p|'), await keys('d|')]).toEqual([[[], []], [], []]);
		again.api.close();
	});

	it('discard(id) rejects while the store fails its dead key\'s delete: still pending (here and at a reload); then resolves, and nothing comes back', async () => {
		const { store, api, id, refused, keys } = await retried();
		// Before: resolved (the dead key kept as deleted here), and a reload listed it a dead letter.
		await expect(api.outbox.discard(id)).rejects.toThrow('disk I/O error');
		expect(await lists(api)).toEqual([['/items/1'], []]);
		const reload = onStore(store);
		expect(await lists(reload.api)).toEqual([['/items/1'], []]);
		refused.deletes = [];
		await reload.api.outbox.discard(id);
		reload.api.close();
		api.close();
		const again = onStore(store);
		expect([await lists(again.api), await keys('p|'), await keys('d|')]).toEqual([[[], []], [], []]);
		again.api.close();
	});
});

describe('an entry moved back and forth while the store deletes nothing: each reload lists it where its last move put it', () => {
	it('buried, retried, buried, retried: dead, pending, dead, pending at the reloads; never replayed while dead; one Idempotency-Key', async () => {
		const { store, refused } = failingDeletes();
		refused.deletes = ['p|', 'd|'];
		const { api, state } = onStore(store);
		const id = await deadPut(api, state);
		const seen: Array<[string[], string[]]> = [];
		const reloadLists = async (): Promise<void> => {
			const reload = onStore(store);
			seen.push(await lists(reload.api));
			reload.api.close();
		};
		await reloadLists();
		await api.outbox.retry(id);
		await reloadLists();
		state.down = false;
		state.status = 422;
		await api.outbox.flush();
		await reloadLists();
		await api.outbox.retry(id);
		await reloadLists();
		// Before: the retried entry a dead letter at every reload.
		expect(seen).toEqual([[[], ['/items/1']], [['/items/1'], []], [[], ['/items/1']], [['/items/1'], []]]);
		expect(new Set(state.sent.map((each) => each.key)).size).toBe(1);
		api.close();
	});
});

describe('retry(id) whose dead key\'s delete outlasts storageTimeoutMs (a blocked IndexedDB)', () => {
	it('resolves; a reload while the delete hangs lists it pending only; once the delete lands it is sent once, nothing comes back', async () => {
		const { store, refused, keys, release } = failingDeletes();
		const { api, state } = onStore(store);
		const id = await deadPut(api, state);
		refused.held = ['d|'];
		await api.outbox.retry(id);
		expect(await lists(api)).toEqual([['/items/1'], []]);
		const reload = onStore(store);
		// Before: [[], ['/items/1']].
		expect([await lists(reload.api), (await keys('d|')).length]).toEqual([[['/items/1'], []], 1]);
		release();
		await waitFor(async () => (await keys('d|')).length === 0, 'the dead key\'s delete to land');
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect(reload.state.sent.map((each) => each.line)).toEqual(['PUT /items/1']);
		reload.api.close();
		api.close();
		const again = onStore(store);
		again.state.down = false;
		await again.api.outbox.flush();
		expect([await lists(again.api), again.state.sent, await keys('p|')]).toEqual([[[], []], [], []]);
		again.api.close();
	});
});
