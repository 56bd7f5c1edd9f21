/**
 * Defect hunt, thirty-fifth round (the outbox core, work that outlives its caller; src/core/world.ts `Worlds`): variants
 * of defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { Worlds } from '../../src/core/world.js';
import { ofName } from '../../src/core/world-named.js';
import { offlineFetch, queued } from './outbox-helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('the answer of a write delivered early, held 60 s for its placeholders: never taken for removed by other removals', () => {
	it('a discard of another id, then 1,300 cached URLs deleted, after the delivery: a write made with its placeholder goes out with its server id', async () => {
		const name = 'hunt35-early-held';
		const store = memoryStore(name);
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const sent: string[] = [];
		const fetch = async (given: string | URL | Request): Promise<Response> => {
			const input = given as Request;
			const { pathname } = new URL(input.url);
			sent.push(`${input.method} ${pathname}`);
			if (input.method === 'POST') {
				await held;
				return Response.json({ id: 5 }, { status: 201 });
			}

			return new Response(null, { status: 204 });
		};

		const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, baseUrl: 'https://api.test/', outbox: outbox({ networkTimeoutMs: 50 }) });
		const early: unknown[] = [];
		api.on('outbox:sent', (event) => early.push(event.early));
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			release();
			await waitFor(() => early.length > 0, 'the write delivered early', 20_000);
			// Another entry id removed, then 1,300 cached URLs: past 256 + maxEntries notes, with no work of the outbox under way.
			await api.outbox.discard('gone');
			await Promise.all(Array.from({ length: 1300 }, async (_, index) => api.cache.delete(`other/${index}`)));
			const child = await api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }).then((response) => response.status, (error: Error) => error.name);
			expect([child, sent]).toEqual([204, ['POST /todos', 'PATCH /todos/5']]);
		} finally {
			api.close();
		}
	}, 30_000);

	it('past its 60 s, the next work of the outbox lets its world go: the notes collapse past their bound again', async () => {
		const name = 'hunt35-early-let-go';
		const store = memoryStore(name);
		const clock = new ManualClock();
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const fetch = async (): Promise<Response> => {
			await held;
			return Response.json({ id: 5 }, { status: 201 });
		};

		const api = createClient({ name, clock, store: () => store, fetch, retry: 0, breaker: false, baseUrl: 'https://api.test/', outbox: outbox({ networkTimeoutMs: 50 }) });
		const early: unknown[] = [];
		api.on('outbox:sent', (event) => early.push(event.early));
		try {
			await queued(api.post('todos', { json: { title: 'a' } }));
			release();
			await waitFor(() => early.length > 0, 'the write delivered early', 20_000);
			const worlds = ofName(name, () => new Worlds());
			expect(worlds.holding).toHaveLength(1);
			clock.advance(60_000);
			await api.outbox.discard('gone');
			expect(worlds.holding).toEqual([]);
		} finally {
			api.close();
		}
	}, 30_000);
});

/** A store whose writes of pending entries (`p|…`) fail while `failing.on`: each is kept in memory by the client. */
const downForEntries = (name: string) => {
	const inner = memoryStore(name);
	const failing = { on: true };
	const store: KeyValueStore = {
		get: async (key) => inner.get(key),
		set: async (key, value) => {
			if (failing.on && key.startsWith('p|')) {
				throw new Error('The store is down');
			}

			return inner.set(key, value);
		},
		delete: async (key) => inner.delete(key),
		keys: async () => inner.keys(),
		clear: async () => inner.clear(),
	};
	return { store, failing };
};

describe('a queued write the store did not take, kept in memory: never forgotten for removals or clears of others', () => {
	it.each([
		['a discard of another id', async (api: { outbox: { discard(id: string): Promise<void> } }) => api.outbox.discard('gone')],
		['a clear of another identity\'s', async (api: { clear(options: { identity: string }): Promise<void> }) => api.clear({ identity: 'bob' })],
	])('%s, then 1,300 cached URLs deleted, before the store is back: the write is still sent', async (_, remove) => {
		const name = `hunt35-kept-${remove.length}-${Math.random()}`;
		const { store, failing } = downForEntries(name);
		const { fetch, sent, net } = offlineFetch(() => new Response(null, { status: 204 }));

		const api = createClient({ name, identity: () => 'alice', store: () => store, fetch, retry: 0, breaker: false, baseUrl: 'https://api.test/', outbox: outbox() });
		try {
			await queued(api.post('todos', { json: { title: 'a' } }));
			expect(await api.outbox.size()).toBe(1);
			await remove(api as never);
			await Promise.all(Array.from({ length: 1300 }, async (_, index) => api.cache.delete(`other/${index}`)));
			failing.on = false;
			net.offline = false;
			// Before: { sent: 0, remaining: 0 } and nothing sent: the write was forgotten.
			expect([await api.outbox.flush(), sent]).toEqual([{ sent: 1, failed: 0, dead: 0, remaining: 0 }, ['POST /todos']]);
		} finally {
			api.close();
		}
	}, 30_000);
});

describe('retry(id) of a dead letter while another client of the name discards it', () => {
	it('discarded while its revival reads its parent\'s kept values: it stays removed, never sent again', async () => {
		const name = 'hunt35-revive-discard';
		const inner = memoryStore(name);
		let gate: Promise<void> | undefined;
		let reached = false;
		const store: KeyValueStore = {
			get: async (key) => {
				if (gate && key.startsWith('v|')) {
					reached = true;
					await gate;
				}

				return inner.get(key);
			},
			set: async (key, value) => inner.set(key, value),
			delete: async (key) => inner.delete(key),
			keys: async () => inner.keys(),
			clear: async () => inner.clear(),
		};
		let rejects = true;
		const { fetch, sent, net } = offlineFetch((request) => request.method === 'POST' ? Response.json({ id: 5 }, { status: 201 }) : rejects ? new Response('no', { status: 422 }) : new Response(null, { status: 204 }));

		const make = () => createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		const api = make();
		const other = make();
		try {
			const parent = await queued(api.post('todos', { json: { title: 'a' } }));
			const child = await queued(api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }));
			net.offline = false;
			expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 1 });
			rejects = false;
			let open!: () => void;
			gate = new Promise((resolve) => {
				open = resolve;
			});
			const retried = api.outbox.retry(child).then(() => 'retried', (error: { code?: string }) => error.code);
			await waitFor(() => reached, 'the revival reading its parent\'s kept values');
			await other.outbox.discard(child);
			gate = undefined;
			open();
			const outcome = await retried;
			await api.outbox.flush();
			// Before: the dead letter pending again after its discard, and replayed: ['POST /todos', 'PATCH /todos/5', 'PATCH /todos/5'].
			expect([outcome, await api.outbox.size(), await other.outbox.deadLetters(), sent]).toEqual(['OUTBOX_NOT_FOUND', 0, [], ['POST /todos', 'PATCH /todos/5']]);
		} finally {
			api.close();
			other.close();
		}
	}, 30_000);
});
