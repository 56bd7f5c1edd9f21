/**
 * Defect hunt, seventeenth round (B): the outbox. `retry(id)` of a `'parent'` dead letter whose parent can never be
 * delivered; `flush()`'s counts of its own passes only.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { createClient, InvalidRequestError, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';

let made = 0;

/**
 * A client over `store` whose transport answers every write with `status(path)` while `state.offline` is false (else
 * a dropped connection); the `outbox:dead` events it told, as `<id> <reason>`; what it sent, as `<METHOD> <path>`.
 */
const onStore = (store: KeyValueStore, status: (path: string) => number = () => 200, more: Parameters<typeof outbox>[0] = {}) => {
	const state = { offline: true, dead: [] as string[], sent: [] as string[] };
	const fetch = (async (request: Request) => {
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		const path = new URL(request.url).pathname;
		state.sent.push(`${request.method} ${path}`);
		return new Response('{"id":7}', { status: status(path), headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'h17', outbox: outbox(more) });
	api.on('outbox:dead', (event) => state.dead.push(`${event.entryId} ${event.deadReason}`));
	return { api, state };
};

type Api = ReturnType<typeof onStore>['api'];

/** A write queued (told so): its entry id. */
const queue = async (api: Api, method: 'post' | 'put', path: string): Promise<string> =>
	api[method](path, { json: { a: 1 } }).then(() => { throw new Error(`${method} ${path} was sent`); }, (failure: { entryId?: string }) => failure.entryId!);

/** `PUT /items/<parent's /id>` queued behind `parent`. */
const dependent = async (api: Api, parent: string): Promise<string> => queue(api, 'put', `items/${api.outbox.ref(parent, '/id')}`);

const deadOf = async (api: Api) => (await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]);

describe('retry(id) of a \'parent\' dead letter whose parent can never be delivered (decided: InvalidRequestError before any write, the dead letter stays)', () => {
	it('parent discarded: retry(child) rejects InvalidRequestError, the child stays a dead letter, told dead once, never sent', async () => {
		const { api, state } = onStore(memoryStore(`h17-${++made}`));
		const parent = await queue(api, 'post', 'todos');
		const child = await dependent(api, parent);
		await api.outbox.discard(parent);
		await waitFor(() => state.dead.length === 1, 'the child buried');
		await expect(api.outbox.retry(child)).rejects.toBeInstanceOf(InvalidRequestError);
		state.offline = false;
		await api.outbox.flush();
		expect([await deadOf(api), await api.outbox.size(), state.dead, state.sent]).toEqual([[[child, 'parent']], 0, [`${child} parent`], []]);
		api.close();
	});

	it('parent discarded through another client of the store (a reload): retry(child) rejects InvalidRequestError, the child stays a dead letter', async () => {
		const store = memoryStore(`h17-${++made}`);
		const a = onStore(store);
		const parent = await queue(a.api, 'post', 'todos');
		const child = await dependent(a.api, parent);
		a.api.close();
		const b = onStore(store);
		await b.api.outbox.discard(parent);
		await waitFor(async () => (await deadOf(b.api)).length === 1, 'the child buried');
		await expect(b.api.outbox.retry(child)).rejects.toBeInstanceOf(InvalidRequestError);
		b.state.offline = false;
		await b.api.outbox.flush();
		expect([await deadOf(b.api), b.state.dead, b.state.sent]).toEqual([[[child, 'parent']], [`${child} parent`], []]);
		b.api.close();
	});

	it('a grandchild: parent discarded; retry(grandchild) and retry(child) reject InvalidRequestError, both stay dead letters, each told dead once', async () => {
		const { api, state } = onStore(memoryStore(`h17-${++made}`));
		const parent = await queue(api, 'post', 'todos');
		const child = await dependent(api, parent);
		const grandchild = await dependent(api, child);
		await api.outbox.discard(parent);
		await waitFor(() => state.dead.length === 2, 'both buried');
		await expect(api.outbox.retry(grandchild)).rejects.toBeInstanceOf(InvalidRequestError);
		await expect(api.outbox.retry(child)).rejects.toBeInstanceOf(InvalidRequestError);
		state.offline = false;
		await api.outbox.flush();
		expect([(await deadOf(api)).sort(), state.dead.length, state.sent]).toEqual([[[child, 'parent'], [grandchild, 'parent']].sort(), 2, []]);
		api.close();
	});

	it('parent itself a dead letter (answered 400): retry(child) rejects InvalidRequestError (before: pending, buried again); retry(parent) then takes both back and both are sent', async () => {
		const status = { todos: 400 };
		const { api, state } = onStore(memoryStore(`h17-${++made}`), (path) => path === '/todos' ? status.todos : 200);
		const parent = await queue(api, 'post', 'todos');
		const child = await dependent(api, parent);
		state.offline = false;
		await api.outbox.flush();
		expect(await deadOf(api)).toEqual([[parent, 'rejected'], [child, 'parent']]);
		await expect(api.outbox.retry(child)).rejects.toBeInstanceOf(InvalidRequestError);
		expect(await deadOf(api)).toEqual([[parent, 'rejected'], [child, 'parent']]);
		status.todos = 201;
		await api.outbox.retry(parent);
		await api.outbox.flush();
		expect([await deadOf(api), state.dead.length, state.sent]).toEqual([[], 2, ['POST /todos', 'POST /todos', 'PUT /items/7']]);
		api.close();
	});

	it.each([
		['a pointer its answer does not hold (/missing)', '/missing'],
		['an object in the URL (the whole answer, \'\')', ''],
	])('parent delivered, %s: retry(child) rejects InvalidRequestError (before: pending, buried again, told dead twice)', async (_, pointer) => {
		const { api, state } = onStore(memoryStore(`h17-${++made}`));
		const parent = await queue(api, 'post', 'todos');
		const child = await queue(api, 'put', `items/${api.outbox.ref(parent, pointer)}`);
		state.offline = false;
		await api.outbox.flush();
		expect(await deadOf(api)).toEqual([[child, 'parent']]);
		await expect(api.outbox.retry(child)).rejects.toBeInstanceOf(InvalidRequestError);
		await api.outbox.flush();
		expect([await deadOf(api), state.dead, state.sent]).toEqual([[[child, 'parent']], [`${child} parent`], ['POST /todos']]);
		api.close();
	});

	it('a dependent of two parents, both dead letters, one then discarded: retry(the other) takes it back alone (before: with the dependent, buried again); the dependent stays a dead letter', async () => {
		const status = { code: 400 };
		const { api, state } = onStore(memoryStore(`h17-${++made}`), () => status.code);
		const one = await queue(api, 'post', 'todos');
		const other = await queue(api, 'post', 'others');
		const child = await queue(api, 'put', `items/${api.outbox.ref(one, '/id')}/${api.outbox.ref(other, '/id')}`);
		state.offline = false;
		await api.outbox.flush();
		expect((await deadOf(api)).map(([, reason]) => reason)).toEqual(['rejected', 'rejected', 'parent']);
		await api.outbox.discard(other);
		status.code = 201;
		await api.outbox.retry(one);
		await api.outbox.flush();
		expect([await deadOf(api), state.dead.length, state.sent]).toEqual([[[child, 'parent']], 3, ['POST /todos', 'POST /others', 'POST /todos']]);
		api.close();
	});
});
