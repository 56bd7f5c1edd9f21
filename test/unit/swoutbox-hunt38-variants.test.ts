/** A page's outbox behind its service worker's outbox of the same name (the thirty-eighth hunt). */
import { describe, expect, it } from 'vitest';
import { memoryStore, outbox, type OutboxOptions } from '../../src/entries/index.js';
import type { Outbox } from '../../src/entries/outbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { controlledPageEachTest, pageBehindWorker } from './breaker-kit.js';

const opened = controlledPageEachTest();

/**
 * README "A form that works offline (PWA)" with the service-worker recipe: the worker's client and the page's of one
 * `name`, both with an outbox, over one store (the origin's one IndexedDB); the origin down.
 */
const pwa = (workerOutbox: OutboxOptions = {}, pageOutbox: OutboxOptions | false = {}) => {
	const name = `h38-swoutbox-${crypto.randomUUID()}`;
	const store = memoryStore(name);
	const both = { name, store: () => store, staleCache: false as const };
	const { server, worker, page } = pageBehindWorker(opened, name, { ...both, outbox: outbox({ baseBackoffMs: 60_000, ...workerOutbox }) },
		{ ...both, outbox: pageOutbox && outbox({ baseBackoffMs: 60_000, ...pageOutbox }) });
	server.down();
	return { server, worker: worker as typeof worker & { outbox: Outbox }, page: page as typeof page & { outbox: Outbox } };
};

describe('a page\'s outbox replaying an entry its service worker holds, while the origin is down', () => {
	it('page.outbox.flush() counts the worker\'s 202 as no delivery: one entry, the id the page was told, delivered once by the worker', async () => {
		const { server, worker, page } = pwa();
		const told = (await page.post('https://api.test/todos', { json: { title: 'a' } })).headers.get('steadfetch-outbox-entry');
		await waitFor(async () => (await page.outbox.size()) === 1, 'the page to see the worker\'s entry');
		const flushed = await page.outbox.flush();
		const ids = (await worker.outbox.list()).map((entry) => entry.id);
		server.up();
		const delivered = await worker.outbox.flush();
		const keys = server.requests.map((request) => request.headers.get('idempotency-key'));
		expect([flushed.sent, ids, delivered.sent, await page.outbox.size(), new Set(keys).size]).toEqual([0, [told], 1, 0, 1]);
	});
});

describe('the worker given again a write it holds (the same Idempotency-Key, method, URL and identity)', () => {
	it('answers with the entry it holds, stores no second copy', async () => {
		const { worker, page } = pwa({}, false);
		const send = () => page.post('https://api.test/todos', { json: { title: 'a' }, headers: { 'idempotency-key': 'k-1' } });
		const ids = [(await send()).headers.get('steadfetch-outbox-entry'), (await send()).headers.get('steadfetch-outbox-entry')];
		const other = (await page.post('https://api.test/todos', { json: { title: 'a' }, headers: { 'idempotency-key': 'k-2' } })).headers.get('steadfetch-outbox-entry');
		expect([ids[1] === ids[0], other === ids[0], (await worker.outbox.list()).map((entry) => entry.idempotencyKey)]).toEqual([true, false, ['k-1', 'k-2']]);
	});
});

describe('a write sent again with the key of one the outbox holds, but another body', () => {
	// Not the write the entry is (a page's replay is byte-identical): both kept, the caller told of its own, the server
	// answers the second as it answers a key reused with another payload (422: the app's to see, never lost in silence).
	it('is stored beside it, its body kept', async () => {
		const { worker, page } = pwa({}, false);
		const send = (title: string) => page.post('https://api.test/todos', { json: { title }, headers: { 'idempotency-key': 'k-1' } });
		const ids = [(await send('a')).headers.get('steadfetch-outbox-entry'), (await send('b')).headers.get('steadfetch-outbox-entry')];
		const listed = await worker.outbox.list();
		expect([ids[1] === ids[0], listed.length, listed.map((entry) => entry.id)]).toEqual([false, 2, ids]);
	});
});

describe('a dependent write (`ref()`) in the page whose parent the worker holds', () => {
	it('goes out with the server\'s id once the parent is delivered, after the page\'s flush met the origin down', async () => {
		const { server, page } = pwa();
		const parent = (await page.post('https://api.test/todos', { json: { title: 'a' } })).headers.get('steadfetch-outbox-entry')!;
		await waitFor(async () => (await page.outbox.size()) === 1, 'the page to see the worker\'s entry');
		const made = await page.patch(`https://api.test/todos/${page.outbox.ref(parent, '/id')}`, { json: { done: true } }).catch((error: unknown) => error);
		await page.outbox.flush();
		server.script = (request) => new Response(request.method === 'POST' ? '{"id":7}' : '{}', { status: request.method === 'POST' ? 201 : 200 });
		await page.outbox.flush(); // The worker delivers its entry, then the page's write that waits for it, in either's drain.
		await waitFor(async () => (await page.outbox.size()) === 0, 'both writes to be delivered');
		const sent = server.requests.filter((request) => !request.signal.aborted).map((request) => `${request.method} ${new URL(request.url).pathname}`);
		expect([(made as Error).name, (await page.outbox.deadLetters()).map((entry) => entry.deadReason), await page.outbox.size(), sent.slice(-2)])
			.toEqual(['OutboxQueuedError', [], 0, ['POST /todos', 'PATCH /todos/7']]);
	});
});

describe('a page write told "queued" at the page\'s networkTimeoutMs whose attempt the worker then queued (its later deadline)', () => {
	it('keeps the page\'s entry, which the worker answers for: one entry, the id the page was told, delivered once', async () => {
		const { server, worker, page } = pwa({ networkTimeoutMs: 300 }, { networkTimeoutMs: 50 });
		server.hang();
		const sent: string[] = [];
		worker.on('outbox:sent', ({ entryId }) => sent.push(entryId));
		const told = await page.post('https://api.test/todos', { json: { title: 'a' } }).catch((error: { entryId?: string }) => error.entryId);
		await waitFor(async () => (await page.outbox.list())[0]?.attempts === 1 || (await page.outbox.size()) === 0, 'the page\'s attempt to end (the worker\'s 202)');
		server.settleAll(new TypeError('Failed to fetch'));
		server.up();
		const delivered = await worker.outbox.flush();
		const keys = server.requests.map((request) => request.headers.get('idempotency-key'));
		expect([sent, delivered.sent, await page.outbox.size(), keys.length, new Set(keys).size]).toEqual([[told], 1, 0, 2, 1]);
	});
});
