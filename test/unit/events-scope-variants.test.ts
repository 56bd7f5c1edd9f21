/**
 * Every event has a `scope` (API.md "Events"): the scope of its `url` when it has one, else the
 * client's `'*'` (PolicyContext.emit) — never an empty string a policy passed for "none".
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import type { KeyValueStore } from '../../src/stores/types.js';

describe('events: scope', () => {
	it('storage:error (a store whose writes fail) carries the client\'s scope \'*\' when it names no URL, its URL\'s scope when it does: never \'\'', async () => {
		// A store whose writes fail: the stale cache's copy of an answer cannot be written.
		const failing: KeyValueStore = {
			get: async () => undefined,
			set: async () => {
				throw new Error('quota');
			},
			delete: async () => undefined,
			keys: async () => [],
			clear: async () => undefined,
		};
		const api = createClient({ retry: 0, store: () => failing, fetch: (async () => Response.json({ ok: true })) as typeof fetch });
		const errors: Array<{ scope: string; url?: string | undefined }> = [];
		api.on('storage:error', ({ scope, url }) => errors.push({ scope, url }));
		await api.get('https://api.example.test/users/1').json();
		await expect.poll(() => errors).not.toEqual([]);
		for (const { scope, url } of errors) {
			expect(scope).toBe(url === undefined ? '*' : new URL(url).origin);
		}

		api.close();
	});

	it('the logger\'s record of a call refused before its URL was known (no prefix for a relative URL) has the client\'s scope \'*\', not \'\'', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const api = createClient({ retry: 0, logger: logger(sink) });
		await api.get('users/1').catch(() => undefined);
		expect(records.map(({ event, scope, code }) => [event, scope, code])).toEqual([['call', '*', 'INVALID_REQUEST']]);
		api.close();
	});
});
