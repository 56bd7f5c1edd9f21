/**
 * Defect hunt, thirty-fifth round (outbox, mine from the cache helper's report). API.md "Sensitive data": userinfo and
 * sensitive query values are never written to storage, nor shown. A failed write's `lastError.message` is the answer's
 * status line: a server's status text may name a URL (with a password, a token), as a thrown error's message may.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';

describe('outbox: a failed write\'s status line naming a URL', () => {
	it('is recorded without the URL\'s password and sensitive query values: in list() and in the store', async () => {
		const store: KeyValueStore = memoryStore(`h35-status-${crypto.randomUUID()}`);
		const fetch = async () => new Response('down', { status: 503, statusText: 'Unavailable, see https://ops:S-pw1@status.test/x?token=S-tok2&page=2' });
		const api = createClient({ fetch, prefix: 'https://a.test/', store: () => store, retry: 0, breaker: false, staleCache: false, outbox: outbox() });
		await api.post('todos', { json: { title: 'x' } }).catch(() => undefined);
		await api.outbox.flush(); // Its replay, answered so too (a response: its status line).
		const [entry] = await api.outbox.list();
		// Before: '503 Unavailable, see https://ops:S-pw1@status.test/x?token=S-tok2&page=2'.
		expect(entry?.lastError?.message).toBe('503 Unavailable, see https://ops:@status.test/x?token=&page=2');
		const stored = JSON.stringify(await Promise.all((await store.keys()).map(async (key) => store.get(key))));
		expect([stored.includes('S-pw1'), stored.includes('S-tok2')]).toEqual([false, false]);
		api.close();
	});
});
