/**
 * Defect hunt, fortieth round (explore), in real Chromium (IndexedDB, BroadcastChannel: clients of one name made apart in a
 * page hear each other as tabs do): variants of the outbox's newest features that earlier hunts had not run, which all held
 * as written (regression tests: each passed before any change of this round) — a chain of three `ref()` writes whose root is
 * rejected then retried, discarded in the middle by another tab, across two origins, or ended by an early attempt's
 * conflict; `clear({ identity })` leaving no key of a delivered chain; malformed notes from another tab among good ones.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';

/** A todo API through an injected `fetch`: refused while down (`down` holds its hosts, every one at first), then POSTs answered `{ id }` from 100 up. */
const todoApi = (hosts = ['api.test', 'other.test']) => {
	const state = { down: new Set(hosts), status: 201, sent: [] as string[] };
	let nextId = 100;
	const transport = async (input: RequestInfo | URL): Promise<Response> => {
		const request = input as Request;
		const url = new URL(request.url);
		if (state.down.has(url.host)) {
			throw new TypeError('Failed to fetch');
		}

		state.sent.push(`${request.method} ${url.host}${url.pathname} ${await request.text()}`);
		return request.method === 'GET' ? Response.json({ at: request.url }, { headers: { 'cache-control': 'max-age=0' } }) : Response.json({ id: nextId++ }, { status: state.status });
	};
	return { state, transport };
};

const named = (): string => `chains-${Math.random().toString(36).slice(2)}`;
const queuedId = async (promise: Promise<unknown>): Promise<string> => {
	const error = await promise.then(() => undefined, (reason: unknown) => reason);
	if (!(error instanceof OutboxQueuedError)) {
		throw new Error(`not queued: ${String(error)}`);
	}

	return error.entryId;
};

describe('chains of dependent writes (Chromium)', () => {
	it('the root of a chain of three rejected: both dependents \'parent\' dead letters, never sent; retry(root) brings all three back, delivered in order with the server\'s ids', async () => {
		const { state, transport } = todoApi();
		const api = createClient({ name: named(), baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0 }) });
		const a = await queuedId(api.post('todos', { json: { n: 0 } }));
		const b = await queuedId(api.post(`todos/${api.outbox.ref(a, '/id')}/items`, { json: { n: 1 } }));
		const c = await queuedId(api.patch(`items/${api.outbox.ref(b, '/id')}`, { json: { n: 2, root: api.outbox.ref(a, '/id') } }));
		state.down.clear();
		state.status = 400;
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[a, 'rejected'], [b, 'parent'], [c, 'parent']]);
		expect(state.sent).toEqual(['POST api.test/todos {"n":0}']);
		state.status = 201;
		await api.outbox.retry(a);
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([a, b, c]);
		await api.outbox.flush();
		await expect.poll(() => api.outbox.size()).toBe(0);
		expect(state.sent.slice(1)).toEqual(['POST api.test/todos {"n":0}', 'POST api.test/todos/101/items {"n":1}', 'PATCH api.test/items/102 {"n":2,"root":101}']);
		api.close();
	});

	it('another tab discards the middle of a chain: the last is a \'parent\' dead letter in both tabs, the root delivered', async () => {
		const { state, transport } = todoApi();
		const options = { name: named(), baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0 }) };
		const [api, other] = [createClient(options), createClient(options)];
		const a = await queuedId(api.post('todos', { json: { n: 0 } }));
		const b = await queuedId(api.post(`todos/${api.outbox.ref(a, '/id')}/items`, { json: { n: 1 } }));
		const c = await queuedId(api.patch(`items/${api.outbox.ref(b, '/id')}`, { json: { n: 2 } }));
		await other.outbox.discard(b);
		state.down.clear();
		await api.outbox.flush();
		await api.outbox.flush();
		expect(state.sent).toEqual(['POST api.test/todos {"n":0}']);
		for (const tab of [api, other]) {
			expect((await tab.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[c, 'parent']]);
		}

		api.close();
		other.close();
	});

	it('a parent on an origin still down, its dependent and another tab\'s later write on one that is up: nothing goes until the parent did, then all three in order', async () => {
		const { state, transport } = todoApi();
		const options = { name: named(), baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0 }) };
		const [api, other] = [createClient(options), createClient(options)];
		const p = await queuedId(api.post('https://other.test/things', { json: { n: 0 } }));
		await queuedId(api.put(`todos/${api.outbox.ref(p, '/id')}`, { json: { n: 1 } }));
		state.down.delete('api.test');
		await queuedId(other.post('todos', { json: { n: 2 } })); // Behind the dependent in its scope.
		await api.outbox.flush();
		await other.outbox.flush();
		expect(state.sent).toEqual([]);
		state.down.clear();
		await api.outbox.flush();
		await api.outbox.flush();
		expect(state.sent).toEqual(['POST other.test/things {"n":0}', 'PUT api.test/todos/100 {"n":1}', 'POST api.test/todos {"n":2}']);
		api.close();
		other.close();
	});

	for (const verdict of ['discard', 'dead', 'rebase'] as const) {
		it(`an early-queued parent (networkTimeoutMs) whose own attempt is answered 412, onConflict '${verdict}': its dependent ${verdict === 'rebase' ? 'goes with the rebased answer' : 'a \'parent\' dead letter, never sent'}`, async () => {
			const sent: string[] = [];
			let release: () => void = () => undefined;
			const held = new Promise<void>((resolve) => {
				release = resolve;
			});
			const transport = async (input: RequestInfo | URL): Promise<Response> => {
				const request = input as Request;
				sent.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
				if (sent.length === 1) {
					await held;
					return new Response(null, { status: 412 });
				}

				return Response.json({ id: 7 }, { status: 201 });
			};
			const api = createClient({ name: named(), baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, store: indexedDbStore,
				outbox: outbox({ resumeJitterMs: 0, networkTimeoutMs: 30, onConflict: () => verdict === 'rebase' ? { json: { v: 2 } } : verdict }) });
			const conflicts: string[] = [];
			api.on('outbox:conflict', ({ entryId }) => conflicts.push(entryId));
			const a = await queuedId(api.put('todos/1', { json: { v: 1 }, headers: { 'if-match': '"x"' } }));
			const b = await queuedId(api.post(`todos/${api.outbox.ref(a, '/id')}/items`, { json: { n: 1 } }));
			release();
			await expect.poll(() => conflicts).toEqual([a]);
			await api.outbox.flush();
			await api.outbox.flush();
			const dead = (await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason]);
			if (verdict === 'rebase') {
				expect([sent, dead]).toEqual([['PUT /todos/1 {"v":1}', 'PUT /todos/1 {"v":2}', 'POST /todos/7/items {"n":1}'], []]);
			} else {
				expect([sent, dead]).toEqual([['PUT /todos/1 {"v":1}'], [...verdict === 'dead' ? [[a, 'conflict']] : [], [b, 'parent']]]);
			}

			expect(await api.outbox.size()).toBe(0);
			api.close();
		});
	}

	it('clear({ identity }) after a chain of that identity was delivered: no key of it stays (records, link keys, kept values), another identity\'s write stays', async () => {
		const { state, transport } = todoApi();
		let who = 'u2';
		const name = named();
		const api = createClient({ name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, staleCache: false, store: indexedDbStore, identity: () => who, outbox: outbox({ resumeJitterMs: 0 }) });
		const store = indexedDbStore(`${name}/outbox`);
		await queuedId(api.post('other', { json: { n: 9 } }));
		const before = await store.keys();
		who = 'u1';
		const a = await queuedId(api.post('todos', { json: { n: 0 } }));
		const b = await queuedId(api.post(`todos/${api.outbox.ref(a, '/id')}/items`, { json: { n: 1 } }));
		await queuedId(api.patch(`items/${api.outbox.ref(b, '/id')}`, { json: { n: 2 } }));
		state.down.clear();
		await api.outbox.flush();
		await api.outbox.flush();
		expect(state.sent).toHaveLength(3);
		expect((await store.keys()).filter((key) => /^[lv]\|/.test(key)).length).toBeGreaterThan(0); // Kept for 24 h: what the clear must take.
		await api.clear({ identity: 'u1' });
		expect(await store.keys()).toEqual(before);
		api.close();
	});
});

describe('notes from another tab (Chromium)', () => {
	it('malformed notes on the pending and world channels are each reported and ignored; good notes after them still count, with one of the name\'s two clients closed', async () => {
		const { state, transport } = todoApi();
		state.down.clear();
		const name = named();
		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0 }) };
		const [first, reader] = [createClient(options), createClient(options)];
		const errors: string[] = [];
		reader.on('storage:error', (event) => errors.push(`${event.part} ${event.operation}`));
		const stored: string[] = [];
		reader.on('cache:stored', ({ url }) => stored.push(url));
		await reader.get('todos/1').json();
		await expect.poll(() => stored).toEqual(['https://api.test/todos/1']);
		state.down.add('api.test');
		first.close();
		const pendingOf = async (): Promise<string | undefined> => reader.get('todos/1').then((response) => /pending-writes=(\d+)/.exec(response.headers.get('cache-status') ?? '')?.[1] ?? '0', (error: Error) => error.name);
		const [pending, world] = [new BroadcastChannel(`steadfetch:${name}:pending`), new BroadcastChannel(`steadfetch:${name}:world`)];
		const bad: unknown[] = [null, 5, 'x', { v: 1, op: '+', id: 'a', url: 5 }, { v: 1, op: '+', id: '*', url: 'https://api.test/todos/1' }, { v: 1, op: '-', id: 7 }, { v: 1, op: '+', id: 'b', url: 'https://api.test/todos/1', who: null }];
		for (const each of bad) {
			pending.postMessage(each);
			world.postMessage(each);
		}

		pending.postMessage({ v: 1, op: '+', id: 'good', url: 'https://api.test/todos/1' });
		await expect.poll(pendingOf).toBe('1');
		expect(errors.filter((each) => each === 'outbox channel')).toHaveLength(bad.length);
		expect(errors.filter((each) => each === 'world channel').length).toBeGreaterThan(0);
		pending.postMessage({ v: 1, op: '-', id: 'good' });
		await expect.poll(pendingOf).toBe('0');
		pending.close();
		world.close();
		reader.close();
	});
});
