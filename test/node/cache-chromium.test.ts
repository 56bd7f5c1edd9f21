/**
 * The stale cache in real Chromium tabs, against the built library (dist/): IndexedDB is real, the
 * page reloads, the API origin really goes down. Rebuild (`npx tsup`) after changing src/.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright';
import { dumpIndexedDb, openPage, chromiumForFile } from '../helpers/pages.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib; api: ReturnType<Lib['createClient']>; events: unknown[] };

const { chromium, pages, api } = chromiumForFile();

/** Create `globalThis.api` in the page (retry off so failures are quick; options merged). */
const setup = async (page: Page, options: Record<string, unknown> = {}) => page.evaluate(({ base, options }) => {
	const scope = globalThis as Scope;
	scope.events = [];
	scope.api = scope.steadfetch.createClient({ baseUrl: base + '/', retry: 0, ...options });
	for (const type of ['cache:stored', 'cache:stale', 'storage:error'] as const) {
		scope.api.on(type, (event) => scope.events.push({ type, operation: (event as { operation?: string }).operation, reason: (event as { reason?: string }).reason, error: String((event as { error?: unknown }).error ?? '') }));
	}
}, { base: api.url, options });

/** GET in the page; returns status, body, the stale markers, or the error's classification. */
const get = async (page: Page, path: string, headers: Record<string, string> = {}) => page.evaluate(async ({ path, headers }) => {
	const scope = globalThis as Scope;
	try {
		const response = await scope.api.get(path, { headers });
		return { status: response.status, stale: scope.steadfetch.isStale(response), cacheStatus: response.headers.get('cache-status'), body: await response.json() as { n: number } };
	} catch (error) {
		return { error: scope.steadfetch.classify(error).code };
	}
}, { path, headers });

const waitForStored = async (page: Page, count = 1) => page.waitForFunction((count) => (globalThis as Scope).events.filter((event) => (event as { type: string }).type === 'cache:stored').length >= count, count);

describe('stale cache in real Chromium', () => {
	it('stores in IndexedDB; after a reload, with the origin down, the copy comes from IndexedDB marked stale', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await setup(page, { name: 'reload-test' });
		// No max-age: Chromium's own HTTP cache must not answer instead of the origin.
		expect(await get(page, 'json?id=reload')).toMatchObject({ status: 200, stale: false, body: { n: 1 } });
		await waitForStored(page);
		await page.reload();
		await page.waitForFunction(() => 'steadfetch' in globalThis);
		const databases = await page.evaluate(async () => (await indexedDB.databases()).map((database) => database.name));
		expect(databases).toContain('steadfetch:reload-test/cache');
		await setup(page, { name: 'reload-test' });
		await api.down('refuse');
		const stale = await get(page, 'json?id=reload');
		expect(stale).toMatchObject({ status: 200, stale: true, body: { n: 1 } });
		expect((stale as { cacheStatus: string }).cacheStatus).toMatch(/^steadfetch; hit; ttl=-?\d+; detail=network$/);
		expect(await get(page, 'json?id=never-stored')).toEqual({ error: 'NETWORK' });
		// client.clear() (logout) empties the store.
		const left = await page.evaluate(async () => {
			await (globalThis as Scope).api.clear();
			return (globalThis as Scope).steadfetch.indexedDbStore('reload-test/cache').keys();
		});
		expect(left).toEqual([]);
		await api.up();
		await context.close();
	});

	it('the whole IndexedDB of the page holds no Authorization, Cookie or sensitive header value', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await setup(page, { name: 'secrets', headers: { authorization: 'Bearer client-default-secret' }, sensitiveHeaders: ['x-api-key'] });
		await get(page, 'json?id=s1');
		await get(page, 'json?id=s2&vary=authorization', { authorization: 'Bearer per-call-secret' });
		await get(page, 'json?id=s3', { cookie: 'sid=cookie-secret', 'x-api-key': 'api-key-secret' });
		await waitForStored(page, 3);
		await page.waitForTimeout(100);
		const dump = await dumpIndexedDb(page);
		expect(dump).toContain('/json?id=s1');
		expect(dump).toContain('/json?id=s3');
		for (const secret of ['client-default-secret', 'per-call-secret', 'cookie-secret', 'api-key-secret']) {
			expect(dump).not.toContain(secret);
		}

		// The partition works in the page: another credential does not get the copy.
		await api.down('refuse');
		expect(await get(page, 'json?id=s1')).toMatchObject({ stale: true });
		await page.evaluate(() => {
			(globalThis as Scope).api = (globalThis as Scope).api.extend({ headers: { authorization: 'Bearer someone-else' } });
		});
		expect(await get(page, 'json?id=s1')).toEqual({ error: 'NETWORK' });
		await api.up();
		await context.close();
	});

	it('IndexedDB that cannot be opened, or a store over quota: requests unaffected, storage:error emitted', async () => {
		await api.up();
		const context = await chromium.context();
		await context.addInitScript(() => {
			IDBFactory.prototype.open = () => {
				throw new DOMException('The user denied permission to access the database.', 'InvalidStateError');
			};
		});
		const page = await openPage(context, pages);
		await setup(page, { name: 'blocked', breaker: false });
		expect(await get(page, 'json?id=blocked')).toMatchObject({ status: 200, stale: false });
		await waitForStored(page);
		const events = await page.evaluate(() => (globalThis as Scope).events);
		expect(events).toContainEqual(expect.objectContaining({ type: 'storage:error', operation: 'set', error: expect.stringContaining('InvalidStateError') }));
		// Memory for the session: the copy still answers a failure in this page.
		await api.down('refuse');
		expect(await get(page, 'json?id=blocked')).toMatchObject({ stale: true });
		await api.up();

		// A store whose writes fail with QuotaExceededError.
		await page.evaluate(() => {
			const scope = globalThis as Scope;
			const full = (namespace: string) => {
				const inner = scope.steadfetch.indexedDbStore(namespace);
				return { ...inner, get: async () => undefined, keys: async () => [], set: async () => {
					throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
				} };
			};
			scope.events = [];
			scope.api = scope.steadfetch.createClient({ retry: 0, store: full, name: 'quota' });
			scope.api.on('storage:error', (event) => scope.events.push({ type: event.type, operation: event.operation, error: String(event.error) }));
		});
		expect(await get(page, `${api.url}/json?id=quota`)).toMatchObject({ status: 200, body: { n: 1 } });
		await page.waitForFunction(() => (globalThis as Scope).events.length > 0);
		expect(await page.evaluate(() => (globalThis as Scope).events)).toContainEqual(expect.objectContaining({ operation: 'set', error: expect.stringContaining('QuotaExceededError') }));
		await context.close();
	});

	it('Done when: origin down and breaker open, a stored URL is answered from IndexedDB, marked stale, in milliseconds', async () => {
		await api.up();
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await setup(page, { name: 'done-when' });
		expect(await get(page, 'json?id=done')).toMatchObject({ status: 200 });
		await waitForStored(page);
		await page.reload();
		await page.waitForFunction(() => 'steadfetch' in globalThis);
		await setup(page, { name: 'done-when', breaker: { consecutiveFailures: 3 } });
		await api.down('refuse');
		for (let index = 0; index < 3; index++) {
			expect(await get(page, `json?id=trip${index}`)).toEqual({ error: 'NETWORK' });
		}

		expect(await page.evaluate((url) => (globalThis as Scope).api.breaker(url).state, api.url)).toBe('open');
		let requests = 0;
		page.on('request', (request) => {
			if (request.url().startsWith(api.url)) {
				requests++;
			}
		});
		const result = await page.evaluate(async () => {
			const scope = globalThis as Scope;
			const times: number[] = [];
			const details = new Set<string>();
			let n = 0;
			for (let index = 0; index < 200; index++) {
				const started = performance.now();
				const response = await scope.api.get('json?id=done');
				const body = await response.json() as { n: number };
				times.push(performance.now() - started);
				details.add(`${scope.steadfetch.isStale(response)} ${response.headers.get('cache-status')?.replace(/ttl=-?\d+/, 'ttl')}`);
				n = body.n;
			}

			times.sort((a, b) => a - b);
			return { median: times[99]!, p99: times[197]!, max: times[199]!, details: [...details], n };
		});
		console.log(`[done-when] 200 calls, origin down + breaker open, served from IndexedDB: median ${result.median.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, max ${result.max.toFixed(2)} ms`);
		expect(result.details).toEqual(['true steadfetch; hit; ttl; detail=circuit-open']);
		expect(result.n).toBe(1);
		expect(requests).toBe(0);
		expect(result.median).toBeLessThan(50);
		expect(result.p99).toBeLessThan(250);
		await api.up();
		await context.close();
	});
});
