/**
 * Defect hunt, twenty-second round: secrets stay out of the stale cache's storage (API.md "Sensitive data"), and a copy
 * answers only the identity and credentials it was stored under. Each test names the claim it holds the code to.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale, type ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { heldWrites, mapStore } from '../helpers/test-stores.js';
import { next } from './cache-kit.js';

type Stored = { headers: Array<[string, string]>; vary: Array<[string, string | null]> };

/** A client on a store over `records` whose origin answers `{"ok":1}` (`body`) with `headers` (Cache-Control: max-age=60 added), or while `down` fails as a dropped connection. */
const origin = (records: Map<string, unknown>, options: ClientOptions = {}) => {
	const state = { down: false, headers: {} as Record<string, string>, body: (): BodyInit => '{"ok":1}' };
	const clock = new ManualClock();
	const api = createClient({
		name: 'hunt22-cache', clock, store: mapStore(records), retry: 0, breaker: false, random: () => 0.5,
		fetch: async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			return new Response(state.body(), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60', ...state.headers } });
		},
		...options,
	});
	return { api, state, clock };
};

/** Store the answer of a GET of `url` and give its record, as the store holds it (the last written). */
const stored = async ({ api }: ReturnType<typeof origin>, records: Map<string, unknown>, url: string, init?: Parameters<typeof api.get>[1]): Promise<Stored> => {
	const done = next(api, 'cache:stored');
	await api.get(url, init).text();
	await done;
	return [...records].filter(([key]) => key.startsWith('r:')).at(-1)![1] as Stored;
};

/** How a GET of `url` is answered while the origin is down: 'stale' (and the answer's `header`), or the error's name. */
const whileDown = async ({ api, state }: ReturnType<typeof origin>, url: string, init?: Parameters<typeof api.get>[1], header?: string): Promise<string> => {
	state.down = true;
	try {
		const response = await api.get(url, init);
		return `${isStale(response) ? 'stale' : 'fresh'}${header ? ` ${response.headers.get(header)}` : ''}`;
	} catch (error) {
		return (error as Error).name;
	} finally {
		state.down = false;
	}
};

describe('a URL\'s userinfo in a response header (API.md "Sensitive data") is never stored: the copy keeps the header without it', () => {
	for (const [name, value, kept] of [
		['location', 'https://alice:hunter2@files.test/x', 'https://files.test/x'],
		['content-location', 'https://alice:hunter2@files.test/x', 'https://files.test/x'],
		['link', '<https://alice:hunter2@files.test/next>; rel="next", <https://bob:hunter2@files.test/prev>; rel="prev"', '<https://files.test/next>; rel="next", <https://files.test/prev>; rel="prev"'],
		// A key sent as the user name (`https://sk_live_…@api.test/`), and a raw `@` in the password: the userinfo ends at the last `@` before the host.
		['x-next', 'https://hunter2@files.test/p', 'https://files.test/p'],
		['location', 'https://alice:hun@ter2@files.test/x', 'https://files.test/x'],
		// Backslashes, which a URL parser reads as slashes in an http(s) URL.
		['location', 'https:\\\\alice:hunter2@files.test\\x', 'https:\\\\files.test\\x'],
		// With a sensitive query value too, both go; a URL nested in a query value loses its userinfo as well.
		['location', 'https://alice:hunter2@files.test/x?token=hunter2&page=2', 'https://files.test/x?token=&page=2'],
		['refresh', '0; url=/login?next=https://alice:hunter2@files.test/', '0; url=/login?next=https://files.test/'],
		// No URL's userinfo: kept as it is (an address, an `@` in a path).
		['x-contact', 'ops@files.test', 'ops@files.test'],
		['link', '<https://files.test/@alice>; rel="author"', '<https://files.test/@alice>; rel="author"'],
	] as const) {
		it(`${name}: ${value}`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			client.state.headers = { [name]: value };
			const record = await stored(client, records, 'https://a.test/item');

			// Before: stored as the origin sent it (`https://alice:hunter2@files.test/x`).
			expect(record.headers.find(([each]) => each === name)?.[1]).toBe(kept);
			// The copy still answers, with the header as stored.
			expect(await whileDown(client, 'https://a.test/item', {}, name)).toBe(`stale ${kept}`);
		});
	}
});

describe('Authentication-Info and Proxy-Authentication-Info (RFC 9110 11.6.3, 11.7.3: the next nonce, the server\'s proof of the credentials) are credential headers: never stored', () => {
	for (const name of ['Authentication-Info', 'Proxy-Authentication-Info']) {
		it(`${name}: not in the record; the copy is stored and answers without it`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			client.state.headers = { [name]: 'nextnonce="hunter2", rspauth="hunter2"', etag: '"v1"' };
			const record = await stored(client, records, 'https://a.test/item');

			// Before: stored ([["authentication-info","nextnonce=\"hunter2\", rspauth=\"hunter2\""], …]).
			expect(JSON.stringify(record.headers)).not.toContain('hunter2');
			expect(await whileDown(client, 'https://a.test/item', {}, name)).toBe('stale null');
		});

		it(`${name}: a record that holds it (another build's, a broken store's) is not served`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			const record = await stored(client, records, 'https://a.test/item');
			record.headers.push([name.toLowerCase(), 'nextnonce="hunter2"']);

			expect(await whileDown(client, 'https://a.test/item')).toBe('NetworkError');
		});
	}
});

describe('a request header a Vary names is kept without a URL\'s userinfo, as without its sensitive query values (copy.ts `varied`)', () => {
	it('Vary: Referer, a server runtime\'s Referer with userinfo: not stored; the same Referer is answered, another is not', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records);
		client.state.headers = { vary: 'Referer' };
		const referer = { headers: { referer: 'https://alice:hunter2@app.test/page?token=hunter2' } };
		const record = await stored(client, records, 'https://a.test/item', referer);

		// Before: [["referer","https://alice:hunter2@app.test/page?token="]].
		expect(record.vary).toEqual([['referer', 'https://app.test/page?token=']]);
		expect(await whileDown(client, 'https://a.test/item', referer)).toBe('stale');
		expect(await whileDown(client, 'https://a.test/item', { headers: { referer: 'https://app.test/other' } })).toBe('NetworkError');
	});
});

describe('a copy answers only the credentials and identity it was stored under (held: neighbours of the above)', () => {
	for (const [vary, name] of [['Authorization', 'authorization'], ['Cookie', 'cookie']] as const) {
		it(`Vary: ${vary}: another ${name}, or none, is not answered by the copy`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records, { staleCache: { shared: false } });
			client.state.headers = { vary };
			const record = await stored(client, records, 'https://a.test/me', { headers: { [name]: 'hunter2' } });

			expect(JSON.stringify(record)).not.toContain('hunter2');
			expect(await whileDown(client, 'https://a.test/me', { headers: { [name]: 'other' } })).toBe('NetworkError');
			expect(await whileDown(client, 'https://a.test/me')).toBe('NetworkError');
			expect(await whileDown(client, 'https://a.test/me', { headers: { [name]: 'hunter2' } })).toBe('stale');
		});
	}

	it('URLs that differ only in a sensitive value (a default one, the client\'s own) are two copies', async () => {
		const records = new Map<string, unknown>();
		const client = origin(records, { sensitiveParams: ['sess'], staleCache: { shared: false } });
		await stored(client, records, 'https://a.test/me?sess=hunter2&token=hunter2');

		expect([...records.keys()].join()).not.toContain('hunter2');
		for (const url of ['https://a.test/me?sess=other&token=hunter2', 'https://a.test/me?sess=hunter2&token=other', 'https://a.test/me?sess=&token=']) {
			expect(await whileDown(client, url)).toBe('NetworkError');
		}
		expect(await whileDown(client, 'https://a.test/me?sess=hunter2&token=hunter2')).toBe('stale');
	});

	it('a copy stored under one identity answers no other (nor none), and list() shows it to its own only', async () => {
		const records = new Map<string, unknown>();
		let identity: string | undefined = 'ann';
		const client = origin(records, { identity: () => identity });
		await stored(client, records, 'https://a.test/me');

		for (identity of ['bob', undefined]) {
			expect([await whileDown(client, 'https://a.test/me'), await client.api.cache.list()]).toEqual(['NetworkError', []]);
		}
		identity = 'ann';
		expect(await whileDown(client, 'https://a.test/me')).toBe('stale');
	});
});

describe('cache.delete, cache.clear and client.clear() while a copy of the URL is being written: nothing they removed comes back', () => {
	for (const how of ['cache.delete', 'cache.delete (another spelling)', 'cache.delete (another token)', 'cache.clear', 'client.clear'] as const) {
		for (const at of ['the store takes it', 'its body arrives'] as const) {
			it(`${how} while ${at}`, async () => {
				const held = heldWrites('r:');
				const work: Promise<unknown>[] = [];
				let finish = (): void => {};
				// A URL with a sensitive value (its key waits on a digest) in a cache of one user.
				const url = `https://a.test/x?q=1${how === 'cache.delete (another token)' ? '&token=hunter2' : ''}`;
				const client = origin(new Map(), { store: () => held.store, staleCache: { shared: false } });
				const { api, state } = client;
				if (at === 'its body arrives') {
					state.body = () => new ReadableStream({
						start(controller) {
							controller.enqueue(new TextEncoder().encode('{"ok":'));
							finish = () => {
								controller.enqueue(new TextEncoder().encode('1}'));
								controller.close();
							};
						},
					});
				} else {
					held.hold();
				}

				const told: string[] = [];
				api.on('cache:stored', ({ url }) => told.push(url));
				const response = await api.get(url, { waitUntil: (promise) => work.push(promise) });
				if (at === 'the store takes it') {
					await response.text();
					await expect.poll(held.holding).toBe(true);
				}

				const removal = how === 'cache.delete' ? api.cache.delete(url) : how === 'cache.delete (another spelling)' ? api.cache.delete('https://a.test/%78?q=1')
					: how === 'cache.delete (another token)' ? api.cache.delete('https://a.test/x?q=1&token=other') : how === 'cache.clear' ? api.cache.clear() : api.clear();
				held.release();
				finish();
				await response.text().catch(() => '');
				await Promise.all([removal, ...work]);

				expect([await whileDown(client, url), await held.inner.keys(), told]).toEqual(['NetworkError', [], []]);
			});
		}
	}
});

describe('a server\'s header is searched for URLs in time linear in its length (distrust what comes from outside)', () => {
	for (const [what, value] of [
		['a long word, then a lone `?`', `${'a'.repeat(59_990)} ?`],
		['many words, each with a `?`', Array.from({ length: 15_000 }, () => 'a?b').join(' ')],
		['a long run of `;`', `x?${';'.repeat(59_990)}`],
		['a long run of slashes, then an `@`', `${'/'.repeat(59_990)} @`],
	] as const) {
		it(`${what}: the copy is taken at once`, async () => {
			const records = new Map<string, unknown>();
			const client = origin(records);
			client.state.headers = { 'x-junk': value };
			const start = performance.now();
			const record = await stored(client, records, 'https://a.test/item');

			// Before, for the first: 5,600 ms of one regular expression (quadratic: each start in the word scanned it to its end), the page frozen.
			expect(performance.now() - start).toBeLessThan(1000);
			expect(record.headers.find(([name]) => name === 'x-junk')?.[1]).toBe(value);
		});
	}
});
