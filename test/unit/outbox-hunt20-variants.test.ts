/**
 * A removal the store refuses (API.md "Identity": `clear()` "resolves only when the store confirmed every removal and
 * rejects otherwise"): it rejects, and the entry stays as the store holds it, here as after a reload (a new client on the
 * same store) — before, a refused delete of a pending key was kept in this client's memory: `size()` and `list()` said
 * nothing was pending while a reload listed the write and sent it; flush() here sent nothing of it, and a stale copy of
 * its URL no longer said pending-writes=1.
 */
import { describe, expect, it } from 'vitest';
import { failingDeletes, outboxOnStore, queueTodo } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt20');
type Client = ReturnType<typeof onStore>;

/** What `api`'s outbox shows: pending ids, `size()`, `stats().entries`. */
const shown = async ({ api }: Client) => [(await api.outbox.list()).map((each) => each.id), await api.outbox.size(), (await api.outbox.stats()).entries];

describe('a removal whose pending key the store does not delete: it rejects, and the entry is shown pending here as at a reload', () => {
	it.each([
		['discard(id)', async ({ api }: Client, id: string) => api.outbox.discard(id)],
		['outbox.clear()', async ({ api }: Client) => api.outbox.clear()],
		['client.clear()', async ({ api }: Client) => api.clear()],
		['client.clear({ identity })', async ({ api }: Client) => api.clear({ identity: 'ann' })],
	])('%s', async (_, remove) => {
		const { store, refused, keys } = failingDeletes();
		const client = onStore(store, {}, { identity: () => 'ann' });
		client.state.offline = true;
		const id = await queueTodo(client.api);
		refused.deletes = ['p|'];
		await expect(remove(client, id)).rejects.toThrow('disk I/O error');
		expect((await keys('p|')).length).toBe(1);
		// Before: [[], 0, 0] here, while the reload below listed it (and sent it).
		expect(await shown(client)).toEqual([[id], 1, 1]);
		client.api.close();
		const reload = onStore(store, {}, { identity: () => 'ann' });
		expect(await shown(reload)).toEqual([[id], 1, 1]);
		// Asked again once the store deletes: removed, never sent.
		refused.deletes = [];
		await remove(reload, id);
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect([await shown(reload), reload.state.sent, await keys('')]).toEqual([[[], 0, 0], [], []]);
		reload.api.close();
	});
});

const removals = [
	['discard(id)', async ({ api }: Client, id: string) => api.outbox.discard(id)],
	['outbox.clear()', async ({ api }: Client) => api.outbox.clear()],
	['client.clear()', async ({ api }: Client) => api.clear()],
	['client.clear({ identity })', async ({ api }: Client) => api.clear({ identity: 'ann' })],
] as const;

describe('after a removal the store refused, the entry is still this client\'s pending write', () => {
	// (client.clear() removes the stale copy too: nothing to answer with.)
	it.each(removals.slice(0, 2))('%s: a stale copy of its URL says pending-writes=1 (read your own writes)', async (_, remove) => {
		const { store, refused } = failingDeletes();
		const client = onStore(store, {}, { identity: () => 'ann' });
		client.state.down = false;
		await client.api.get('todos').json();
		client.state.offline = true;
		const id = await queueTodo(client.api);
		const status = async ({ api }: Client): Promise<string | null> => (await api.get('todos')).headers.get('cache-status');
		expect(await status(client)).toMatch(/; pending-writes=1$/);
		refused.deletes = ['p|'];
		await expect(remove(client, id)).rejects.toThrow('disk I/O error');
		// Before: '…; detail=network', the write no longer counted here.
		expect(await status(client)).toMatch(/; pending-writes=1$/);
		client.api.close();
	});

	it.each(removals)('%s: flush() sends it once, and a reload sends nothing more', async (_, remove) => {
		const { store, refused, keys } = failingDeletes();
		const client = onStore(store, {}, { identity: () => 'ann' });
		client.state.offline = true;
		const id = await queueTodo(client.api);
		refused.deletes = ['p|'];
		await expect(remove(client, id)).rejects.toThrow('disk I/O error');
		refused.deletes = [];
		client.state.offline = false;
		expect(await client.api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		client.api.close();
		const reload = onStore(store, {}, { identity: () => 'ann' });
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect([client.state.sent.filter((each) => each.line === 'POST /todos').length, reload.state.sent, await keys('p|')]).toEqual([2, [], []]);
		reload.api.close();
	});
});
