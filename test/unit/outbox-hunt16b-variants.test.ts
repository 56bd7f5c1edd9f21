/**
 * Defect hunt, sixteenth round (F): the outbox, second pass. `flush()`'s `dead` counts every dead letter its passes made,
 * the dependents buried with their parent (`'parent'`) included.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { createClient, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { outboxOnStore, refusingStore } from './outbox-store-kit.js';

let made = 0;

/**
 * A client over `store` whose transport answers every write with `status(path)` while `state.offline` is false (else
 * a dropped connection); the `outbox:dead` events it told, as `<id> <reason>`.
 */
const onStore = (store: KeyValueStore, status: (path: string) => number, more: Parameters<typeof outbox>[0] = {}) => {
	const state = { offline: true, dead: [] as string[] };
	const fetch = (async (request: Request) => {
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		return new Response('{"id":7}', { status: status(new URL(request.url).pathname), headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h16b', outbox: outbox(more) });
	api.on('outbox:dead', (event) => state.dead.push(`${event.entryId} ${event.deadReason}`));
	return { api, state };
};

type Api = ReturnType<typeof onStore>['api'];

/** What a flush tells of dead letters and what is left (its `failed` may hold a pass that began before it, offline). */
const deadOf = ({ dead, remaining }: { dead: number; remaining: number }) => ({ dead, remaining });

/** A write queued (told so): its entry id. */
const queue = async (api: Api, method: 'post' | 'put', path: string): Promise<string> =>
	api[method](path, { json: { a: 1 } }).then(() => { throw new Error(`${method} ${path} was sent`); }, (failure: { entryId?: string }) => failure.entryId!);

/** `PUT /items/<parent's /id>` queued behind `parent`. */
const dependent = async (api: Api, parent: string): Promise<string> => queue(api, 'put', `items/${api.outbox.ref(parent, '/id')}`);

describe('flush()\'s dead counts every dead letter its passes made, the \'parent\' dead letters of a buried parent included', () => {
	it('a parent answered 400 with one dependent, and another write answered 400: dead 3 (before: 2), as the outbox:dead events and the dead letters', async () => {
		const { api, state } = onStore(memoryStore(`h16b-${++made}`), () => 400);
		const parent = await queue(api, 'post', 'todos');
		await dependent(api, parent);
		await queue(api, 'post', 'others');
		state.offline = false;
		const { dead, remaining } = await api.outbox.flush();
		expect([{ dead, remaining }, state.dead.length, (await api.outbox.deadLetters()).length]).toEqual([{ dead: 3, remaining: 0 }, 3, 3]);
		api.close();
	});

	it('a chain: a parent answered 400, its dependent and that one\'s dependent: dead 3 (before: 1)', async () => {
		const { api, state } = onStore(memoryStore(`h16b-${++made}`), () => 400);
		const parent = await queue(api, 'post', 'todos');
		const child = await dependent(api, parent);
		await dependent(api, child);
		state.offline = false;
		expect(deadOf(await api.outbox.flush())).toEqual({ dead: 3, remaining: 0 });
		expect(state.dead.map((each) => each.split(' ')[1])).toEqual(['rejected', 'parent', 'parent']);
		api.close();
	});

	it('a parent answered 412 and made a dead letter by onConflict (\'dead\'), with a dependent: dead 2 (before: 1)', async () => {
		const { api, state } = onStore(memoryStore(`h16b-${++made}`), (path) => path === '/todos/1' ? 412 : 200, { onConflict: () => 'dead' });
		const parent = await queue(api, 'put', 'todos/1');
		await dependent(api, parent);
		state.offline = false;
		expect(deadOf(await api.outbox.flush())).toEqual({ dead: 2, remaining: 0 });
		expect(state.dead.map((each) => each.split(' ')[1])).toEqual(['conflict', 'parent']);
		api.close();
	});

	it('a parent answered 412 and discarded by onConflict (\'discard\'), with a dependent: dead 1 (before: 0), the dependent', async () => {
		const { api, state } = onStore(memoryStore(`h16b-${++made}`), (path) => path === '/todos/1' ? 412 : 200, { onConflict: () => 'discard' });
		const parent = await queue(api, 'put', 'todos/1');
		await dependent(api, parent);
		state.offline = false;
		expect(deadOf(await api.outbox.flush())).toEqual({ dead: 1, remaining: 0 });
		expect(state.dead.map((each) => each.split(' ')[1])).toEqual(['parent']);
		api.close();
	});

	it('a parent of an older version dropped by migrate (null), with a dependent: dead 1 (before: 0), the dependent, at the reload that migrates', async () => {
		const store = memoryStore(`h16b-${++made}`);
		const old = onStore(store, () => 200);
		const parent = await queue(old.api, 'post', 'todos');
		await dependent(old.api, parent);
		old.api.close();
		const { api, state } = onStore(store, () => 200, { version: 2, migrate: (entry) => entry.id === parent ? null : entry });
		state.offline = false;
		expect(deadOf(await api.outbox.flush())).toEqual({ dead: 1, remaining: 0 });
		expect(state.dead.map((each) => each.split(' ')[1])).toEqual(['parent']);
		api.close();
	});
});

const kit = outboxOnStore('h16b');

describe('size() while a write of this client is only in memory (the store refused it), and another tab queues (API.md: size() "pending entries", list() "pending")', () => {
	const queueThree = async (api: ReturnType<typeof kit.onStore>['api']) => {
		for (const n of [1, 2, 3]) {
			await expect(api.post('other', { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}
	};

	it.each([
		['a new write (PUT /items/1)', 'queue'],
		['a dead letter retried (retry(id): its pending key)', 'retry'],
	] as const)('%s refused by the store (not for its quota): size() counts the 3 writes another tab queued, as list() does (before: 1 against 4)', async (_, how) => {
		const refusal = { on: false };
		const { store, keys } = refusingStore(`h16b-${++made}`, ['p|'], () => refusal.on ? new Error('disk I/O error') : undefined);
		const a = kit.onStore(store);
		a.state.offline = true;
		if (how === 'queue') {
			refusal.on = true;
			await expect(a.api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		} else {
			await expect(a.api.put('items/1', { json: { v: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
			Object.assign(a.state, { offline: false, down: false, status: 400 });
			const dead: string[] = [];
			a.api.on('outbox:dead', (event) => dead.push(event.entryId));
			await a.api.outbox.flush();
			await waitFor(() => dead.length === 1, 'the write a dead letter');
			a.state.offline = true;
			refusal.on = true;
			await a.api.outbox.retry(dead[0]!);
		}

		refusal.on = false;
		expect([await keys('p|'), await a.api.outbox.size()]).toEqual([[], 1]);
		const b = kit.onStore(store);
		b.state.offline = true;
		await queueThree(b.api);
		expect([await a.api.outbox.size(), (await a.api.outbox.list()).length]).toEqual([4, 4]);
		await queueThree(b.api);
		expect([await a.api.outbox.size(), (await a.api.outbox.list()).length]).toEqual([7, 7]);
		a.api.close();
		b.api.close();
	});

	it.each([
		['stored by this client\'s next write', 'write', 1 + 3 + 1],
		['discarded', 'discard', 3],
	] as const)('the refused write then %s: size() still counts another tab\'s writes, as list() does', async (_, then, after) => {
		const refusal = { on: true };
		const { store, keys } = refusingStore(`h16b-${++made}`, ['p|'], () => refusal.on ? new Error('disk I/O error') : undefined);
		const a = kit.onStore(store);
		a.state.offline = true;
		const mine = await a.api.put('items/1', { json: { v: 1 } }).then(() => '', (failure: OutboxQueuedError) => failure.entryId!);
		refusal.on = false;
		const b = kit.onStore(store);
		b.state.offline = true;
		if (then === 'write') {
			await queueThree(b.api);
			await expect(a.api.put('items/2', { json: { v: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
			expect((await keys('p|')).length).toBe(5); // The refused write stored with it.
		} else {
			await a.api.outbox.discard(mine);
			await queueThree(b.api);
		}

		expect([await a.api.outbox.size(), (await a.api.outbox.list()).length]).toEqual([after, after]);
		await queueThree(b.api);
		expect([await a.api.outbox.size(), (await a.api.outbox.list()).length]).toEqual([after + 3, after + 3]);
		a.api.close();
		b.api.close();
	});
});
