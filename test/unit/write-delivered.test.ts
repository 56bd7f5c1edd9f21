/**
 * `write:delivered` (src/core/world.ts, src/core/transport.ts): a call whose method is not safe,
 * answered below 400 — at once or by an outbox replay — is told to every client of the name and
 * store, with or without the stale cache and the outbox; never a read, a refused write or a failed
 * one. Where there are tabs (a page: `document` faked), the world channel carries it to the other
 * tabs (`remote: true`), and a forged message is ignored. A loopback API; Node's BroadcastChannel.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, memoryStore, outbox, type Client, type EmittedEvent } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { fakeWindow } from './outbox-helpers.js';

let api: RunningServer;
/** `down`: every request refused with a 503. */
let down = false;
const clients: Array<{ close(): void }> = [];
let names = 0;

beforeAll(async () => {
	api = await serve((request) => {
		if (down) {
			return new Response('down', { status: 503 });
		}

		const { pathname } = new URL(request.url);
		if (pathname.endsWith('/behind-a-worker')) {
			// What a service worker's outbox answers for a write it queued.
			return Response.json({ queued: true, entryId: 'e1' }, { status: 202, headers: { 'steadfetch-outbox-entry': 'e1' } });
		}

		return pathname.endsWith('/missing') ? new Response('no', { status: 404 }) : Response.json({ ok: true }, { status: request.method === 'POST' ? 201 : 200 });
	});
});
afterAll(async () => api.close());
afterEach(() => {
	down = false;
	for (const client of clients.splice(0)) {
		client.close();
	}
});

type Heard = Omit<EmittedEvent<'write:delivered'>, 'time'>;

/** The `write:delivered` events a client emits, without their time. */
const heard = (client: Pick<Client, 'on'>): Heard[] => {
	const events: Heard[] = [];
	client.on('write:delivered', ({ time: _time, ...event }) => events.push(event));
	return events;
};

const track = <C extends { close(): void }>(client: C): C => {
	clients.push(client);
	return client;
};

describe('write:delivered', () => {
	it('a POST, PUT, PATCH or DELETE answered below 400 is told once, with its method and absolute URL; a read, a 4xx, a 5xx and a service worker\'s "queued" 202 are not (steadfetch/core: no cache, no outbox)', async () => {
		const client = track(createCore({ prefix: `${api.url}/v1/`, retry: 0 }));
		const events = heard(client);
		await client.post('todos', { json: { title: 'a' } });
		await client.put('todos/1', { json: { title: 'b' } });
		await client.patch('todos/1?expand=tags', { json: { done: true } });
		await client.delete('todos/1');
		await client.get('todos');
		await client.head('todos');
		await client.post('missing', { json: {} }).catch(() => undefined);
		// A service worker's outbox in front of the client answered "queued": that worker tells the delivery, not this client.
		expect((await client.post('behind-a-worker', { json: {} })).status).toBe(202);
		down = true;
		await client.put('todos/2', { json: {} }).catch(() => undefined);
		expect(events).toEqual([
			{ type: 'write:delivered', scope: api.url, method: 'POST', url: `${api.url}/v1/todos` },
			{ type: 'write:delivered', scope: api.url, method: 'PUT', url: `${api.url}/v1/todos/1` },
			{ type: 'write:delivered', scope: api.url, method: 'PATCH', url: `${api.url}/v1/todos/1?expand=tags` },
			{ type: 'write:delivered', scope: api.url, method: 'DELETE', url: `${api.url}/v1/todos/1` },
		]);
	});

	it('a QUERY (ky\'s `query()`: a safe method, a read with a body) is no write: never told', async () => {
		const client = track(createCore({ prefix: `${api.url}/v1/`, retry: 0 }));
		const events = heard(client);
		expect((await client.query('todos', { json: { done: false } })).status).toBe(200);
		await client.put('todos/1', { json: { title: 'b' } });
		expect(events.map((event) => event.method)).toEqual(['PUT']);
	});

	it('its URL has no sensitive query value; every client of the name and store (extend()) hears it, a client of another name does not', async () => {
		const name = `delivered-${names++}`;
		const client = track(createClient({ name, prefix: `${api.url}/`, retry: 0, breaker: false, staleCache: false }));
		const extended = track(client.extend({ headers: { 'x-app': '1' } }));
		const other = track(createClient({ name: `${name}-other`, prefix: `${api.url}/`, retry: 0, breaker: false, staleCache: false }));
		const [mine, theirs, others] = [heard(client), heard(extended), heard(other)];
		await extended.patch('todos/1?token=s3cret&page=2', { json: {} });
		const told = { type: 'write:delivered', scope: api.url, method: 'PATCH', url: `${api.url}/todos/1?token=&page=2` };
		expect(mine).toEqual([told]);
		expect(theirs).toEqual([told]);
		expect(others).toEqual([]);
		expect(JSON.stringify(mine)).not.toContain('s3cret');
	});

	it('a write the outbox queued is told when its replay delivers it, not when it is queued', async () => {
		const client = track(createClient({ name: `delivered-${names++}`, prefix: `${api.url}/`, retry: 0, retryBudget: false, breaker: false, staleCache: false, store: () => memoryStore('delivered'), outbox: outbox({ resumeJitterMs: 0 }) }));
		const events = heard(client);
		down = true;
		const queued = await client.patch('todos/7', { json: { done: true } }).catch((error: { code?: string }) => error.code);
		expect(queued).toBe('QUEUED');
		expect(events).toEqual([]);
		down = false;
		expect(await client.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(events).toEqual([{ type: 'write:delivered', scope: api.url, method: 'PATCH', url: `${api.url}/todos/7` }]);
	});

	it('a client made by extend() and never closed is not kept alive, its listeners neither, by the clients of its name (they tell it writes through a weak reference)', async () => {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const client = track(createCore({ prefix: `${api.url}/`, retry: 0 }));
		// A server's habit: a client per request, never closed; each with a listener (what its emitter holds).
		const made = Array.from({ length: 20 }, (_, index) => {
			const listener = (): void => undefined;
			client.extend({ headers: { 'x-request': String(index) } }).on('write:delivered', listener);
			return new WeakRef(listener);
		});
		for (let round = 0; round < 5 && made.some((ref) => ref.deref()); round++) {
			await new Promise((resolve) => setTimeout(resolve, 10));
			gc();
		}

		expect(made.filter((ref) => ref.deref()).length).toBe(0);
		// The client itself still hears its writes.
		const events = heard(client);
		await client.put('todos/1', { json: {} });
		expect(events).toHaveLength(1);
	});

	describe('in a page (document faked): the other tabs hear it over the world channel', () => {
		let win: ReturnType<typeof fakeWindow>;
		afterEach(() => win.restore());

		it('another tab of the name hears it as remote; a forged or malformed message is ignored and breaks nothing', async () => {
			win = fakeWindow();
			const name = `delivered-${names++}`;
			const writer = track(createCore({ name, prefix: `${api.url}/`, retry: 0 }));
			// Another tab: a client of the same name with its own store map (its own world), as a page has.
			const reader = track(createCore({ name, prefix: `${api.url}/`, retry: 0 }));
			const [writes, hears] = [heard(writer), heard(reader)];
			await writer.put('todos/1', { json: {} });
			expect(writes).toEqual([{ type: 'write:delivered', scope: api.url, method: 'PUT', url: `${api.url}/todos/1` }]);
			await vi.waitFor(() => expect(hears).toEqual([{ type: 'write:delivered', scope: api.url, method: 'PUT', url: `${api.url}/todos/1`, remote: true }]));
			// Forged: each of these is outside input the reader ignores.
			const forger = new BroadcastChannel(`steadfetch:${name}:world`);
			const forged: unknown[] = [
				null, 'PUT', 42, [], { v: 2, write: ['PUT', `${api.url}/a`] }, { v: 1, write: 'PUT /a' }, { v: 1, write: ['PUT'] },
				{ v: 1, write: ['GET', `${api.url}/a`] }, { v: 1, write: ['head', `${api.url}/a`] }, { v: 1, write: ['PU T', `${api.url}/a`] },
				{ v: 1, write: ['P'.repeat(33), `${api.url}/a`] }, { v: 1, write: [7, `${api.url}/a`] }, { v: 1, write: ['PUT', 'todos/1'] },
				{ v: 1, write: ['PUT', 'javascript:alert(1)'] }, { v: 1, write: ['PUT', 'http://'] }, { v: 1, write: ['PUT', `${api.url}/${'a'.repeat(8_200)}`] },
				{ v: 1, write: ['PUT', `${api.url}/a`, 'extra'] }, { v: 1, write: { method: 'PUT', url: `${api.url}/a` } },
			];
			for (const data of forged) {
				forger.postMessage(data);
			}

			// A good message posted after the forged ones: once it is heard, every forged one was delivered before it.
			forger.postMessage({ v: 1, write: ['DELETE', `${api.url.toUpperCase()}/todos/2`] });
			await vi.waitFor(() => expect(hears).toHaveLength(2));
			forger.close();
			expect(hears[1]).toEqual({ type: 'write:delivered', scope: api.url, method: 'DELETE', url: `${api.url}/todos/2`, remote: true });
			// The channel still works after them.
			await writer.post('todos', { json: {} });
			await vi.waitFor(() => expect(hears).toHaveLength(3));
			expect(hears[2]).toMatchObject({ method: 'POST', url: `${api.url}/todos`, remote: true });
		});

		it('a closed client hears nothing more, and the name\'s other clients still do', async () => {
			win = fakeWindow();
			const name = `delivered-${names++}`;
			const writer = track(createCore({ name, prefix: `${api.url}/`, retry: 0 }));
			const gone = createCore({ name, prefix: `${api.url}/`, retry: 0 });
			const stays = track(gone.extend({}));
			const reader = track(createCore({ name, prefix: `${api.url}/`, retry: 0 }));
			const [goneHeard, staysHeard, readerHeard] = [heard(gone), heard(stays), heard(reader)];
			gone.close();
			await writer.put('todos/1', { json: {} });
			await vi.waitFor(() => expect(staysHeard).toHaveLength(1));
			await vi.waitFor(() => expect(readerHeard).toHaveLength(1));
			expect(goneHeard).toEqual([]);
		});
	});
});
