/**
 * Defect hunt, tenth round (runtimes and what comes from outside): variants of earlier fixes, each
 * failing before its fix.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { autoStore, createClient } from '../../src/entries/index.js';
import { mapStore } from '../helpers/test-stores.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('a runtime whose indexedDB is null (a browser with IndexedDB turned off): autoStore picks the next store it has', () => {
	it('autoStore keeps and gives back a value (memory here), as where there is no indexedDB at all', async () => {
		vi.stubGlobal('indexedDB', null);
		const store = autoStore('idb-null');
		const written = await store.set('k', { n: 1 }).then(() => 'ok', (error: unknown) => String(error));
		expect([written, await store.get('k').catch((error: unknown) => String(error)), await store.keys().catch((error: unknown) => String(error))]).toEqual(['ok', { n: 1 }, ['k']]);
	});

	it('the default store of a client: a copy stored and served when the network fails, with no storage:error', async () => {
		vi.stubGlobal('indexedDB', null);
		let up = true;
		const api = createClient({ name: 'idb-null', retry: 0, fetch: async () => up ? Response.json({ a: 1 }) : Promise.reject(new TypeError('fetch failed')) });
		const errors: string[] = [];
		api.on('storage:error', ({ part, operation, error }) => errors.push(`${part} ${operation}: ${(error as Error).message}`));
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		expect(await api.get('https://api.example.com/x').json()).toEqual({ a: 1 });
		await stored;
		up = false;
		const stale = await api.get('https://api.example.com/x');
		expect([stale.headers.get('cache-status'), errors]).toEqual(['steadfetch; hit; ttl=0; detail=network', []]);
		await api.close();
	});
});

describe('a stored copy whose headers, Vary or status text are of the wrong type (another build, a broken store): unreadable, reported once and removed', () => {
	const cases: Array<[string, Record<string, unknown>]> = [
		['a header name that is a number', { headers: [[1, '2']] }],
		['a Vary name that is a number', { vary: [[5, null]] }],
		['a Vary value that is a number', { vary: [['accept', 5]] }],
		['a header that is one string', { headers: [['content-type']] }],
		['a status text that is an object', { statusText: {} }],
		['a status text that is null', { statusText: null }],
	];

	it.each(cases)('%s: not served, storage:error "decode", the record deleted', async (_name, change) => {
		const records = new Map<string, unknown>();
		const store = mapStore(records);
		let up = true;
		const api = createClient({ name: 'planted', store, retry: 0, breaker: false, fetch: async () => up ? Response.json({ a: 1 }) : Promise.reject(new TypeError('fetch failed')) });
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		await api.get('https://api.example.com/x');
		await stored;
		const [key, record] = [...records].find(([name]) => name.startsWith('r:'))!;
		records.set(key, { ...record as object, ...change });
		const errors: string[] = [];
		api.on('storage:error', ({ operation, error }) => errors.push(`${operation}: ${(error as Error).message}`));
		up = false;
		const answer = await api.get('https://api.example.com/x').then((response) => `served, status text ${response.statusText}`, () => 'not served');
		await vi.waitFor(() => expect(records.has(key)).toBe(false), { timeout: 10_000 });
		expect([answer, errors, records.has(key)]).toEqual(['not served', ['decode: Unreadable cache record'], false]);
		await api.close();
	});
});

