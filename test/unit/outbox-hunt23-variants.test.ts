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
 * - A dead letter holding a header a later session marks sensitive (`sensitiveHeaders` grown) is stored again without it
 *   by that session's first pass: an unreadable record's `raw` cleaned again, a readable one kept as an unreadable
 *   record's dead letter. Before, only a pending record was cleaned (as its pass buried it): the dead letters kept the value.
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { substitute, type Ref } from '../../src/outbox/refs.js';
import { dumpStore } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
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

describe('substitute(): each text read once, whatever the number of placeholders', () => {
	const nonce = '0123456789abcdef0123456789abcdef';
	const at = (n: number): string => `steadfetch-ref-${nonce}-${n}`;
	/** `count` placeholders of entry `e` (pointer `/v<n>`, value `n`) in a URL, a header, a JSON body and a text body. */
	const parts = (count: number) => {
		const names = Array.from({ length: count }, (_, n) => at(n));
		const refs: Record<string, Ref> = Object.fromEntries(names.map((name, n) => [name, { entry: 'e', pointer: `/v${n}` }]));
		const values = new Map([['e', Object.fromEntries(names.map((_, n) => [`/v${n}`, n]))]]);
		const json = new TextEncoder().encode(JSON.stringify({ ids: names, label: names.join(' ') })).buffer as ArrayBuffer;
		const text = new TextEncoder().encode(names.join(',')).buffer as ArrayBuffer;
		return [
			[{ url: `https://api.example.com/x?${names.map((name) => `id=${name}`).join('&')}`, headers: { 'x-ids': names.join(','), 'content-type': 'application/json' }, body: json }, refs, values],
			[{ url: 'https://api.example.com/x', headers: { 'content-type': 'text/plain' }, body: text }, refs, values],
		] as const;
	};

	/** The calls of a String method that reads a whole text (`includes`, `split`, `replace`…) on a text of 10,000 characters or more, while `work` runs. */
	const readsOf = (work: () => void): number => {
		const names = ['includes', 'indexOf', 'lastIndexOf', 'split', 'replace', 'replaceAll', 'match', 'matchAll', 'search'] as const;
		const originals = names.map((name) => [name, String.prototype[name]] as const);
		let reads = 0;
		for (const [name, original] of originals) {
			(String.prototype as unknown as Record<string, unknown>)[name] = function (this: string, ...args: unknown[]) {
				reads += this.length >= 10_000 ? 1 : 0;
				return (original as (...given: unknown[]) => unknown).apply(this, args);
			};
		}

		try {
			work();
		} finally {
			for (const [name, original] of originals) {
				(String.prototype as unknown as Record<string, unknown>)[name] = original;
			}
		}

		return reads;
	};

	it('1,000 and 2,000 placeholders: the same few reads of each text (not one per placeholder)', () => {
		const runs = [1_000, 2_000].map((count) => readsOf(() => {
			for (const [request, refs, values] of parts(count)) {
				expect(typeof substitute(request, refs, values)).toBe('object');
			}
		}));
		// Before: 7320 reads for 1,000, 15908 for 2,000 — each text read once per placeholder (the JSON body twice).
		expect(runs[0]).toBe(runs[1]);
		expect(runs[0]).toBeLessThanOrEqual(10);
	});

	it('20,000 placeholders: each replaced by its value, in the URL, the header and both bodies', () => {
		// Before: minutes (3,000 took 3.9 s, growing with the square of the count).
		const [[request, refs, values], [text, , ]] = parts(20_000);
		const replaced = substitute(request, refs, values) as { url: string; headers: Record<string, string>; body: ArrayBuffer };
		const all = Array.from({ length: 20_000 }, (_, n) => n);
		expect(replaced.url).toBe(`https://api.example.com/x?${all.map((n) => `id=${n}`).join('&')}`);
		expect(replaced.headers['x-ids']).toBe(all.join(','));
		expect(JSON.parse(new TextDecoder().decode(replaced.body))).toEqual({ ids: all, label: all.join(' ') });
		expect(new TextDecoder().decode((substitute(text, refs, values) as { body: ArrayBuffer }).body)).toBe(all.join(','));
	});

	it('a placeholder that is the start of another (…-1, …-10), one followed by digits, a key, an escaped quote: as before', () => {
		const refs = { [at(1)]: { entry: 'e', pointer: '/a' }, [at(10)]: { entry: 'e', pointer: '/b' } };
		const values = new Map([['e', { '/a': 'A', '/b': 2 }]]);
		const body = new TextEncoder().encode(JSON.stringify({ one: at(1), ten: at(10), more: `${at(1)}5`, [at(1)]: `x ${at(10)}`, quoted: `"${at(1)}"` })).buffer as ArrayBuffer;
		const replaced = substitute({ url: `https://api.example.com/${at(10)}/${at(1)}/${at(1)}5`, headers: { 'content-type': 'application/json', 'x-a': `${at(1)}${at(10)}` }, body }, refs, values) as { url: string; headers: Record<string, string>; body: ArrayBuffer };
		expect(replaced.url).toBe('https://api.example.com/2/A/A5');
		expect(replaced.headers['x-a']).toBe('A2');
		// `more`: in a longer string, as in the URL (the thirty-fifth hunt: it was left as written, `${at(1)}5`).
		expect(JSON.parse(new TextDecoder().decode(replaced.body))).toEqual({ one: 'A', ten: 2, more: 'A5', A: 'x 2', quoted: '"A"' });
	});

	it('a value of the answer that reads like another placeholder is sent as it is, never replaced in turn', () => {
		// The answer's `/title` is the text of the placeholder of `/id` (a user typed it): it stays that text.
		const refs = { [at(0)]: { entry: 'e', pointer: '/title' }, [at(1)]: { entry: 'e', pointer: '/id' } };
		const values = new Map([['e', { '/title': at(1), '/id': 7 }]]);
		const body = new TextEncoder().encode(JSON.stringify({ title: at(0), in: `t ${at(0)}`, id: at(1) })).buffer as ArrayBuffer;
		const replaced = substitute({ url: `https://api.example.com/${at(0)}/${at(1)}`, headers: { 'content-type': 'application/json', 'x-title': at(0) }, body }, refs, values) as { url: string; headers: Record<string, string>; body: ArrayBuffer };
		// Before: 'https://api.example.com/7/7', '7' and { title: 7, in: 't 7', id: 7 }.
		expect(replaced.url).toBe(`https://api.example.com/${at(1)}/7`);
		expect(replaced.headers['x-title']).toBe(at(1));
		expect(JSON.parse(new TextDecoder().decode(replaced.body))).toEqual({ title: at(1), in: `t ${at(1)}`, id: 7 });
	});
});

describe('lastError is bounded: as stored, and as read back from storage', () => {
	it('a server\'s status line of 100 KB (the first attempt\'s error, then a replay\'s answer): stored and shown at most 1,024 characters', async () => {
		const store = fresh();
		const line = `Busy ${'x'.repeat(100_000)}`;
		const api = createClient({ name: 'hunt23-outbox-long', prefix: 'https://api.example.com/', retry: 0, breaker: false, random: () => 0.5, store: () => store, fetch: (async () => new Response('{}', { status: 503, statusText: line })) as typeof fetch, outbox: outbox() });
		expect(await api.put('todos/1', { json: { a: 1 } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		const first = (await api.outbox.list())[0]!.lastError!;
		// Before: 100,089 characters (ky's message naming the status line and the request).
		expect(first.message.length).toBeLessThanOrEqual(1_024);
		expect(first.message.startsWith('HTTPError: Request failed with status code 503 Busy xxx')).toBe(true);
		expect((await dumpStore(store)).length).toBeLessThan(10_000);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1 });
		const replayed = (await api.outbox.list())[0]!.lastError!;
		// Before: 100,009 characters (the replay's status line).
		expect([replayed.code, replayed.status, replayed.message.length <= 1_024, replayed.message.startsWith('503 Busy xxx')]).toEqual(['HTTP_5XX', 503, true, true]);
		expect((await dumpStore(store)).length).toBeLessThan(10_000);
		api.close();
	});

	it('a stored message (and code) of 1 MB: list() and deadLetters() show at most 1,024 characters of each; the write is kept and replayed', async () => {
		const store = fresh();
		const clock = new ManualClock();
		const client = onStore(store, {}, { clock });
		client.state.offline = true;
		expect(await client.api.put('todos/1', { json: { a: 1 } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		client.api.close();
		const [key] = await pendingKeys(store);
		const record = (await store.get<Record<string, unknown>>(key!))!;
		await store.set(key!, { ...record, lastError: { code: 'C'.repeat(1_000_000), message: 'm'.repeat(1_000_000) } });
		const reader = onStore(store, {}, { clock });
		const [entry] = await reader.api.outbox.list();
		// Before: [1000000, 1000000].
		expect([entry!.lastError!.code.length, entry!.lastError!.message.length].map((length) => length <= 1_024)).toEqual([true, true]);
		reader.state.down = false;
		reader.state.status = 400;
		expect(await reader.api.outbox.flush()).toMatchObject({ dead: 1 });
		expect((await reader.api.outbox.deadLetters()).map((each) => [each.deadReason, each.lastError])).toEqual([['rejected', { code: 'HTTP_4XX', status: 400, message: '400' }]]);
		reader.api.close();
	});
});

describe('a dead letter keeps nothing a later session marks sensitive (sensitiveHeaders grown since it was stored)', () => {
	/** `PUT /todos/1` with `X-Api-Key: planted`, queued offline by a session that did not mark it sensitive: the store and clock. */
	const queuedWithKey = async () => {
		const store = fresh();
		const clock = new ManualClock();
		const client = onStore(store, {}, { clock });
		client.state.offline = true;
		expect(await client.api.put('todos/1', { json: { a: 1 }, headers: { 'X-Api-Key': 'planted', 'X-Kept': 'kept' } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		client.state.offline = false;
		return { store, clock, client };
	};

	it.each([
		['the dead letter of an unreadable record (its raw value)', async (store: KeyValueStore, client: ReturnType<typeof onStore>) => {
			const [key] = await pendingKeys(store);
			await store.set(key!, { ...(await store.get<Record<string, unknown>>(key!))!, method: 1 });
			expect(await client.api.outbox.flush()).toMatchObject({ dead: 1 });
		}],
		['a dead letter the server rejected (its headers)', async (_store: KeyValueStore, client: ReturnType<typeof onStore>) => {
			client.state.down = false;
			client.state.status = 400;
			expect(await client.api.outbox.flush()).toMatchObject({ dead: 1 });
		}],
	])('%s: the next session\'s first pass stores it again without the value; listed once, discard(id) removes it', async (_name, bury) => {
		const { store, clock, client } = await queuedWithKey();
		await bury(store, client);
		const [id] = (await client.api.outbox.deadLetters()).map((entry) => entry.id);
		client.api.close();
		expect(await dumpStore(store)).toMatch(/planted/); // Not sensitive to that session: stored.
		const reader = onStore(store, { sensitiveHeaders: ['x-api-key'] }, { clock });
		expect(await reader.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		const dump = await dumpStore(store);
		// Before: the dump still held 'planted' (only a pending record was cleaned, as its pass buried it).
		expect(dump).not.toMatch(/planted/);
		expect(dump).toMatch(/kept/);
		expect((await reader.api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[id, 'rejected']]);
		expect(JSON.stringify(await reader.api.outbox.deadLetters())).not.toMatch(/planted/);
		await reader.api.outbox.discard(id!);
		expect((await store.keys()).filter((key) => key.startsWith('d|'))).toEqual([]);
		expect(reader.state.sent).toEqual([]);
		reader.api.close();
	});

	it('a session that marks nothing more sensitive writes no dead letter again', async () => {
		const { store, clock, client } = await queuedWithKey();
		client.state.down = false;
		client.state.status = 400;
		expect(await client.api.outbox.flush()).toMatchObject({ dead: 1 });
		client.api.close();
		const written: string[] = [];
		const watched: KeyValueStore = { ...store, async set(key, value) {
			written.push(key);
			return store.set(key, value);
		} };
		const reader = onStore(watched, {}, { clock });
		await reader.api.outbox.flush();
		expect(written.filter((key) => key.startsWith('d|'))).toEqual([]);
		reader.api.close();
	});
});
