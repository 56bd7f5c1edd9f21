/**
 * Defect hunt, twenty-third round (outbox): the key a write is stored under, placeholders in bulk, stored texts and the
 * secrets of dead letters (API.md "Outbox", "Offline writes for real apps", "Sensitive data").
 *
 * - A write's `Idempotency-Key` given as a header (the page's, through the worker's `fetchHandler`, or a call's own
 *   `headers`) is taken as the `idempotencyKey` option is: 1–255 printable ASCII characters, else the call is an
 *   `InvalidRequestError` before any I/O, and nothing is stored. Before, any header value was the entry's key: the page
 *   was told "queued" (202), and a reload found a record it could not read (its key past the bound): a dead letter.
 * - `substitute()` (a dependent's placeholders replaced at its replay) reads each text once, whatever the number of
 *   placeholders. Before, it read each text once per placeholder (and the JSON body twice per placeholder): 3,000
 *   placeholders took seconds. A value of the answer that reads like another placeholder is sent as it is.
 * - `lastError.message` is bounded: when stored (a server's status line of 100 KB), and as `list()` shows one read
 *   back from storage.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, memoryStore, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { outboxOnStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt23-outbox');
let made = 0;
const fresh = (): KeyValueStore => memoryStore(`hunt23-outbox-${++made}`);

/** The pending keys of `store`, oldest first. */
const pendingKeys = async (store: KeyValueStore): Promise<string[]> => (await store.keys()).filter((key) => key.startsWith('p|')).sort();

/** A FetchEvent as a service worker gets it: its answer, once `respondWith` was called. */
const event = (input: string, init?: RequestInit) => {
	const answered: { response?: Promise<Response> } = {};
	return { request: new Request(input, init), respondWith(response: Response | Promise<Response>) {
		answered.response = Promise.resolve(response);
	}, answered };
};

describe('an Idempotency-Key given as a header is taken as the idempotencyKey option is (1–255 printable ASCII)', () => {
	const keys: Array<[string, string]> = [
		['300 characters', 'k'.repeat(300)],
		['empty', ''],
		['a tab inside', 'a\tb'],
		['a Latin-1 letter', 'cl\u00e9'],
	];

	it.each(keys)('the page\'s, through fetchHandler (%s): the page gets 503 INVALID_REQUEST, nothing sent or stored', async (_name, key) => {
		const store = fresh();
		const { api, state } = onStore(store);
		const handle = fetchHandler(api, { match: () => true });
		const write = event('https://api.example.com/todos/1', { method: 'PUT', body: '{"a":1}', headers: { 'content-type': 'application/json', 'idempotency-key': key } });
		expect(handle(write)).toBe(true);
		const answer = await write.answered.response!;
		// Before: [202, null, 1] — queued under that key (a reload then found a record it could not read: a dead letter).
		expect([answer.status, answer.headers.get('steadfetch-error'), (await pendingKeys(store)).length]).toEqual([503, 'INVALID_REQUEST', 0]);
		expect(state.sent).toEqual([]);
		api.close();
	});

	it.each(keys)('a call\'s own header (%s), a PUT and a POST: InvalidRequestError before any I/O, nothing stored', async (_name, key) => {
		const store = fresh();
		const { api, state } = onStore(store);
		for (const method of ['put', 'post'] as const) {
			const failure = await api[method]('todos/1', { json: { a: 1 }, headers: { 'Idempotency-Key': key } }).catch((caught: unknown) => caught);
			// Before: OutboxQueuedError (its entry's key the header's value).
			expect(failure).toBeInstanceOf(InvalidRequestError);
		}

		expect(await pendingKeys(store)).toEqual([]);
		expect(state.sent).toEqual([]);
		api.close();
	});

	it('a key of 255 printable characters, and the page\'s ordinary key: queued under it, replayed with it', async () => {
		const store = fresh();
		const { api, state } = onStore(store);
		const long = `${'~'.repeat(254)} `.trimEnd() + '~';
		expect(long).toHaveLength(255);
		expect(await api.put('todos/1', { json: { a: 1 }, headers: { 'Idempotency-Key': long } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		const handle = fetchHandler(api, { match: () => true });
		const write = event('https://api.example.com/todos/2', { method: 'PUT', body: '{"a":2}', headers: { 'content-type': 'application/json', 'idempotency-key': 'page-key-1' } });
		handle(write);
		expect((await write.answered.response!).status).toBe(202);
		expect((await api.outbox.list()).map((entry) => entry.idempotencyKey)).toEqual([long, 'page-key-1']);
		state.down = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		expect(state.sent.slice(-2).map((sent) => sent.key)).toEqual([long, 'page-key-1']);
		api.close();
	});
});
