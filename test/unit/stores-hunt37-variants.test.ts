/**
 * Defect hunt, thirty-seventh round (stores: a store of the app's own that answers garbage): variants of defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { offlineFetch, queued } from './outbox-helpers.js';

describe('a store whose span() answers what is no KeySpan', () => {
	for (const answer of [null, 'x', 5, { count: '1' }, { count: 1, last: 2 }]) {
		it(`(${JSON.stringify(answer)}) never fails a queued write: it is queued, and the failure reported as storage:error`, async () => {
			const name = `hunt37-stores-span-${JSON.stringify(answer)}`;
			const inner = memoryStore(name);
			const store: KeyValueStore = { ...inner, span: async () => answer as never };
			const { fetch } = offlineFetch();
			const errors: unknown[] = [];
			const api = createClient({ name, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
			api.on('storage:error', (event) => errors.push(event.operation));
			try {
				await queued(api.put('a', { json: {} }));
				await queued(api.put('b', { json: {} }));
				expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.test/a', 'https://api.test/b']);
				// Before: null rejected the write with a raw TypeError ('Cannot read properties of null'); the others went unreported.
				expect(errors).toContain('span');
			} finally {
				api.close();
			}
		});
	}
});
