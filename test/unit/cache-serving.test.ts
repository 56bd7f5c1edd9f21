import { describe, expect, it } from 'vitest';
import { CircuitOpenError, isStale, type ClientOptions } from '../../src/entries/index.js';
import { useCacheKit, collect, next } from './cache-kit.js';

const kit = useCacheKit();

/** Fetch `path` once with the origin up, wait until it is stored, then return the client. */
const primed = async (path: string, options: ClientOptions = {}) => {
	const api = kit.make(options);
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	await stored;
	return api;
};

describe('serving stale', () => {
	it('a network error is answered from the stored copy with Cache-Status, Age, isStale and cache:stale', async () => {
		const api = await primed('serve/1?cc=max-age%3D60');
		kit.clock.advance(90_000);
		kit.mode = 'refuse';
		const events = collect(api, 'cache:stale');
		const response = await api.get('serve/1?cc=max-age%3D60');
		expect(response.status).toBe(200);
		expect(response.headers.get('age')).toBe('90');
		expect(response.headers.get('cache-status')).toBe('steadfetch; hit; ttl=-30; detail=network');
		expect(isStale(response)).toBe(true);
		expect(response.url).toBe(`${kit.url}/serve/1?cc=max-age%3D60`);
		expect(await response.json()).toMatchObject({ n: 1, path: '/serve/1' });
		expect(events).toMatchObject([{ type: 'cache:stale', method: 'GET', reason: 'network', age: 90, scope: kit.url, url: `${kit.url}/serve/1?cc=max-age%3D60` }]);
		// The body shortcuts of the call's promise parse the stale copy too.
		expect(await api.get('serve/1?cc=max-age%3D60').json()).toMatchObject({ n: 1 });
	});

	it('a network response is not marked; a fresh copy served on failure has a positive ttl; the Age it arrived with counts', async () => {
		const api = kit.make();
		const fresh = await api.get('serve/2?cc=max-age%3D600&age=100');
		expect(isStale(fresh)).toBe(false);
		await next(api, 'cache:stored');
		kit.clock.advance(10_000);
		kit.mode = 503;
		const response = await api.get('serve/2?cc=max-age%3D600&age=100');
		expect(response.headers.get('age')).toBe('110');
		expect(response.headers.get('cache-status')).toBe('steadfetch; hit; ttl=490; detail=http-5xx');
	});

	it('every 5xx after retries is answered stale (501 too: classify() calls it the origin\'s failure); 404, 408 and 429 are not (the original error is thrown)', async () => {
		const api = await primed('serve/3', { retry: { limit: 2, delay: () => 0 } });
		for (const status of [500, 501, 502, 503, 504, 505]) {
			kit.mode = status;
			const response = await api.get('serve/3');
			expect(response.headers.get('cache-status')).toContain('detail=http-5xx');
		}

		for (const status of [404, 408, 429]) {
			kit.mode = status;
			const error = await api.get('serve/3', { retry: 0 }).catch((error_: unknown) => error_);
			expect((error as { response?: Response }).response?.status).toBe(status);
		}
	});

	it('with throwHttpErrors: false a resolved 503 is replaced by the stale copy', async () => {
		const api = await primed('serve/4', { throwHttpErrors: false });
		kit.mode = 503;
		const response = await api.get('serve/4');
		expect(isStale(response)).toBe(true);
	});

	it('a timeout is answered stale with detail=timeout', async () => {
		const api = await primed('serve/5', { timeout: 100 });
		kit.gate = new Promise(() => undefined);
		const response = await api.get('serve/5');
		expect(response.headers.get('cache-status')).toContain('detail=timeout');
	});

	it('an open circuit (CircuitOpenError before any I/O) is answered stale with detail=circuit-open', async () => {
		let open = false;
		const api = await primed('serve/6', {
			fetch: async (input: unknown, init?: RequestInit) => {
				const request = input as Request;
				if (open) {
					throw new CircuitOpenError(new URL(request.url).origin, 30_000);
				}

				return globalThis.fetch(request, init);
			},
		});
		open = true;
		const before = kit.hits('/serve/6');
		const response = await api.get('serve/6');
		expect(response.headers.get('cache-status')).toContain('detail=circuit-open');
		expect(kit.hits('/serve/6')).toBe(before);
	});

	it('with no usable copy the original error is rethrown unchanged; a caller abort is never answered stale', async () => {
		const api = await primed('serve/8');
		kit.mode = 'refuse';
		const original = await kit.make().get('serve/never-stored').catch((error: unknown) => error);
		expect((original as Error).name).toBe('NetworkError');
		kit.mode = 'up';
		kit.gate = new Promise(() => undefined);
		const controller = new AbortController();
		const reason = new Error('left');
		const call = api.get('serve/8', { signal: controller.signal });
		setTimeout(() => controller.abort(reason), 20);
		await expect(call).rejects.toBe(reason);
	});

	it('per call staleCache: false neither stores nor serves; fetch cache: "no-store" neither', async () => {
		const api = kit.make();
		const events = collect(api, 'cache:stored');
		await api.get('serve/9', { staleCache: false }).text();
		await api.get('serve/9', { cache: 'no-store' }).text();
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(events).toHaveLength(0);
		await primed('serve/9');
		kit.mode = 'refuse';
		await expect(api.get('serve/9', { staleCache: false })).rejects.toMatchObject({ name: 'NetworkError' });
		expect(isStale(await api.get('serve/9'))).toBe(true);
	});

	it('a client whose fetch cache mode is "no-store" neither stores nor serves, even with a stale cache configured; a call\'s own mode overrides it', async () => {
		const api = kit.make({ cache: 'no-store', staleCache: { maxStaleMs: 60_000 } });
		const events = collect(api, 'cache:stored');
		await api.get('serve/no-store-client').text();
		expect(await kit.servedStale(api, 'serve/no-store-client')).toBe(false);
		const stored = next(api, 'cache:stored');
		await api.get('serve/no-store-client', { cache: 'default' }).text();
		await stored;
		expect(events).toHaveLength(1);
		expect(await kit.servedStale(api, 'serve/no-store-client')).toBe(false);
		expect(await kit.servedStale(api, 'serve/no-store-client', { cache: 'default' })).toBe(true);
	});

	it('the same with the preset\'s default stale cache (no staleCache option): a call\'s own mode overrides the client\'s no-store', async () => {
		const api = kit.make({ cache: 'no-store' });
		const stored = next(api, 'cache:stored');
		await api.get('serve/no-store-default', { cache: 'default' }).text();
		await stored;
		expect(await kit.servedStale(api, 'serve/no-store-default')).toBe(false);
		expect(await kit.servedStale(api, 'serve/no-store-default', { cache: 'default' })).toBe(true);
	});

	it('HEAD on failure gets the stored GET copy headers without a body', async () => {
		const api = await primed('serve/10');
		kit.mode = 'refuse';
		const response = await api.head('serve/10');
		expect(isStale(response)).toBe(true);
		expect(response.headers.get('content-type')).toBe('application/json');
		expect(await response.text()).toBe('');
	});
});

describe('RFC 9111 / 5861 limits on serving stale', () => {
	it('maxStaleMs bounds the age; an older entry is removed when met', async () => {
		const api = await primed('limit/1', { staleCache: { maxStaleMs: 60_000 } });
		kit.clock.advance(60_000);
		kit.mode = 'refuse';
		expect(isStale(await api.get('limit/1'))).toBe(true);
		kit.clock.advance(1);
		await expect(api.get('limit/1')).rejects.toMatchObject({ name: 'NetworkError' });
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect((await kit.store.keys()).filter((key) => key.includes('limit/1'))).toEqual([]);
	});

	it('stale-if-error=N overrides maxStaleMs both ways: freshness lifetime + N s', async () => {
		const api = await primed('limit/2?cc=max-age%3D60%2C%20stale-if-error%3D60', { staleCache: { maxStaleMs: 10_000 } });
		kit.mode = 'refuse';
		kit.clock.advance(120_000);
		expect(isStale(await api.get('limit/2?cc=max-age%3D60%2C%20stale-if-error%3D60'))).toBe(true);
		kit.clock.advance(1);
		await expect(api.get('limit/2?cc=max-age%3D60%2C%20stale-if-error%3D60')).rejects.toMatchObject({ name: 'NetworkError' });

		kit.mode = 'up';
		const short = await primed('limit/3?cc=max-age%3D0%2C%20stale-if-error%3D5');
		kit.mode = 'refuse';
		kit.clock.advance(6000);
		await expect(short.get('limit/3?cc=max-age%3D0%2C%20stale-if-error%3D5')).rejects.toMatchObject({ name: 'NetworkError' });
	});

	it('no-cache is never stored nor served', async () => {
		const api = kit.make();
		const events = collect(api, 'cache:stored');
		await api.get('limit/4?cc=no-cache').text();
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(events).toHaveLength(0);
		kit.mode = 'refuse';
		await expect(api.get('limit/4?cc=no-cache')).rejects.toMatchObject({ name: 'NetworkError' });
	});

	for (const directive of ['must-revalidate', 'proxy-revalidate']) {
		it(`${directive}: served on failure only while fresh`, async () => {
			const path = `limit/${directive}?cc=max-age%3D60%2C%20${directive}`;
			const api = await primed(path);
			kit.mode = 'refuse';
			kit.clock.advance(60_000);
			expect((await api.get(path)).headers.get('cache-status')).toContain('ttl=0;');
			kit.clock.advance(1000);
			await expect(api.get(path)).rejects.toMatchObject({ name: 'NetworkError' });
		});
	}
});
