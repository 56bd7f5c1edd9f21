/**
 * Distrust of what is stored, thirty-fourth round: values far larger than anything their writer makes, and a cache
 * record's Vary values holding what the cache never keeps, are refused before they are walked or shown.
 */
import { describe, expect, it } from 'vitest';
import { createClient as createPreset, type StorageErrorEvent } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { next } from './cache-kit.js';

const t0 = 1_700_000_000_000;

describe('a cache record whose Vary values hold a URL with userinfo (what the cache never stores: copy.ts `varied`)', () => {
	it('is unreadable: cache.list() shows none of it and reports it (storage:error decode), as a header holding one', async () => {
		const records = new Map<string, unknown>();
		const api = createPreset({
			name: 'stored-hunt34-vary', clock: new ManualClock(t0), store: mapStore(records), retry: 0, breaker: false,
			fetch: (async () => new Response('ok', { headers: { 'cache-control': 'max-age=60', vary: 'referer' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/x', { headers: { referer: 'https://h.test/' } }).text();
		await stored;
		const [key, record] = [...records].find(([each]) => each.startsWith('r:'))!;
		expect((record as { vary: unknown }).vary).toEqual([['referer', 'https://h.test/']]);
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		for (const value of ['https://u:p@h.test/', 'https://user@h.test/page', 'http:u:p@h.test/']) {
			records.set(key, { ...record as object, vary: [['referer', value]] });
			// Before: [{ url: 'https://a.test/x', … }] and [] — listed, never reported.
			expect([value, await api.cache.list()]).toEqual([value, []]);
		}

		expect(errors.map(({ part, operation, key: named }) => [part, operation, named])).toEqual([['cache', 'decode', key], ['cache', 'decode', key], ['cache', 'decode', key]]);
		api.close();
	});
});
