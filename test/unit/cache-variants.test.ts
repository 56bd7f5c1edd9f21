/** Variants of the stale cache's claims (defect hunt, third round). */
import { describe, expect, it, vi } from 'vitest';
import { isStale } from '../../src/entries/index.js';
import { collect, next, quiet, useCacheKit, type CacheKit, fetchAndStore } from './cache-kit.js';

const kit = useCacheKit();

describe('records read from storage are validated before use', () => {
	const good = { v: 2, url: 'x', storedAt: 0, lifetime: 0, born: 0, until: 0, status: 200, statusText: 'OK', headers: [], vary: [], body: new ArrayBuffer(2) };
	const planted: Array<[string, Record<string, unknown>]> = [
		['a header that is no pair', { headers: [['content-type']] }],
		['a header name fetch refuses', { headers: [['bad name', 'x']] }],
		['a header value with a newline', { headers: [['x-a', 'a\nb']] }],
		['headers that are no array of arrays', { headers: ['content-type: text/plain'] }],
		['a vary entry that is no pair', { vary: [5] }],
		['a vary name fetch refuses', { vary: [['bad name', null]] }],
		['a statusText fetch refuses', { statusText: 'O\nK' }],
		['a statusText that is no string', { statusText: { toString: 5 } }],
		['a negative lifetime', { lifetime: -1e300 }],
		// Never stored by the cache (API.md 'Sensitive data'): a record holding one was not its own, and a serve would
		// hand it to the app (a server runtime's proxy passes a Set-Cookie on) (defect hunt, fourth round).
		['a Set-Cookie header', { headers: [['set-cookie', 'sid=planted']] }],
		// Fetch's other forbidden response header name, as much a cookie (defect hunt, eleventh round).
		['a Set-Cookie2 header', { headers: [['Set-Cookie2', 'sid=planted; Version=1']] }],
		['an Authorization header', { headers: [['Authorization', 'Bearer planted']] }],
		['a header of the client\'s sensitiveHeaders', { headers: [['x-api-key', 'planted']] }],
		['a Vary entry with the value of a credential header', { vary: [['cookie', 'sid=planted']] }],
	];
	for (const [what, fields] of planted) {
		it(`${what}: skipped, reported as storage:error, removed; the original error is thrown`, async () => {
			const api = kit.make({ sensitiveHeaders: ['X-Api-Key'] });
			const path = `planted/${what.replaceAll(' ', '-')}`;
			await fetchAndStore(api, path);
			await quiet();
			const [key] = (await kit.store.keys()).filter((name) => name.includes(path));
			const stored = await kit.store.get<Record<string, unknown>>(key!);
			await kit.store.set(key!, { ...good, ...stored, ...fields });
			const errors = collect(api, 'storage:error');
			kit.mode = 'refuse';
			await expect(api.get(path)).rejects.toMatchObject({ name: 'NetworkError' });
			await quiet();
			expect(errors).toMatchObject([{ part: 'cache', operation: 'decode', key }]);
			expect(await kit.store.keys()).not.toContain(key);
		});
	}
});

describe('a response the caller\'s afterResponse hooks rejected is never stored', () => {
	it('one a hook answered with retry() (ky\'s forced retry): the answer the call resolved with is the copy, never the rejected one', async () => {
		const api = kit.make({ retry: 1, hooks: { afterResponse: [async ({ retryCount }) => retryCount === 0 ? api.retry() : undefined] } });
		const stored = next(api, 'cache:stored');
		expect(await api.get('forced/1').json()).toMatchObject({ n: 2 });
		await stored;
		await quiet();
		kit.mode = 'refuse';
		expect(await api.get('forced/1').json()).toMatchObject({ n: 2 });
	});

	it('one a hook answered with retry(), whose retry asks no-store (Cache-Control: no-store on the request): nothing is stored', async () => {
		const api = kit.make({
			retry: 1,
			hooks: {
				afterResponse: [async ({ retryCount }) => retryCount === 0 ? api.retry() : undefined],
				beforeRetry: [({ request }) => {
					request.headers.set('cache-control', 'no-store');
				}],
			},
		});
		const stored = collect(api, 'cache:stored');
		expect(await api.get('forced/2').json()).toMatchObject({ n: 2 });
		await quiet();
		expect(stored).toEqual([]);
		expect(await kit.servedStale(api, 'forced/2')).toBe(false);
	});
});

describe('maxStaleMs bounds what is served, whoever stored it', () => {
	it('a copy stored under a longer maxStaleMs (before an app update, by another tab) is not served past the client\'s own, and is removed when met', async () => {
		await fetchAndStore(kit.make({ staleCache: { maxStaleMs: 86_400_000 } }), 'bound/1');
		await quiet();
		const updated = kit.make({ staleCache: { maxStaleMs: 60_000 } });
		kit.mode = 'refuse';
		kit.clock.advance(60_000);
		expect(isStale(await updated.get('bound/1'))).toBe(true);
		kit.clock.advance(1);
		await expect(updated.get('bound/1')).rejects.toMatchObject({ name: 'NetworkError' });
		await quiet();
		expect((await kit.store.keys()).filter((key) => key.includes('bound/1'))).toEqual([]);
	});

	it('a copy with its own stale-if-error keeps it (the response\'s word overrides maxStaleMs both ways)', async () => {
		const path = 'bound/2?cc=max-age%3D60%2C%20stale-if-error%3D600';
		await fetchAndStore(kit.make({ staleCache: { maxStaleMs: 1_000 } }), path);
		await quiet();
		const other = kit.make({ staleCache: { maxStaleMs: 2_000 } });
		kit.mode = 'refuse';
		kit.clock.advance(660_000);
		expect(isStale(await other.get(path))).toBe(true);
		kit.clock.advance(1);
		await expect(other.get(path)).rejects.toMatchObject({ name: 'NetworkError' });
	});
});

describe('freshness from Expires when the Date header is not readable', () => {
	/** The transport a browser's cross-origin fetch is: `Date` is no CORS-safelisted header (hidden), `Expires` is. */
	const crossOrigin = (headers: Record<string, string>) => async (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
		if (kit.mode === 'refuse') {
			throw new TypeError('fetch failed');
		}

		const response = await globalThis.fetch(input, init);
		const seen = new Headers(response.headers);
		seen.delete('date');
		for (const [name, value] of Object.entries(headers)) {
			seen.set(name, value);
		}

		return new Response(response.body, { status: response.status, headers: seen });
	};

	it('Expires an hour ahead with must-revalidate and no readable Date: stored, and served on failure while fresh (RFC 9110: the time received stands for Date)', async () => {
		const expires = new Date(kit.clock.now() + 3_600_000).toUTCString();
		const api = kit.make({ fetch: crossOrigin({ expires, 'cache-control': 'must-revalidate' }) });
		const stored = collect(api, 'cache:stored');
		const lifetime = Math.floor((Date.parse(expires) - kit.clock.now()) / 1000); // 3 600, or 3 599 with the clock mid-second
		await api.get('expires/1').text();
		await quiet();
		expect(stored).toHaveLength(1);
		kit.mode = 'refuse';
		kit.clock.advance(1_800_000);
		const response = await api.get('expires/1');
		expect(response.headers.get('cache-status')).toContain(`ttl=${lifetime - 1800};`);
	});

	it('an Expires or a Date that is no HTTP-date is read as RFC 9111 says, never as the runtime\'s lenient Date.parse makes it (defect hunt, eighth round)', async () => {
		// 'Expires: 3000' (no HTTP-date: already expired, RFC 9111 §5.3) with stale-if-error=60: servable 60 s, not until the year 3000.
		const malformed = kit.make({ fetch: crossOrigin({ expires: '3000', 'cache-control': 'stale-if-error=60' }) });
		await fetchAndStore(malformed, 'expires/malformed');
		kit.mode = 'refuse';
		kit.clock.advance(30_000);
		const early = await malformed.get('expires/malformed');
		// Before: 'ttl=3...' (freshness of about 975 years: V8's Date.parse('3000') is the year 3000).
		expect(early.headers.get('cache-status')).toContain('ttl=-30;');
		kit.clock.advance(3_600_000);
		// Before: served (a copy of the year 3000).
		await expect(malformed.get('expires/malformed')).rejects.toMatchObject({ name: 'NetworkError' });
		kit.mode = 'up';
		// 'Date: 0' (no HTTP-date: the time received stands for it) with a good Expires an hour ahead: fresh for an hour, not since 2000.
		const expires = new Date(kit.clock.now() + 3_600_000).toUTCString();
		const lifetime = Math.floor((Date.parse(expires) - kit.clock.now()) / 1000);
		const skewed = kit.make({ fetch: crossOrigin({ expires, date: '0' }) });
		await fetchAndStore(skewed, 'expires/date');
		kit.mode = 'refuse';
		// Before: 'ttl=8...' (Date.parse('0') is the year 2000: a freshness of 26 years).
		expect((await skewed.get('expires/date')).headers.get('cache-status')).toContain(`ttl=${lifetime};`);
	});
});

describe('a digest that cannot be made (a page over plain http has no crypto.subtle)', () => {
	it('reads with an identity go on, the failure is a storage:error, never an unhandled rejection (whether the answer is copied or not)', async () => {
		const unhandled: unknown[] = [];
		const note = (reason: unknown) => unhandled.push(reason);
		process.on('unhandledRejection', note);
		try {
			vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(array: T): T => globalThis.crypto.getRandomValues(array as never) });
			const api = kit.make({ identity: () => 'alice', staleCache: { networkTimeoutMs: 5_000 } });
			const errors = collect(api, 'storage:error');
			expect((await api.get('insecure/1')).status).toBe(200);
			expect((await api.get('insecure/1')).status).toBe(200);
			// Answers not copied (already past their limit, or asked not to be stored) make a key too.
			expect((await api.get('insecure/2?cc=max-age%3D0%2C%20must-revalidate')).status).toBe(200);
			expect((await api.get('insecure/3', { headers: { 'cache-control': 'no-store' } })).status).toBe(200);
			await quiet();
			expect(errors.length).toBeGreaterThan(0);
			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', note);
		}
	});

	it('a failed read looking for its copy reports the digest that failed, as the write does (defect hunt, eighth round)', async () => {
		vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(array: T): T => globalThis.crypto.getRandomValues(array as never) });
		try {
			const api = kit.make({ identity: () => 'alice' });
			const errors = collect(api, 'storage:error');
			kit.mode = 'refuse';
			await expect(api.get('insecure/failed')).rejects.toMatchObject({ name: 'NetworkError' });
			await quiet();
			// Before: [] (the serve's digest failed silently: the stale cache answered nothing, and nothing said why).
			expect(errors).toMatchObject([{ part: 'cache', operation: 'get', error: { name: 'TypeError' } }]);
		} finally {
			vi.unstubAllGlobals();
		}
	});
});

describe('client.cache.list(): sensitive query values redacted', () => {
	it('also in a copy stored before the parameter was listed as sensitive (an app update added it to sensitiveParams)', async () => {
		await fetchAndStore(kit.make(), 'listed/1?session=abc123&page=2');
		await quiet();
		const updated = kit.make({ sensitiveParams: ['session'] });
		const urls = (await updated.cache.list()).map((entry) => entry.url);
		expect(urls).toEqual([`${kit.url}/listed/1?session=&page=2`]);
	});
});

describe('a copy is not written after a drop of its own key, only', () => {
	it('a no-store answer of another URL (or a write to one) while a copy is on its way does not cost that copy', async () => {
		for (const [what, other] of [['no-store', (api: ReturnType<CacheKit['make']>) => api.get('drop/me?cc=no-store').text()], ['a write', (api: ReturnType<CacheKit['make']>) => api.put('drop/other/1', { json: {} }).text()]] as const) {
			// The other call lands while this one's copy waits for the call to resolve (its afterResponse hook).
			const api = kit.make({ hooks: { afterResponse: [async ({ request }) => {
				if (request.method === 'GET' && new URL(request.url).pathname === `/drop/${what.replace(' ', '-')}`) {
					await other(api);
				}
			}] } });
			const stored = collect(api, 'cache:stored');
			await api.get(`drop/${what.replace(' ', '-')}`).text();
			await quiet();
			expect(stored.map(({ url }) => url)).toEqual([`${kit.url}/drop/${what.replace(' ', '-')}`]);
			expect(await kit.servedStale(api, `drop/${what.replace(' ', '-')}`)).toBe(true);
		}
	});
});
