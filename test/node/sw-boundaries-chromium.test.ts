/**
 * steadfetch/sw minds its origin and `no-store` (issue 22), in real Chromium with a registered
 * service worker and a page using plain `fetch`: with the README's `URLPattern({ pathname: '/api/*' })`
 * a third party's `/api/…` is neither answered stale nor queued; a page's `fetch(url, { cache:
 * 'no-store' })` goes to the network untouched, never answered from nor written to the stale cache.
 */
import type { Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { dumpIndexedDb, startApi, type Chromium, type ControlledApi, type PageServer } from '../helpers/pages.js';
import { createHandler } from '../helpers/server-handler.js';
import { claimingWorker, controlledPage as controlledIn, startWorkerPages } from '../helpers/service-worker.js';

let chromium: Chromium;
let pages: PageServer;
/** The app's API, on another origin, which the worker names in its second pattern. */
let api: ControlledApi;
/** A third party with `/api/…` routes (the test API's, under `/api`); `failWith` makes it answer that status. */
let third: RunningServer;
let thirdFailWith: number | undefined;

/** The worker: the README's hostless pattern for its own `/api/*`, and the app's API named by host and port. */
const worker = (apiOrigin: string) => `
import { createClient, outbox } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sw-boundaries', retry: 0, breaker: false, outbox: outbox({ baseBackoffMs: 100, maxBackoffMs: 500 }) });
const own = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
const named = fetchHandler(api, { match: new URLPattern({ hostname: '127.0.0.1', port: ${JSON.stringify(new URL(apiOrigin).port)}, pathname: '/json' }) });
${claimingWorker('own(event) || named(event);')}`;

beforeAll(async () => {
	api = await startApi();
	const handler = createHandler();
	third = await serve(async (request) => {
		if (thirdFailWith !== undefined && request.method !== 'OPTIONS') {
			return new Response('{"down":true}', { status: thirdFailWith, headers: { 'access-control-allow-origin': '*', 'content-type': 'application/json' } });
		}

		const url = new URL(request.url);
		url.pathname = url.pathname.replace(/^\/api/, '');
		return handler(new Request(url, request));
	});
	[chromium, pages] = await startWorkerPages(worker(api.url));
}, 60_000);

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), api?.close(), third?.close()]);
});

/** A page controlled by the worker. */
const controlledPage = async (): Promise<Page> => (await controlledIn(chromium, pages)).page;

/** Plain `fetch` in the page: status, the headers steadfetch adds, the body. */
const request = async (page: Page, url: string, init: RequestInit = {}) => page.evaluate(async ({ url, init }) => {
	const response = await fetch(url, init as RequestInit);
	return { status: response.status, cache: response.headers.get('cache-status'), entry: response.headers.get('steadfetch-outbox-entry'), body: await response.text() };
}, { url, init });

/** Read `url` through the worker and wait until its copy is in the worker's IndexedDB (copies are written behind the answer, in order). */
const storedThrough = async (page: Page, url: string, id: string): Promise<void> => {
	expect((await request(page, url)).status).toBe(200);
	await expect.poll(async () => dumpIndexedDb(page), { timeout: 10_000, interval: 50 }).toContain(`id=${id}`);
};

describe('service worker boundaries (real Chromium)', () => {
	it('a hostless URLPattern leaves a third party alone: its read is never stored nor answered stale, its POST never queued', async () => {
		const page = await controlledPage();
		const read = `${third.url}/api/json?id=third-read`;
		expect((await request(page, read)).status).toBe(200);
		await storedThrough(page, `${api.url}/json?id=sw-control-1`, 'sw-control-1'); // a copy the worker does write, after it

		thirdFailWith = 503;
		try {
			const again = await request(page, read);
			expect.soft([again.status, again.cache]).toEqual([503, null]); // the third party's own answer, not a stale copy
			const write = await request(page, `${third.url}/api/mutate?id=third-write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
			expect.soft([write.status, write.entry]).toEqual([503, null]); // not a 202 from the worker's outbox
		} finally {
			thirdFailWith = undefined;
		}

		const stored = await dumpIndexedDb(page);
		expect.soft(stored).not.toContain('third-read');
		expect.soft(stored).not.toContain('third-write');
		await page.context().close();
	}, 60_000);

	it('fetch(url, { cache: \'no-store\' }) goes to the network: never answered from, nor written to, the stale cache', async () => {
		const page = await controlledPage();
		await storedThrough(page, `${api.url}/json?id=sw-ns-stored`, 'sw-ns-stored');
		expect((await request(page, `${api.url}/json?id=sw-ns-fresh`, { cache: 'no-store' })).status).toBe(200);
		await storedThrough(page, `${api.url}/json?id=sw-control-2`, 'sw-control-2');
		expect.soft(await dumpIndexedDb(page)).not.toContain('sw-ns-fresh');

		await api.down(503);
		try {
			const noStore = await request(page, `${api.url}/json?id=sw-ns-stored`, { cache: 'no-store' });
			expect.soft([noStore.status, noStore.cache]).toEqual([503, null]);
			const stale = await request(page, `${api.url}/json?id=sw-ns-stored`); // without no-store: the worker answers stale
			expect([stale.status, stale.cache?.startsWith('steadfetch; hit')]).toEqual([200, true]);
			const neverStored = await request(page, `${api.url}/json?id=sw-ns-fresh`);
			expect.soft([neverStored.status, neverStored.cache]).toEqual([503, null]);
		} finally {
			await api.up();
		}

		await page.context().close();
	}, 60_000);
});
