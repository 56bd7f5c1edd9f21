/** The outbox's held writes and the records its store never gives back (the thirty-eighth hunt). */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type OutboxOptions } from '../../src/entries/index.js';
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
		await waitFor(() => sent.length > 0, 'the worker to settle the held entry', 3_000).catch(() => undefined);
		const flushed = await worker.outbox.flush();
		expect([sent, flushed.sent, await worker.outbox.size(), server.requests.length]).toEqual([[{ entryId: told, early: true }], 0, 0, 1]);
	});

	it('leaves the held entry as it was when that attempt gets a 503: delivered once by a later replay', async () => {
		const { server, worker, page } = pwa({ networkTimeoutMs: 300 }, { networkTimeoutMs: 50 });
		server.hang();
		const told = await page.post('https://api.test/todos', { json: { title: 'a' } }).catch((error: { entryId?: string }) => error.entryId);
		await waitFor(async () => (await page.outbox.list())[0]?.attempts === 1, 'the page\'s attempt to end (the worker\'s 202)');
		const [stored] = await worker.outbox.list();
		server.settleAll(new Response('busy', { status: 503 }));
		server.up();
		// Replayed once the worker's attempt ended (its entry claimed until then: the worker's flush passes over it meanwhile).
		await waitFor(async () => (await worker.outbox.flush()).remaining === 0, 'a replay to deliver the entry');
		const keys = server.requests.map((request) => request.headers.get('idempotency-key'));
		expect([stored?.id, await worker.outbox.size(), keys.length, new Set(keys).size]).toEqual([told, 0, 2, 1]);
	});
});

/**
 * A client whose outbox holds three writes of one scope (the origin was down), over a store that, once `broken` is set,
 * answers every `get` of the first one's pending key with `broken` ('reject': the store's error; 'hang': never, past
 * `storageTimeoutMs`) while it reads the others; the origin up again.
 */
const stuckHead = async (broken: 'reject' | 'hang') => {
	const name = `h38-stuck-${crypto.randomUUID()}`;
	const inner = memoryStore(name);
	let stuck: string | undefined;
	const store = { ...inner, get: async <T>(key: string): Promise<T | undefined> => {
		if (stuck !== undefined && key.startsWith('p') && key.includes(stuck)) {
			return broken === 'reject' ? Promise.reject(new DOMException('The record could not be read', 'DataError')) : new Promise<never>(() => undefined);
		}

		return inner.get<T>(key);
	} };
	let up = false;
	const fetch = async (): Promise<Response> => up ? new Response('{"id":1}', { status: 201 }) : Promise.reject(new TypeError('Failed to fetch'));
	const client = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, storageTimeoutMs: 50, outbox: outbox({ baseBackoffMs: 60_000 }) });
	opened.push(client);
	const ids: string[] = [];
	for (const title of ['a', 'b', 'c']) {
		ids.push(await client.post('https://api.test/todos', { json: { title } }).catch((error: { entryId: string }) => error.entryId) as string);
	}

	stuck = ids[0];
	up = true;
	const dead: string[] = [];
	client.on('outbox:dead', ({ entryId }) => dead.push(entryId));
	return { client: client as typeof client & { outbox: Outbox }, ids, dead };
};

describe('a pending record the store refuses to give back (every get of its key rejects) while it reads the others', () => {
	it('is buried as the dead letter of an unreadable record after three passes: its scope goes on', async () => {
		const { client, ids, dead } = await stuckHead('reject');
		const flushes = [];
		for (let pass = 0; pass < 4; pass++) {
			flushes.push(await client.outbox.flush());
		}

		const [letter] = await client.outbox.deadLetters();
		expect([flushes.at(-1), dead, letter?.id, letter?.deadReason, letter?.lastError?.message, await client.outbox.size()])
			.toEqual([{ sent: 0, failed: 0, dead: 0, remaining: 0 }, [ids[0]], ids[0], 'rejected', expect.stringMatching(/^Unreadable/), 0]);
	});

	it('one that only misses storageTimeoutMs (a large record on a slow device) is never buried: it blocks its scope, kept', async () => {
		const { client, dead } = await stuckHead('hang');
		const flushes = [];
		for (let pass = 0; pass < 4; pass++) {
			flushes.push(await client.outbox.flush());
		}

		expect([flushes.at(-1)?.remaining, dead, (await client.outbox.deadLetters()).length]).toEqual([3, [], 0]);
	});
});
