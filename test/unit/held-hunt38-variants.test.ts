/** The outbox's held writes and the records its store never gives back (the thirty-eighth hunt). */
import { describe, expect, it } from 'vitest';
import { memoryStore, outbox, type OutboxOptions } from '../../src/entries/index.js';
import type { Outbox } from '../../src/entries/outbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { controlledPageEachTest, pageBehindWorker } from './breaker-kit.js';

const opened = controlledPageEachTest();

/** A page's outbox and its service worker's of one name over one store (README "A form that works offline (PWA)"); the origin down. */
const pwa = (workerOutbox: OutboxOptions = {}, pageOutbox: OutboxOptions = {}) => {
	const name = `h38-held-${crypto.randomUUID()}`;
	const store = memoryStore(name);
	const both = { name, store: () => store, staleCache: false as const };
	const { server, worker, page } = pageBehindWorker(opened, name, { ...both, outbox: outbox({ baseBackoffMs: 60_000, ...workerOutbox }) },
		{ ...both, outbox: outbox({ baseBackoffMs: 60_000, ...pageOutbox }) });
	server.down();
	return { server, worker: worker as typeof worker & { outbox: Outbox }, page: page as typeof page & { outbox: Outbox } };
};

describe('a page write told "queued" at the page\'s networkTimeoutMs, held by the worker at its own deadline, whose attempt then succeeds', () => {
	// The worker answers for the page's entry (the write it is) and its own attempt goes on: its answer settles that entry.
	it('settles the held entry: removed, told sent (early) once, never sent again', async () => {
		const { server, worker, page } = pwa({ networkTimeoutMs: 300 }, { networkTimeoutMs: 50 });
		server.hang();
		const sent: Array<{ entryId: string; early: boolean | undefined }> = [];
		worker.on('outbox:sent', ({ entryId, early }) => sent.push({ entryId, early }));
		const told = await page.post('https://api.test/todos', { json: { title: 'a' } }).catch((error: { entryId?: string }) => error.entryId);
		await waitFor(async () => (await page.outbox.list())[0]?.attempts === 1, 'the page\'s attempt to end (the worker\'s 202)');
		server.settleAll(new Response('{"id":1}', { status: 201 }));
		server.up();
		await waitFor(() => sent.length > 0, 'the worker to settle the held entry');
		const flushed = await worker.outbox.flush();
		expect([sent, flushed.sent, await worker.outbox.size(), server.requests.length]).toEqual([[{ entryId: told, early: true }], 0, 0, 1]);
	});

	it('leaves the held entry as it was when that attempt fails: delivered once by a later replay', async () => {
		const { server, worker, page } = pwa({ networkTimeoutMs: 300 }, { networkTimeoutMs: 50 });
		server.hang();
		const told = await page.post('https://api.test/todos', { json: { title: 'a' } }).catch((error: { entryId?: string }) => error.entryId);
		await waitFor(async () => (await page.outbox.list())[0]?.attempts === 1, 'the page\'s attempt to end (the worker\'s 202)');
		const [stored] = await worker.outbox.list();
		server.settleAll(new TypeError('Failed to fetch'));
		server.up();
		const delivered = await worker.outbox.flush();
		const keys = server.requests.map((request) => request.headers.get('idempotency-key'));
		expect([stored?.id, delivered.sent, await worker.outbox.size(), keys.length, new Set(keys).size]).toEqual([told, 1, 0, 2, 1]);
	});
});
