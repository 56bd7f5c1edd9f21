/**
 * Defect hunt, twenty-first round: the stale cache's stored records are outside input (API.md "Sensitive data": "Records
 * read from storage … are validated before use: a malformed record is ignored and reported as `storage:error`"), bound
 * by the options that govern them before use. Each test names the claim it holds the code to.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale, type ClientOptions, type StorageErrorEvent } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { next } from './cache-kit.js';

type Stored = { storedAt: number; born: number; until: number; lifetime: number; status: number; statusText: string; headers: Array<[string, string]>; vary: Array<[string, string | null]>; body: ArrayBuffer };

/**
 * A client on a store over `records`, whose origin answers `{"fresh":true}` (14 bytes) with `headers` (`Cache-Control:
 * max-age=60` unless given), or while `down` fails as a dropped connection; `errors`: its storage:error events.
 */
const origin = (records: Map<string, unknown>, options: ClientOptions = {}) => {
	const state = { down: false, headers: { 'cache-control': 'max-age=60' } as Record<string, string>, statusText: 'OK' };
	const errors: string[] = [];
	const clock = new ManualClock();
	const api = createClient({
		name: 'hunt21-cache', clock, store: mapStore(records), retry: 0, breaker: false, random: () => 0.5,
		fetch: async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response('{"fresh":true}', { statusText: state.statusText, headers: { 'content-type': 'application/json', ...state.headers } });
		},
		...options,
	});
	api.on('storage:error', ({ part, operation }: StorageErrorEvent) => errors.push(`${part} ${operation}`));
	return { api, state, errors, clock };
};

/** What a GET of `url` got while the origin is down: 'stale', its status text and body, or the error's name. */
const whileDown = async ({ api, state }: ReturnType<typeof origin>, url: string): Promise<string> => {
	state.down = true;
	try {
		const response = await api.get(url);
		return `${isStale(response) ? 'stale' : 'fresh'} ${response.statusText.length} ${(await response.text()).length}`;
	} catch (error) {
		return (error as Error).name;
	} finally {
		state.down = false;
	}
};

/** Store a copy of `url` and give its key and record (the record as the store holds it: mutable in place). */
const storedCopy = async (client: ReturnType<typeof origin>, records: Map<string, unknown>, url: string): Promise<[string, Stored]> => {
	const stored = next(client.api, 'cache:stored');
	await client.api.get(url).text();
	await stored;
	return [...records].find(([key]) => key.endsWith(url)) as [string, Stored];
};

describe('a stored record whose head is over the bounds a response has is malformed: not served, storage:error, removed', () => {
	const many = Array.from({ length: 5000 }, (_, index): [string, string] => [`x-h${String(index).padStart(4, '0')}`, 'v']);
	for (const [what, change] of [
		['5,000 headers', (record: Stored) => record.headers.push(...many)],
		['a header of 1 MiB', (record: Stored) => record.headers.push(['x-big', 'x'.repeat(1_048_576)])],
		['headers of 100,000 characters together', (record: Stored) => record.headers.push(...Array.from({ length: 10 }, (_, index): [string, string] => [`x-part${index}`, 'x'.repeat(10_000)]))],
		['a status text of 100,000 characters', (record: Stored) => { record.statusText = 'x'.repeat(100_000); }],
		['a status text of 2,000 characters', (record: Stored) => { record.statusText = 'x'.repeat(2000); }],
		['a Vary of 5,000 request headers', (record: Stored) => { record.vary = many.map(([name]) => [name, null]); record.headers.push(['vary', many.map(([name]) => name).join(', ')]); }],
	] as const) {
		it(`a record with ${what}`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			const [key, record] = await storedCopy(client, records, 'https://a.test/item');
			change(record);

			// Before: served as stored ('stale 2 14', 'stale 100000 14': the whole head handed to the app), nothing reported.
			expect(await whileDown(client, 'https://a.test/item')).toBe('NetworkError');
			expect(client.errors).toEqual(['cache decode']);
			await expect.poll(() => records.has(key)).toBe(false);
		});
	}

	it('neighbours: a record within the bounds (200 headers, a status text of 1,000 characters) is served as stored', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records);
		const [, record] = await storedCopy(client, records, 'https://a.test/within');
		record.headers.push(...many.slice(0, 200));
		record.headers.sort(([a], [b]) => a < b ? -1 : 1);
		record.statusText = 'x'.repeat(1000);
		expect(await whileDown(client, 'https://a.test/within')).toBe('stale 1000 14');
		expect(client.errors).toEqual([]);
	});

	it('an answer over the bounds is not stored: never served nor reported later, and the copy it would replace goes (the caller saw newer data)', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records);
		await storedCopy(client, records, 'https://a.test/kept');
		client.clock.advance(2000);
		client.state.statusText = 'x'.repeat(2000);
		client.state.headers = { 'cache-control': 'max-age=60', 'x-added': 'new' };
		expect((await client.api.get('https://a.test/kept')).statusText).toHaveLength(2000);
		client.state.statusText = 'OK';
		client.state.headers = Object.fromEntries(many.slice(0, 300));
		await client.api.get('https://a.test/many').text();
		// A copy under way is written before the next one (each behind its call): a later URL's copy tells when they are done.
		client.state.headers = {};
		const stored = next(client.api, 'cache:stored');
		await client.api.get('https://a.test/later').text();
		await stored;

		// Before (with the read bound alone): stored, then refused with storage:error at each failure.
		// The thirty-second hunt: the older copy of /kept no longer answers after the caller read a newer answer (it did: 'stale 2 14').
		expect([...records.keys()].map((key) => key.slice(key.lastIndexOf('~') + 1))).toEqual(['https://a.test/later']);
		expect(await whileDown(client, 'https://a.test/kept')).toBe('NetworkError');
		expect(await whileDown(client, 'https://a.test/many')).toBe('NetworkError');
		expect(client.errors).toEqual([]);
	});
});

describe('a stored record whose body is over the reading client\'s maxBodyBytes is never served', () => {
	it('a copy of 14 bytes read by a client whose maxBodyBytes is 10 (another build, tab or configuration stored it) is a miss, and goes', async () => {
		const records = new Map<string, unknown>();
		const writer = origin(records);
		const [key] = await storedCopy(writer, records, 'https://a.test/body');
		expect(await whileDown(writer, 'https://a.test/body')).toBe('stale 2 14');

		const reader = origin(records, { staleCache: { maxBodyBytes: 10 } });
		// Before: 'stale 2 14' (14 bytes served by a client that never keeps more than 10), and listed by cache.list().
		expect(await reader.api.cache.list()).toEqual([]);
		expect(await whileDown(reader, 'https://a.test/body')).toBe('NetworkError');
		await expect.poll(() => records.has(key)).toBe(false);
	});

	it('a record whose body was swapped for 2 MiB (over the default 1 MiB) is not served', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records);
		const [, record] = await storedCopy(client, records, 'https://a.test/huge');
		record.body = new ArrayBuffer(2 * 1_048_576);
		// Before: 'stale 2 2097152'.
		expect(await whileDown(client, 'https://a.test/huge')).toBe('NetworkError');
	});

	it('neighbour: a body of exactly maxBodyBytes is served', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records, { staleCache: { maxBodyBytes: 14 } });
		await storedCopy(client, records, 'https://a.test/exact');
		expect(await whileDown(client, 'https://a.test/exact')).toBe('stale 2 14');
	});
});

describe('a stored record\'s header names are as `write` keeps them (lower case, once each): else its own limits would be misread', () => {
	const cases: Array<[string, Array<[string, string]>]> = [
		['Cache-Control in upper case', [['Cache-Control', 'max-age=1, must-revalidate']]],
		['a second cache-control', [['cache-control', 'max-age=1'], ['cache-control', 'must-revalidate']]],
	];
	for (const [what, headers] of cases) {
		it(`a record with ${what} (must-revalidate, stale now) is not served`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			const [key, record] = await storedCopy(client, records, 'https://a.test/strict');
			record.headers = [...record.headers.filter(([name]) => name !== 'cache-control'), ...headers];
			client.clock.advance(10_000);
			// Before: 'stale 2 14', served 10 s past its freshness though the copy says must-revalidate (its limit read 'cache-control' alone, or its first).
			expect(await whileDown(client, 'https://a.test/strict')).toBe('NetworkError');
			expect(client.errors).toEqual(['cache decode']);
			await expect.poll(() => records.has(key)).toBe(false);
		});
	}

	it('neighbour: the copy as written, must-revalidate and fresh, is served; once stale it is not', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records);
		client.state.headers = { 'cache-control': 'max-age=5, must-revalidate' };
		await storedCopy(client, records, 'https://a.test/fresh');
		expect(await whileDown(client, 'https://a.test/fresh')).toBe('stale 2 14');
		client.clock.advance(10_000);
		expect(await whileDown(client, 'https://a.test/fresh')).toBe('NetworkError');
		expect(client.errors).toEqual([]);
	});
});

describe('neighbours: the shape of a stored record (held already; guarded here)', () => {
	const cases: Array<[string, (record: Stored) => void, string[]]> = [
		['a storedAt that is no number', (record) => { (record as { storedAt: unknown }).storedAt = '1'; }, ['cache decode']],
		['a storedAt an hour ahead of the clock', (record) => { record.storedAt += 3_600_000; record.born = record.storedAt; }, []],
		['a negative storedAt', (record) => { record.storedAt = -1; record.born = -1; }, []],
		['a 204', (record) => { record.status = 204; }, ['cache decode']],
		['a status of 600', (record) => { record.status = 600; }, ['cache decode']],
		['headers as an object', (record) => { (record as { headers: unknown }).headers = { 'content-type': 'application/json' }; }, ['cache decode']],
		['a body that is a string', (record) => { (record as { body: unknown }).body = '{"fresh":true}'; }, ['cache decode']],
		['a body that is a Uint8Array', (record) => { (record as { body: unknown }).body = new Uint8Array(record.body); }, ['cache decode']],
	];
	for (const [what, change, errors] of cases) {
		it(`a record with ${what} is not served`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			await storedCopy(client, records, 'https://a.test/shape');
			change([...records.values()][0] as Stored);
			expect(await whileDown(client, 'https://a.test/shape')).toBe('NetworkError');
			expect(client.errors).toEqual(errors);
		});
	}

	it('a record under another URL\'s key, or another identity\'s, answers none but its own', async () => {
		const records = new Map<string, unknown>();
		let who = 'ann';
		const client = origin(records, { identity: () => who });
		const [key, record] = await storedCopy(client, records, 'https://a.test/mine');
		records.set(key.replace('/mine', '/other'), record);
		expect(await whileDown(client, 'https://a.test/other')).toBe('NetworkError');
		expect(client.errors).toEqual(['cache decode']);
		who = 'bob';
		expect(await whileDown(client, 'https://a.test/mine')).toBe('NetworkError');
		who = 'ann';
		expect(await whileDown(client, 'https://a.test/mine')).toBe('stale 2 14');
	});
});
