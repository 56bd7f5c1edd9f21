/**
 * Defect hunt, thirty-seventh round (offline writes: identities, dependent writes, files): variants of defects already found.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { offlineFetch, queued } from './outbox-helpers.js';

describe('a stored record of another identity under the id of a pending entry (planted, or a garbled copy)', () => {
	it('never holds the entry of the identity signed in: it goes out at once, the other when its identity is back', async () => {
		const name = 'hunt37-outbox-id-collision';
		const store = memoryStore(name);
		let who = 'alice';
		const { fetch, sent, net } = offlineFetch();
		const make = () => createClient({ name, identity: () => who, store: () => store, fetch, retry: 0, breaker: false, staleCache: false, baseUrl: 'https://api.test/', outbox: outbox() });
		const first = make();
		const id = await queued(first.put('alice/1', { json: {} }));
		who = 'bob';
		const other = await queued(first.put('bob/1', { json: {} }));
		first.close();
		// Bob's record (the newer) stored again under alice's entry's id.
		const bobKey = (await store.keys()).find((key) => key.includes(other))!;
		const record = await store.get(bobKey) as Record<string, unknown>;
		await store.delete(bobKey);
		await store.set(bobKey.replace(other, id), { ...record, id });
		who = 'alice';
		const api = make();
		try {
			net.offline = false;
			expect((await api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.test/alice/1', 'https://api.test/bob/1']);
			// Before: { sent: 0, remaining: 2 } and nothing sent: alice's write waited for bob's to be delivered.
			expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 1 });
			expect(sent).toEqual(['PUT /alice/1']);
			who = 'bob';
			expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
			expect(sent).toEqual(['PUT /alice/1', 'PUT /bob/1']);
		} finally {
			api.close();
		}
	});
});
