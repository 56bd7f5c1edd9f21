/**
 * Variants of API.md "Work that outlives its caller" (defect hunt, ninth round): every write such work
 * makes later is checked against the world at the moment of the write. Node, memory store.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Policy } from '../../src/entries/policy.js';
import { auth } from '../../src/entries/auth.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { dumpStore } from '../helpers/dump-store.js';
import { collect, fetchAndStore, gatedReads, quiet, useCacheKit, holdingFetch } from './cache-kit.js';

const kit = useCacheKit();

/** A gate on the origin: requests that arrive while it is set wait for `release()`. */
const gate = (): (() => void) => {
	let release!: () => void;
	kit.gate = new Promise((resolve) => {
		release = resolve;
	});
	return () => {
		kit.gate = undefined;
		release();
	};
};

describe('a read under way when a write of its URL is delivered by a client of the name without a stale cache', () => {
	it('does not store its answer after the delivery: a copy of the state before the write never answers', async () => {
		const reader = kit.make({ name: 'h9-a' });
		// An extend()ed client of the same name and store that has no stale cache (its own writes' client).
		const writer = reader.extend({ staleCache: false });
		const stored = collect(reader, 'cache:stored');
		const release = gate();
		const read = reader.get('h9/a/todos/1').text();
		await vi.waitFor(() => expect(kit.hits('/h9/a/todos/1')).toBe(1));
		kit.clock.advance(1000);
		kit.gate = undefined; // The write is answered at once; the read still waits.
		expect((await writer.put('h9/a/todos/1', { json: { done: true } })).status).toBe(200);
		kit.clock.advance(1000);
		release();
		expect(JSON.parse(await read)).toMatchObject({ n: 1 }); // The state before the write (the caller's own answer).
		await quiet();
		// Before: 1 (stored after the delivery, then served as the todo's state).
		expect(stored).toHaveLength(0);
		expect(await kit.servedStale(reader, 'h9/a/todos/1')).toBe(false);
		// A read made after the delivery stores its copy as before.
		await reader.get('h9/a/todos/1').text();
		await vi.waitFor(() => expect(stored).toHaveLength(1));
		expect(await kit.servedStale(reader, 'h9/a/todos/1')).toBe(true);
	});
});

describe('a copy read from the store before a write of its URL was delivered is not served after it', () => {
	it('delivered by a client of the name without a stale cache while the pending writes to its URL were counted: the network\'s error, not the copy', async () => {
		let counting: (() => void) | undefined;
		let reached = false;
		// What the outbox offers the stale cache (a count that may wait for an identity's digest), held here.
		const pending = (): Policy<'h9pending'> => ({
			slot: 'h9pending',
			create: (context) => {
				(context.hooks as { pendingWrites?: () => Promise<number> }).pendingWrites = async () => {
					reached = true;
					await new Promise<void>((resolve) => {
						counting = resolve;
					});
					return 0;
				};
				return {};
			},
		});
		const reader = kit.make({ name: 'h9-h', h9pending: pending() } as never);
		const writer = kit.make({ name: 'h9-h', staleCache: false });
		await fetchAndStore(reader, 'h9/h/todos/1');
		kit.clock.advance(1000);
		kit.mode = 'refuse';
		const call = reader.get('h9/h/todos/1');
		await vi.waitFor(() => expect(reached).toBe(true));
		kit.mode = 'up';
		expect((await writer.put('h9/h/todos/1', { json: { done: true } })).status).toBe(200);
		counting!();
		// Before: the copy stored before the write answered it (Cache-Status … detail=network).
		await expect(call).rejects.toMatchObject({ name: 'NetworkError' });
	});
});

describe('a copy read from the store while cache.delete(url) of it ran is not served', () => {
	it('the store answers the read (a copy as it was) after the delete resolved: the network\'s error, not the deleted copy', async () => {
		const { inner, store, reading, hold, release } = gatedReads(); // A read takes what the store held when it began.
		const api = kit.make({ store: () => store, storageTimeoutMs: 60_000 });
		await fetchAndStore(api, 'h9/b/users/5');
		hold();
		kit.mode = 'refuse';
		const call = api.get('h9/b/users/5');
		await vi.waitFor(() => expect(reading()).toBe(true));
		await api.cache.delete('h9/b/users/5');
		expect(await inner.keys()).toEqual([]);
		release();
		// Before: the deleted copy answered it (a Response, Cache-Status … detail=network).
		await expect(call).rejects.toMatchObject({ name: 'NetworkError' });
		kit.mode = 'up';
		// A copy stored after the delete answers as before.
		await fetchAndStore(api, 'h9/b/users/5');
		expect(await kit.servedStale(api, 'h9/b/users/5')).toBe(true);
	});
});

describe('a read its copy answered at its deadline (networkTimeoutMs) while its first attempt waits for a bulkhead slot', () => {
	it('the identity changes before the slot is free: the attempt is not sent, alice\'s token never goes out after bob signed in', async () => {
		let who = 'alice';
		const { fetch, sent, open } = holdingFetch('/h9/c/hold');
		// A private cache (the default in Node is shared: it keeps no copy of a request with a token).
		const api = kit.make({ fetch, identity: () => who, staleCache: { shared: false }, bulkhead: bulkhead({ maxConcurrent: 1 }), auth: auth({ token: () => who, refresh: async () => undefined }) });
		await fetchAndStore(api, 'h9/c/me');
		kit.clock.advance(1_000);
		// A read no copy answers holds the scope's only slot.
		const hold = api.get('h9/c/hold').text();
		await vi.waitFor(() => expect(sent).toHaveLength(2));
		// alice's read waits for the slot; its copy answers it at its deadline.
		const early = await api.get('h9/c/me', { staleCache: { networkTimeoutMs: 20 } });
		expect(early.headers.get('cache-status')).toMatch(/detail=slow/);
		expect(api.stats()[kit.url]).toMatchObject({ bulkhead: { queued: 1 } });
		who = 'bob'; // alice signs out, bob signs in
		open();
		await hold;
		await vi.waitFor(() => expect(api.stats()[kit.url]).toMatchObject({ bulkhead: { running: 0, queued: 0 } }));
		await quiet();
		// Before: ['/h9/c/me', 'Bearer alice'] a second time, sent after bob signed in.
		expect(sent).toEqual([['/h9/c/me', 'Bearer alice'], ['/h9/c/hold', 'Bearer alice']]);
		api.close();
	});

	it('the identity stays: the attempt goes out once the slot is free, and its answer replaces the copy', async () => {
		let open!: () => void;
		const held = new Promise<void>((resolve) => {
			open = resolve;
		});
		const sent: string[] = [];
		const fetch = (async (input: unknown, init?: RequestInit) => {
			const request = input as Request;
			sent.push(new URL(request.url).pathname);
			if (new URL(request.url).pathname === '/h9/d/hold') {
				await held;
			}

			return globalThis.fetch(request, init);
		}) as typeof globalThis.fetch;
		const api = kit.make({ fetch, identity: () => 'alice', bulkhead: bulkhead({ maxConcurrent: 1 }) });
		await fetchAndStore(api, 'h9/d/me');
		kit.clock.advance(1_000);
		const hold = api.get('h9/d/hold').text();
		await vi.waitFor(() => expect(sent).toContain('/h9/d/hold'));
		const stored = collect(api, 'cache:stored');
		expect((await api.get('h9/d/me', { staleCache: { networkTimeoutMs: 20 } })).headers.get('cache-status')).toMatch(/detail=slow/);
		open();
		await hold;
		await vi.waitFor(() => expect(stored.map(({ url }) => url)).toContain(`${kit.url}/h9/d/me`));
		expect(kit.hits('/h9/d/me')).toBe(2);
		api.close();
	});
});

describe('secrets stay out of storage: a URL the answer\'s headers name', () => {
	it('a stored copy keeps no value of a sensitive query parameter of a Link or Content-Location URL; the headers keep their shape', async () => {
		const link = (page: number, secret: string) => `<${kit.url}/h9/e/items?page=${page}&${secret}>`;
		const fetch = (async () => new Response('[]', { headers: {
			'content-type': 'application/json',
			link: `${link(2, 'access_token=s3cr3t-1')}; rel="next", ${link(9, 'Signature=s3cr3t-2')}; rel="last"`,
			'content-location': '/h9/e/items?page=1&api_key=s3cr3t-3',
		} })) as typeof globalThis.fetch;
		const api = kit.make({ fetch });
		await fetchAndStore(api, 'h9/e/items');
		// Before: the Link and Content-Location values were stored as they came (s3cr3t-1, s3cr3t-2, s3cr3t-3).
		const dumped = await dumpStore(kit.store);
		expect(dumped).toMatch(/items\?page=2&access_token=>; rel=\\"next\\"/);
		expect(dumped).not.toMatch(/s3cr3t/);
	});

	it('the reporting URLs too: Reporting-Endpoints, Report-To (JSON) and a CSP\'s report-uri (enforced or report-only) keep no sensitive value, their shape kept', async () => {
		const fetch = (async () => new Response('[]', { headers: {
			'reporting-endpoints': 'csp="https://reports.example/csp?api_key=s3cr3t-5&app=1", default="/r?token=s3cr3t-6"',
			'report-to': '{"group":"default","max_age":86400,"endpoints":[{"url":"https://reports.example/r?access_token=s3cr3t-7"}]}',
			'content-security-policy': "default-src 'self'; report-uri https://reports.example/csp?signature=s3cr3t-8; report-to csp",
			'content-security-policy-report-only': "script-src 'self'; report-uri /csp?password=s3cr3t-9",
		} })) as typeof globalThis.fetch;
		const api = kit.make({ fetch });
		await fetchAndStore(api, 'h9/g/items');
		const dumped = await dumpStore(kit.store);
		expect(dumped).toMatch(/csp\?api_key=&app=1/);
		expect(dumped).toMatch(/report-uri https:\/\/reports\.example\/csp\?signature=; report-to csp/);
		expect(dumped).not.toMatch(/s3cr3t/);
	});

	it('a stale answer shows them without the values, each URL\'s other parameters and the header\'s shape as they were', async () => {
		let down = false;
		const fetch = (async () => {
			if (down) {
				throw new TypeError('fetch failed');
			}

			return new Response('[]', { headers: { link: `<${kit.url}/h9/f/items?page=2&token=s3cr3t-4>; rel="next"`, 'content-location': '/h9/f/items?page=1' } });
		}) as typeof globalThis.fetch;
		const api = kit.make({ fetch });
		await fetchAndStore(api, 'h9/f/items');
		down = true;
		const stale = await api.get('h9/f/items');
		expect(stale.headers.get('cache-status')).toMatch(/detail=network/);
		expect(stale.headers.get('link')).toBe(`<${kit.url}/h9/f/items?page=2&token=>; rel="next"`);
		expect(stale.headers.get('content-location')).toBe('/h9/f/items?page=1');
	});
});
