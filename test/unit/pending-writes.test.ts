/**
 * `pending-writes` (API.md "Read your own writes"): while writes to a URL are pending in the outbox, a
 * stale answer for that URL says how many (`Cache-Status … detail=…; pending-writes=N`), the current
 * identity's only, counted in memory; `shown(result).pendingWrites` gives it to a TanStack app (0 when none).
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError, outbox } from '../../src/entries/index.js';
import { queryOptionsFor, shown, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { fetchAndStore, staleStatus, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

type Queued = { outbox: { flush(): Promise<{ sent: number }>; list(): Promise<unknown[]> } };

describe('pending-writes on stale answers', () => {
	it('counts the current identity\'s pending writes to exactly that URL; absent when none; gone once delivered', async () => {
		let who = 'ann';
		const api = kit.make({ outbox: outbox(), identity: () => who });
		const { outbox: queue } = api as unknown as Queued;
		await api.get('pw/todos/1').text();
		await api.get('pw/todos').text();
		const status = async (path: string): Promise<string | null> => staleStatus(kit, api, path);

		await expect.poll(async () => status('pw/todos/1')).toMatch(/detail=network$/);
		kit.mode = 'refuse';
		await expect(api.patch('pw/todos/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.patch('pw/todos/1', { json: { a: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		expect(await status('pw/todos/1')).toMatch(/; detail=network; pending-writes=2$/);
		expect(await status('pw/todos')).toMatch(/detail=network$/); // Another URL: none.
		who = 'bob';
		kit.mode = 'refuse';
		await expect(api.put('pw/todos/1', { json: { b: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		who = 'ann';
		expect(await status('pw/todos/1')).toMatch(/pending-writes=2$/); // Bob's write is not Ann's.
		// TanStack: the stale answer's error and shown() carry it.
		const options = queryOptionsFor(api, 'pw/todos/1');
		kit.mode = 'refuse';
		const error = await (options.queryFn as (context: { signal: AbortSignal }) => Promise<unknown>)({ signal: new AbortController().signal }).catch((caught: unknown) => caught);
		kit.mode = 'up';
		expect(error).toBeInstanceOf(StaleAnswerError);
		expect(error).toMatchObject({ reason: 'network', pendingWrites: 2 });
		expect(shown({ data: undefined, dataUpdatedAt: 0, failureReason: error })).toMatchObject({ reason: 'network', pendingWrites: 2 });
		expect(shown({ data: 1, dataUpdatedAt: Date.now(), failureReason: null }).pendingWrites).toBe(0);
		// Delivered: none pending any more (and the copies those writes superseded are gone).
		expect(await queue.flush()).toMatchObject({ sent: 2 });
		expect(await queue.list()).toHaveLength(1); // Bob's waits for Bob.
		await api.get('pw/todos/1').text();
		await expect.poll(async () => status('pw/todos/1')).toMatch(/detail=network$/);
	});
});

describe('pending-writes belong to the write\'s identity', () => {
	it('a write of Ann\'s stored while the user switches to Bob is counted for Ann, never on Bob\'s stale answers', async () => {
		let who = 'ann';
		const store = kit.store;
		// The user switches while the outbox stores Ann's entry (after its identity was checked, before outbox:queued).
		const switching = { ...store, async set(key: string, value: unknown) {
			await store.set(key, value);
			if (key.startsWith('p|')) {
				who = 'bob';
			}
		} };
		const api = kit.make({ outbox: outbox(), identity: () => who, store: () => switching });
		const status = async (user: string): Promise<string | null> => {
			who = user;
			return staleStatus(kit, api, 'pw/switch/1');
		};

		for (const user of ['ann', 'bob']) {
			who = user;
			await api.get('pw/switch/1').text();
			await expect.poll(async () => status(user)).toMatch(/detail=network$/);
		}

		who = 'ann';
		kit.mode = 'refuse';
		await expect(api.patch('pw/switch/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		expect(who).toBe('bob');
		await expect.poll(async () => status('ann')).toMatch(/; pending-writes=1$/);
		expect(await status('bob')).toMatch(/detail=network$/); // Bob has no pending write.
	});
});

describe('pending-writes after a reload', () => {
	it('writes queued before the client started (a reload, the same store) are counted on its stale answers; none once delivered', async () => {
		const before = kit.make({ outbox: outbox() });
		await before.get('pw/reload/1').text();
		kit.mode = 'refuse';
		await expect(before.patch('pw/reload/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(before.patch('pw/reload/1', { json: { a: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		before.close();
		const after = kit.make({ outbox: outbox() });
		const status = async (): Promise<string | null> => staleStatus(kit, after, 'pw/reload/1');

		await expect.poll(status).toMatch(/; detail=network; pending-writes=2$/); // Before: no pending-writes at all.
		expect(await (after as unknown as Queued).outbox.flush()).toMatchObject({ sent: 2 });
		await after.get('pw/reload/1').text();
		await expect.poll(status).toMatch(/detail=network$/);
	});
});

describe('pending-writes of an identity signed in after a reload', () => {
	it('bob\'s writes queued before the reload are on his first stale answer once he signs in (not only from the second)', async () => {
		let who = 'bob';
		const before = kit.make({ outbox: outbox(), identity: () => who });
		await before.get('pw/signin/bob').text();
		kit.mode = 'refuse';
		await expect(before.patch('pw/signin/bob', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		who = 'ann';
		await before.get('pw/signin/ann').catch(() => undefined);
		kit.mode = 'up';
		await before.get('pw/signin/ann').text();
		kit.mode = 'refuse';
		await expect(before.patch('pw/signin/ann', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		before.close();
		const after = kit.make({ outbox: outbox(), identity: () => who });
		const status = async (path: string): Promise<string | null> => staleStatus(kit, after, path);

		// Ann's write, queued after bob's, is counted: the start has read both.
		await expect.poll(async () => status('pw/signin/ann')).toMatch(/; pending-writes=1$/);
		who = 'bob';
		expect(await status('pw/signin/bob')).toMatch(/; detail=network; pending-writes=1$/);
	});
});

describe('pending-writes count writes only', () => {
	it('a GET with outbox: true is never queued: no pending write of its URL', async () => {
		const api = kit.make({ outbox: outbox({ baseBackoffMs: 3_600_000 }) });
		kit.mode = 'refuse';
		await expect(api.get('pw/read/1', { outbox: true })).rejects.not.toBeInstanceOf(OutboxQueuedError);
		await expect(api.patch('pw/read/2', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		// Copies stored by another client of the store (no outbox: nothing of this one's replays).
		const other = kit.make();
		await other.get('pw/read/1').text();
		await other.get('pw/read/2').text();
		other.close();
		kit.mode = 'refuse';
		const status = async (path: string) => (await api.get(path)).headers.get('cache-status');
		expect(await status('pw/read/2')).toMatch(/; detail=network; pending-writes=1$/); // The write is counted.
		expect(await status('pw/read/1')).toMatch(/; detail=network$/);
		kit.mode = 'up';
	});
});

describe('pending-writes after migrate', () => {
	it('a write migrate() moved to another URL is counted on that URL\'s stale answers, no longer on the old one\'s', async () => {
		const before = kit.make({ outbox: outbox() });
		await before.get('pw/migrate/old').text();
		await before.get('pw/migrate/new').text();
		kit.mode = 'refuse';
		await expect(before.put('pw/migrate/old', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		before.close();
		// The app's update moves the resource; its replay still fails (the API is down).
		const after = kit.make({ outbox: outbox({ version: 2, baseBackoffMs: 60_000, migrate: (entry) => ({ ...entry, url: entry.url.replace('/old', '/new') }) }) });
		const { outbox: queue } = after as unknown as Queued;
		const status = async (path: string): Promise<string | null> => staleStatus(kit, after, path);

		await expect.poll(async () => status('pw/migrate/old')).toMatch(/pending-writes=1$/);
		kit.mode = 'refuse';
		await queue.flush();
		kit.mode = 'up';
		expect((await queue.list() as Array<{ url: string }>).map((entry) => new URL(entry.url).pathname)).toEqual(['/pw/migrate/new']);
		expect([await status('pw/migrate/new'), await status('pw/migrate/old')]).toEqual([expect.stringMatching(/pending-writes=1$/), expect.stringMatching(/detail=network$/)]);
	});
});

describe('pending-writes after a migrate() that returns a URL with a fragment (defect hunt, tenth round)', () => {
	it('the write is still counted on its URL\'s stale answers, and list() shows its URL without the fragment, as a queued URL has none', async () => {
		const before = kit.make({ outbox: outbox() });
		await before.get('pw/migrate-hash').text();
		kit.mode = 'refuse';
		await expect(before.put('pw/migrate-hash', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		before.close();
		// The app's update builds its URLs with a fragment (a router's); the replay still fails (the API is down).
		const after = kit.make({ outbox: outbox({ version: 2, baseBackoffMs: 60_000, migrate: (entry) => ({ ...entry, url: `${entry.url}#section` }) }) });
		const { outbox: queue } = after as unknown as Queued;
		await expect.poll(async () => staleStatus(kit, after, 'pw/migrate-hash')).toMatch(/pending-writes=1$/);
		kit.mode = 'refuse';
		await queue.flush();
		kit.mode = 'up';
		expect({ urls: (await queue.list() as Array<{ url: string }>).map((entry) => new URL(entry.url).hash), status: await staleStatus(kit, after, 'pw/migrate-hash') })
			.toEqual({ urls: [''], status: expect.stringMatching(/pending-writes=1$/) });
	});
});

describe('pending-writes after discard() and retry()', () => {
	it('a discarded write is no longer counted; a dead letter taken back by retry() is counted again', async () => {
		const api = kit.make({ outbox: outbox({ baseBackoffMs: 60_000 }) });
		const { outbox: queue } = api as unknown as Queued & { outbox: { discard(id: string): Promise<void>; retry(id: string): Promise<void>; deadLetters(): Promise<Array<{ id: string }>> } };
		await fetchAndStore(api, 'pw/dr/1'); // Its copy is written behind: stored before the reads below.
		const status = async (): Promise<string | null> => staleStatus(kit, api, 'pw/dr/1');

		kit.mode = 'refuse';
		const one = await api.patch('pw/dr/1', { json: { a: 1 } }).catch((error: OutboxQueuedError) => error.entryId);
		const two = await api.patch('pw/dr/1', { json: { a: 2 } }).catch((error: OutboxQueuedError) => error.entryId);
		kit.mode = 'up';
		expect(await status()).toMatch(/pending-writes=2$/);
		await queue.discard(one as string);
		expect(await status()).toMatch(/pending-writes=1$/); // Before: still 2.
		kit.mode = 422; // The replay is refused: a dead letter, no longer pending.
		expect(await queue.flush()).toMatchObject({ dead: 1 });
		kit.mode = 'up';
		expect(await status()).toMatch(/detail=network$/);
		kit.mode = 'refuse'; // Its replay after retry() fails again: pending.
		await queue.retry(two as string);
		kit.mode = 'up';
		await expect.poll(status).toMatch(/pending-writes=1$/); // Before: none.
	});
});

describe('pending-writes after a conflict rebased', () => {
	it('a rebased write (onConflict) stays counted while it is pending; a conflict that ends in a dead letter is not counted', async () => {
		let rebase = true;
		const api = kit.make({ outbox: outbox({ baseBackoffMs: 60_000, onConflict: async () => {
			kit.mode = 'refuse'; // The rebased write's replay fails: it stays pending.
			return rebase ? { json: { a: 'rebased' } } : 'dead';
		} }) });
		const { outbox: queue } = api as unknown as Queued;
		await fetchAndStore(api, 'pw/rb/1'); // Its copy is written behind: stored before the reads below.
		const status = async (): Promise<string | null> => staleStatus(kit, api, 'pw/rb/1');

		kit.mode = 'refuse';
		await expect(api.patch('pw/rb/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		expect(await status()).toMatch(/pending-writes=1$/);
		kit.mode = 412;
		expect(await queue.flush()).toMatchObject({ sent: 0, dead: 0 });
		kit.mode = 'up';
		expect(await queue.list()).toHaveLength(1); // The rebased write, pending.
		expect(await status()).toMatch(/pending-writes=1$/); // Before: none.
		rebase = false; // Its next conflict ends in a dead letter: no longer pending.
		kit.mode = 412;
		expect(await queue.flush()).toMatchObject({ dead: 1 });
		kit.mode = 'up';
		expect(await status()).toMatch(/detail=network$/);
	});
});

describe('pending-writes after a clear in another tab', () => {
	it('clear({ identity }) of another user leaves the current user\'s pending writes counted', async () => {
		let who = 'bob';
		const api = kit.make({ outbox: outbox(), identity: () => who });
		await fetchAndStore(api, 'pw/clear-other/1'); // Its copy is written behind: stored before the reads below.
		const status = async (): Promise<string | null> => staleStatus(kit, api, 'pw/clear-other/1');

		kit.mode = 'refuse';
		await expect(api.put('pw/clear-other/1', { json: { b: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		who = 'ann';
		await expect(api.put('pw/clear-other/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		who = 'bob';
		expect(await status()).toMatch(/pending-writes=1$/);
		await api.clear({ identity: 'ann' }); // Ann's data goes (a shared device); Bob's write stays pending.
		expect((await (api as unknown as Queued).outbox.list())).toHaveLength(1);
		expect(await status()).toMatch(/pending-writes=1$/);
	});

	it('a tab that counts another tab\'s pending writes forgets them when that tab clears the outbox', async () => {
		const { PendingWrites } = await import('../../src/outbox/pending-writes.js');
		const scope = globalThis as { document?: unknown };
		scope.document = {}; // Two tabs: the count's notes travel on BroadcastChannel.
		const [one, other] = [new PendingWrites('pw-tabs', () => undefined), new PendingWrites('pw-tabs', () => undefined)];
		try {
			one.queued('a', 'ann', 'https://x/todos/1');
			await expect.poll(() => other.count('ann', 'https://x/todos/1')).toBe(1);
			one.cleared(); // `client.clear()` (a logout) in the first tab: its entries are gone from the store.
			expect(one.count('ann', 'https://x/todos/1')).toBe(0);
			await expect.poll(() => other.count('ann', 'https://x/todos/1')).toBe(0); // Before: 1 until a reload.
		} finally {
			one.close();
			other.close();
			delete scope.document;
		}
	});
});

describe('pending-writes: a clear of one identity in another tab', () => {
	it('the other tab forgets that identity\'s writes only', async () => {
		const { PendingWrites } = await import('../../src/outbox/pending-writes.js');
		const scope = globalThis as { document?: unknown };
		scope.document = {}; // Two tabs: the count's notes travel on BroadcastChannel.
		const [one, other] = [new PendingWrites('pw-tabs-identity', () => undefined), new PendingWrites('pw-tabs-identity', () => undefined)];
		try {
			one.queued('a', 'ann', 'https://x/todos/1');
			one.queued('b', 'bob', 'https://x/todos/1');
			await expect.poll(() => other.count('bob', 'https://x/todos/1')).toBe(1);
			one.cleared('ann'); // `client.clear({ identity })` in the first tab (its digest).
			await expect.poll(() => other.count('ann', 'https://x/todos/1')).toBe(0);
			expect([one.count('bob', 'https://x/todos/1'), other.count('bob', 'https://x/todos/1')]).toEqual([1, 1]);
		} finally {
			one.close();
			other.close();
			delete scope.document;
		}
	});
});

describe('PendingWrites: the count in memory', () => {
	it('one lookup per count, kept exact through repeated notes, removals of unknown entries, the 10,000 bound and clears', async () => {
		const { PendingWrites } = await import('../../src/outbox/pending-writes.js');
		const pending = new PendingWrites('pw-count', () => undefined);
		pending.queued('a', 'ann', 'https://x/todos/1');
		pending.queued('a', 'ann', 'https://x/todos/1'); // The same entry told twice counts once.
		pending.queued('b', 'ann', 'https://x/todos/1');
		pending.queued('c', 'bob', 'https://x/todos/1');
		pending.queued('d', undefined, 'https://x/todos/1');
		expect([pending.count('ann', 'https://x/todos/1'), pending.count('bob', 'https://x/todos/1'), pending.count(undefined, 'https://x/todos/1')]).toEqual([2, 1, 1]);
		pending.queued('b', 'ann', 'https://x/todos/2'); // Queued again elsewhere (a rebased write): moves.
		expect([pending.count('ann', 'https://x/todos/1'), pending.count('ann', 'https://x/todos/2')]).toEqual([1, 1]);
		pending.gone('zzz');
		pending.gone('a');
		pending.gone('a');
		expect(pending.count('ann', 'https://x/todos/1')).toBe(0);
		for (let i = 0; i < 10_000; i++) {
			pending.queued(`n${i}`, 'ann', 'https://x/many');
		}

		// Past 10,000 known entries the oldest notes go (b, c and d first): the counts follow.
		expect([pending.count('ann', 'https://x/many'), pending.count('ann', 'https://x/todos/2'), pending.count('bob', 'https://x/todos/1')]).toEqual([10_000, 0, 0]);
		pending.queued('last', 'ann', 'https://x/many');
		pending.gone('n5');
		expect(pending.count('ann', 'https://x/many')).toBe(9_999);
		pending.cleared();
		expect(pending.count('ann', 'https://x/many')).toBe(0);
		pending.close();
	});
});

describe('pending-writes, the URL as fetch sends it', () => {
	it('a read of the URL with a fragment counts the writes to it (fetch sends no fragment; none is queued)', async () => {
		const api = kit.make({ outbox: outbox() });
		await fetchAndStore(api, 'pwf/todos/1'); // Its copy is written behind: stored before the reads below.
		kit.mode = 'refuse';
		await expect(api.put('pwf/todos/1#form', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		const stale = await api.get('pwf/todos/1#details');
		kit.mode = 'up';
		expect(stale.headers.get('cache-status')).toMatch(/; detail=network; pending-writes=1$/); // before: no pending-writes
	});
});

describe('pending-writes of a client extend() made, on its parent\'s stale answers (no tabs: Node, Deno, Workers; ninth round, second pass, J)', () => {
	it('a write the child queued is counted on the parent\'s stale answer of its URL, and the parent\'s on the child\'s', async () => {
		const api = kit.make({ outbox: outbox() });
		const feature = api.extend({ headers: { 'x-feature': 'cart' } });
		await api.get('pw9b/todos/1').text();
		await expect.poll(async () => staleStatus(kit, api, 'pw9b/todos/1')).toMatch(/detail=network$/);
		kit.mode = 'refuse';
		await expect(feature.patch('pw9b/todos/1', { json: { a: 1 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		await expect(api.patch('pw9b/todos/1', { json: { a: 2 } })).rejects.toBeInstanceOf(OutboxQueuedError);
		kit.mode = 'up';
		expect({ parent: await staleStatus(kit, api, 'pw9b/todos/1'), child: await staleStatus(kit, feature, 'pw9b/todos/1') })
			.toEqual({ parent: expect.stringMatching(/; pending-writes=2$/), child: expect.stringMatching(/; pending-writes=2$/) });
	});
});
