/** The service worker's outbox and Background Sync (the thirty-fifth hunt): leads that held, kept as regression tests. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler, outboxSyncHandler } from '../../src/entries/sw.js';
import { serve } from '../helpers/node-server.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';
import { waitFor } from '../helpers/wait-for.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

/** A Background Sync event of `tag`, with what its `waitUntil` got settled as text. */
const sync = async (handle: ReturnType<typeof outboxSyncHandler>, tag: string): Promise<string> => {
	const waits: Array<Promise<unknown>> = [];
	handle({ tag, waitUntil: (promise) => waits.push(promise) });
	return waits[0]!.then((result) => JSON.stringify(result), (error: Error) => `rejected: ${error.message}`);
};

describe('API.md "Identity": a write the worker queued for alice, a sync while bob is signed in', () => {
	it('is not sent under bob (the sync asks again), then sent once alice is back', async () => {
		const sent: string[] = [];
		let down = true;
		let who = 'alice';
		const server = await serve((request) => {
			sent.push(`${request.method} ${new URL(request.url).pathname} as ${who}`);
			return new Response('{}', { status: down ? 503 : 200 });
		});
		vi.stubGlobal('location', new URL(`${server.url}/sw.js`));
		const name = `h35-swoutbox-${crypto.randomUUID()}`;
		const api = createClient({ name, identity: () => who, retry: 0, breaker: false, staleCache: false, store: () => memoryStore(name), outbox: outbox({ baseBackoffMs: 60_000 }) });
		try {
			const page = event(`${server.url}/todos`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer ALICE' } });
			fetchHandler(api, { match: () => true })(page as never);
			expect((await page.answered.response!).status).toBe(202);
			who = 'bob';
			down = false;
			const handle = outboxSyncHandler(api);
			expect(await sync(handle, `steadfetch-outbox:${name}`)).toBe('rejected: 1 outbox entries could not be delivered yet');
			expect(sent).toEqual(['POST /todos as alice']);
			who = 'alice';
			expect(await sync(handle, `steadfetch-outbox:${name}`)).toBe('{"sent":1,"failed":0,"dead":0,"remaining":0}');
			expect(sent).toEqual(['POST /todos as alice', 'POST /todos as alice']);
		} finally {
			api.close();
			await server.close();
		}
	});
});

describe('outboxSyncHandler: a sync that comes while another one\'s replay runs (and a last chance)', () => {
	it('joins it: each write sent once, nothing lost, every event told the same counts; a dead letter is visible to a page of the name', async () => {
		const sent: string[] = [];
		let status = 503;
		let open!: () => void;
		const held = new Promise<void>((resolve) => {
			open = resolve;
		});
		const server = await serve(async (request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			if (status !== 503) {
				await held;
			}

			return new Response('{}', { status: path === '/c' && status !== 503 ? 422 : status });
		});
		const name = `h35-swoutbox-${crypto.randomUUID()}`;
		const store = memoryStore(name);
		const made = () => createClient({ name, retry: 0, breaker: false, staleCache: false, store: () => store, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const [worker, page] = [made(), made()];
		try {
			for (const path of ['/a', '/b', '/c']) {
				await worker.post(`${server.url}${path}`, { json: {} }).catch(() => undefined);
			}

			status = 200;
			const handle = outboxSyncHandler(worker);
			const waits: Array<Promise<unknown>> = [];
			const tag = `steadfetch-outbox:${name}`;
			handle({ tag, waitUntil: (promise) => waits.push(promise) });
			await waitFor(() => sent.length === 2, 'the first sync\'s replay to reach the origin');
			handle({ tag, waitUntil: (promise) => waits.push(promise) });
			handle({ tag, lastChance: true, waitUntil: (promise) => waits.push(promise) });
			open();
			const told = await Promise.all(waits.map(async (wait) => wait.then((result) => JSON.stringify(result), (error: Error) => `rejected: ${error.message}`)));
			expect(told).toEqual(Array(3).fill('{"sent":2,"failed":0,"dead":1,"remaining":0}'));
			expect(sent).toEqual(['/a', '/a', '/b', '/c']);
			expect([(await page.outbox.deadLetters()).map((entry) => [new URL(entry.url).pathname, entry.deadReason]), await page.outbox.size()]).toEqual([[['/c', 'rejected']], 0]);
		} finally {
			worker.close();
			page.close();
			await server.close();
		}
	});
});

describe('API.md "Sensitive data": what a page sends the worker for a write it queues', () => {
	it('stores no credential: not its Authorization, Proxy-Authorization or a sensitiveHeaders one; a presigned URL is never queued', async () => {
		const server = await serve(() => new Response('down', { status: 503 }));
		vi.stubGlobal('location', new URL(`${server.url}/sw.js`));
		const name = `h35-swoutbox-${crypto.randomUUID()}`;
		const store = memoryStore(name);
		const api = createClient({ name, sensitiveHeaders: ['x-api-key'], retry: 0, breaker: false, staleCache: false, store: () => store, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const handle = fetchHandler(api, { match: () => true });
		try {
			const statuses: number[] = [];
			for (const [path, headers] of [
				['/a?access_token=SECRET1', {}],
				['/b', { 'x-api-key': 'SECRET2', 'proxy-authorization': 'Basic SECRET3', 'idempotency-key': 'page-key' }],
				['/c', { authorization: 'Bearer SECRET4' }],
			] as const) {
				const page = event(`${server.url}${path}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...headers } });
				handle(page as never);
				statuses.push((await page.answered.response!).status);
			}

			const stored = await Promise.all((await store.keys()).map(async (key) => JSON.stringify(await store.get(key))));
			const entries = await api.outbox.list();
			expect([statuses, stored.length, stored.join('\n').match(/SECRET\d/g), entries.map((entry) => entry.idempotencyKey)[0]]).toEqual([[503, 202, 202], 2, null, 'page-key']);
		} finally {
			api.close();
			await server.close();
		}
	});
});
