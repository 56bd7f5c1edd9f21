/**
 * Every tab learns of a write (API.md "Offline writes for real apps"), in real Chromium tabs with
 * the built package (dist/browser: `npm run build` first) and @tanstack/query-core in the pages: a
 * write delivered in tab A — at once, or replayed from A's outbox once the API is back — invalidates
 * in tab B, which made no write, the queries made with `queryOptionsFor` of the written URL and its
 * parent collection (`syncInvalidation`), and no other; B hears it as `write:delivered` with
 * `remote: true`. Forged or malformed messages on the world channel invalidate nothing and break
 * nothing (an uncaught error in a page fails the test).
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startApi, startPageServer, type Chromium, type ControlledApi, type PageServer } from '../helpers/pages.js';
import { waitFor } from '../helpers/wait-for.js';

/** Loads @tanstack/query-core (its ESM build reads `process.env.NODE_ENV`) and steadfetch/tanstack-query into the page: `globalThis.tq`. */
const setup = `globalThis.process ??= { env: { NODE_ENV: 'production' } };
const core = await import('/node_modules/@tanstack/query-core/build/modern/index.js');
const helpers = await import('/dist/browser/tanstack-query.js');
globalThis.tq = { core, helpers };`;

/** A service worker whose client (name `sync-sw`, an outbox) answers every request to the API origin: a write it cannot deliver is queued (202). */
const worker = (apiOrigin: string) => `
import { createClient, outbox } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sync-sw', retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 100, maxBackoffMs: 300, resumeJitterMs: 0 }) });
const handle = fetchHandler(api, { match: new URLPattern({ protocol: 'http', hostname: '127.0.0.1', port: ${JSON.stringify(new URL(apiOrigin).port)} }) });
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => { handle(event); });
`;

let chromium: Chromium;
let pages: PageServer;
let api: ControlledApi;
let context: BrowserContext | undefined;
let names = 0;

beforeAll(async () => {
	api = await startApi();
	const bundle = await build({
		stdin: { contents: worker(api.url), resolveDir: join(import.meta.dirname, '../..'), loader: 'js' },
		bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'error',
	});
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer({ '/sync-setup.js': setup, '/sync-sw.js': bundle.outputFiles[0]!.text })]);
}, 60_000);

afterEach(async () => {
	await context?.close();
	context = undefined;
	await api.up();
});

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), api?.close()]);
});

type Steadfetch = typeof import('../../src/entries/index.js');
type Helpers = typeof import('../../src/entries/tanstack-query.js');
type Tab = typeof globalThis & {
	steadfetch: Steadfetch;
	tq: { core: typeof import('@tanstack/query-core'); helpers: Helpers };
	api: ReturnType<Steadfetch['createClient']> & import('../../src/outbox/types.js').OutboxMembers;
	queryClient: import('@tanstack/query-core').QueryClient;
	heard: Array<{ method: string; url: string; remote?: true }>;
};

/** Tabs of one browser context, each with the library and TanStack's core loaded. */
const tabs = async (count: number): Promise<Page[]> => {
	context = await chromium.context();
	return Promise.all(Array.from({ length: count }, async () => {
		const page = await openPage(context!, pages);
		await page.addScriptTag({ url: `${pages.url}/sync-setup.js`, type: 'module' });
		await page.waitForFunction(() => 'tq' in globalThis);
		return page;
	}));
};

/**
 * In the page: a client of `name` with an outbox (no retries, no breaker), a QueryClient with
 * `syncInvalidation`, the queries of `paths` fetched (inactive: an invalidation marks them), and the
 * `write:delivered` events heard.
 */
const boot = async (page: Page, name: string, paths: string[]): Promise<void> => page.evaluate(async ({ name, base, paths }) => {
	const tab = globalThis as Tab;
	const { createClient, outbox } = tab.steadfetch;
	const { core, helpers } = tab.tq;
	tab.api = createClient({ name, baseUrl: `${base}/`, retry: 0, breaker: false, staleCache: false, outbox: outbox({ resumeJitterMs: 0 }) }) as Tab['api'];
	tab.heard = [];
	tab.api.on('write:delivered', ({ method, url, remote }) => tab.heard.push(remote ? { method, url, remote } : { method, url }));
	tab.queryClient = new core.QueryClient();
	helpers.syncInvalidation(tab.api, tab.queryClient);
	for (const path of paths) {
		await tab.queryClient.fetchQuery({ queryKey: [path], ...helpers.queryOptionsFor(tab.api, path) });
	}
}, { name, base: api.url, paths });

/** The queries of the page invalidated so far, by path. */
const invalidated = async (page: Page): Promise<string[]> => page.evaluate(() => (globalThis as Tab).queryClient.getQueryCache().getAll()
	.filter((query) => query.state.isInvalidated).map((query) => String(query.queryKey[0])).sort());

const paths = ['json/todos/1', 'json/todos/1?expand=tags', 'json/todos', 'json/todos?page=2', 'json/todos/2', 'json/users'];
const touched = ['json/todos', 'json/todos/1', 'json/todos/1?expand=tags', 'json/todos?page=2'];

describe('syncInvalidation across tabs (real Chromium)', { timeout: 60_000 }, () => {
	it('a PATCH delivered at once in tab A invalidates, in tab B (which made no write), the queries of its URL and its parent collection, with their query strings; no other', async () => {
		const [a, b] = await tabs(2);
		const name = `sync-${names++}`;
		await boot(a, name, []);
		await boot(b, name, paths);
		expect(await a.evaluate(async () => (await (globalThis as Tab).api.patch('json/todos/1', { json: { done: true } })).status)).toBe(200);
		await waitFor(async () => (await invalidated(b)).length === touched.length, 'tab B to invalidate the touched queries', 20_000);
		expect(await invalidated(b)).toEqual(touched);
		expect(await b.evaluate(() => (globalThis as Tab).heard)).toEqual([{ method: 'PATCH', url: `${api.url}/json/todos/1`, remote: true }]);
		expect(await a.evaluate(() => (globalThis as Tab).heard)).toEqual([{ method: 'PATCH', url: `${api.url}/json/todos/1` }]);
	});

	it('a write queued offline in tab A and replayed once the API is back invalidates in tab B at the delivery, not before', async () => {
		const [a, b] = await tabs(2);
		const name = `sync-${names++}`;
		await boot(a, name, []);
		await boot(b, name, paths);
		await api.down('refuse');
		const queued = await a.evaluate(async () => (globalThis as Tab).api.delete('json/todos/2').then(() => 'sent', (error: { code?: string }) => error.code));
		expect(queued).toBe('QUEUED');
		expect(await invalidated(b)).toEqual([]);
		await api.up();
		expect(await a.evaluate(async () => (globalThis as Tab).api.outbox.flush())).toMatchObject({ sent: 1, remaining: 0 });
		await waitFor(async () => (await invalidated(b)).length === 3, 'tab B to invalidate the replayed write\'s queries', 20_000);
		expect(await invalidated(b)).toEqual(['json/todos', 'json/todos/2', 'json/todos?page=2']);
		expect(await b.evaluate(() => (globalThis as Tab).heard)).toEqual([{ method: 'DELETE', url: `${api.url}/json/todos/2`, remote: true }]);
	});

	it('forged and malformed messages on the world channel invalidate nothing and break nothing: a real write after them still does', async () => {
		const [a, b, forger] = await tabs(3);
		const name = `sync-${names++}`;
		await boot(a, name, []);
		await boot(b, name, paths);
		// A listener of B's own, opened after B's client: each message reaches the client's channel first (creation order).
		await b.evaluate((name) => {
			const tab = globalThis as Tab & { raw?: number };
			tab.raw = 0;
			new BroadcastChannel(`steadfetch:${name}:world`).onmessage = () => {
				tab.raw!++;
			};
		}, name);
		const count = await forger.evaluate(({ name, base }) => {
			const channel = new BroadcastChannel(`steadfetch:${name}:world`);
			const forged: unknown[] = [
				null, undefined, 'PATCH', 42, [], {}, { v: 2, write: ['PATCH', `${base}/json/todos/1`] }, { v: 1, write: `PATCH ${base}/json/todos/1` },
				{ v: 1, write: ['PATCH'] }, { v: 1, write: ['GET', `${base}/json/todos/1`] }, { v: 1, write: ['options', `${base}/json/todos`] },
				{ v: 1, write: ['PAT CH', `${base}/json/todos/1`] }, { v: 1, write: ['P'.repeat(40), `${base}/json/todos/1`] }, { v: 1, write: [1, `${base}/json/todos/1`] },
				{ v: 1, write: ['PATCH', 'json/todos/1'] }, { v: 1, write: ['PATCH', 'javascript:alert(1)'] }, { v: 1, write: ['PATCH', `${base}/json/todos/${'x'.repeat(9_000)}`] },
				{ v: 1, write: ['PATCH', [`${base}/json/todos/1`]] }, { v: 1, write: { 0: 'PATCH', 1: `${base}/json/todos/1`, length: 2 } },
				{ v: 1, write: ['PATCH', `${base}/json/todos/1`, 'extra'] }, { v: 1, note: 42, write: null }, new Uint8Array(8),
			];
			for (const data of forged) {
				channel.postMessage(data);
			}

			channel.close();
			return forged.length;
		}, { name, base: api.url });
		await waitFor(async () => (await b.evaluate(() => (globalThis as Tab & { raw?: number }).raw)) === count, 'tab B to receive every forged message', 20_000);
		expect(await invalidated(b)).toEqual([]);
		expect(await b.evaluate(() => (globalThis as Tab).heard)).toEqual([]);
		await a.evaluate(async () => (globalThis as Tab).api.put('json/users', { json: {} }));
		await waitFor(async () => (await invalidated(b)).length > 0, 'tab B to hear the real write', 20_000);
		expect(await invalidated(b)).toEqual(['json/users']);
		expect(await b.evaluate(() => (globalThis as Tab).heard)).toEqual([{ method: 'PUT', url: `${api.url}/json/users`, remote: true }]);
		// B's client still works.
		expect(await b.evaluate(async () => (await (globalThis as Tab).api.get('json/todos/2')).status)).toBe(200);
	});

	it('a write the service worker queued and replays later invalidates in the page; the worker\'s 202 "queued" is no delivery', async () => {
		const [page] = await tabs(1);
		await page.evaluate(async () => {
			await navigator.serviceWorker.register('/sync-sw.js', { type: 'module' });
			await navigator.serviceWorker.ready;
		});
		await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
		// The page's client has the worker's name; its requests to the API go through the worker.
		await boot(page, 'sync-sw', paths);
		await api.down('refuse');
		const answered = await page.evaluate(async () => {
			const response = await (globalThis as Tab).api.post('json/todos', { json: { title: 'offline' } });
			return { status: response.status, entry: response.headers.get('steadfetch-outbox-entry') };
		});
		expect(answered).toEqual({ status: 202, entry: expect.any(String) as string });
		expect(await page.evaluate(() => (globalThis as Tab).heard)).toEqual([]);
		expect(await invalidated(page)).toEqual([]);
		// The API back: the worker's outbox replays the write (its backoff, no call of the page's) and tells the page.
		await api.up();
		await waitFor(async () => (await invalidated(page)).length === 2, 'the page to invalidate the collection the worker\'s replay wrote to', 20_000);
		expect(await invalidated(page)).toEqual(['json/todos', 'json/todos?page=2']);
		expect(await page.evaluate(() => (globalThis as Tab).heard)).toEqual([{ method: 'POST', url: `${api.url}/json/todos`, remote: true }]);
		expect(api.seen.filter((request) => request.method === 'POST').map((request) => request.url)).toEqual(['/json/todos']);
	});

	it('a write the service worker delivers at once for a page is told once in every tab: by the worker (its answer says so), not again by the page\'s client of its name', async () => {
		const [pageA, pageB] = await tabs(2);
		await pageA!.evaluate(async () => {
			await navigator.serviceWorker.register('/sync-sw.js', { type: 'module' });
			await navigator.serviceWorker.ready;
		});
		for (const page of [pageA!, pageB!]) {
			await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
			await boot(page, 'sync-sw', paths);
		}

		const answered = await pageA!.evaluate(async () => {
			const response = await (globalThis as Tab).api.patch('json/todos/1', { json: { done: true } });
			return { status: response.status, toldBy: response.headers.get('steadfetch-delivered') };
		});
		expect(answered).toEqual({ status: 200, toldBy: 'sync-sw' });
		// A second write, told by the worker after the first (one sender's messages arrive in order): once both
		// tabs heard it, every telling of the first has arrived too.
		await pageA!.evaluate(async () => (globalThis as Tab).api.patch('json/users', { json: {} }));
		for (const page of [pageA!, pageB!]) {
			await waitFor(async () => (await page.evaluate(() => (globalThis as Tab).heard)).some(({ url }) => url.endsWith('/json/users')), 'the second write heard');
			// Before: tab A heard the first write twice (its own client, then the worker), tab B twice (the worker, then tab A).
			expect(await page.evaluate(() => (globalThis as Tab).heard)).toEqual([
				{ method: 'PATCH', url: `${api.url}/json/todos/1`, remote: true },
				{ method: 'PATCH', url: `${api.url}/json/users`, remote: true },
			]);
		}

		expect((await invalidated(pageB!)).filter((path) => path.startsWith('json/todos'))).toEqual(['json/todos', 'json/todos/1', 'json/todos/1?expand=tags', 'json/todos?page=2']);
		// A client of another name in the page is not reached by the worker's channel: it tells the write itself.
		const other = await pageA!.evaluate(async (base) => {
			const apart = (globalThis as Tab).steadfetch.createClient({ name: 'sync-other', retry: 0, breaker: false, staleCache: false });
			const heard: Array<{ method: string; remote?: true }> = [];
			apart.on('write:delivered', ({ method, remote }) => heard.push(remote ? { method, remote } : { method }));
			const response = await apart.put(`${base}/json/todos/2`, { json: {} });
			apart.close();
			return { heard, toldBy: response.headers.get('steadfetch-delivered') };
		}, api.url);
		expect(other).toEqual({ heard: [{ method: 'PUT' }], toldBy: 'sync-sw' });
	});
});
