/**
 * steadfetch/sw in real Chromium with a really registered service worker: the page uses plain
 * `fetch` and never imports steadfetch; the worker's client answers its API requests — reads stale
 * across a reload while the origin is down, writes made while it is down delivered once after.
 */
import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { dumpIndexedDb, openPage, startApi } from '../helpers/pages.js';
import { claimingWorker, controlled, registerWorker, workerForFile } from '../helpers/service-worker.js';

/** The worker: a client with the stale cache and the outbox, answering every request to the API origin. */
const worker = (apiOrigin: string) => `
import { createClient, outbox } from 'steadfetch';
import { fetchHandler, outboxSyncHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sw-test', retry: 0, breaker: false, outbox: outbox({ baseBackoffMs: 100, maxBackoffMs: 500 }) });
const handle = fetchHandler(api, { match: new URLPattern({ protocol: 'http', hostname: '127.0.0.1', port: ${JSON.stringify(new URL(apiOrigin).port)} }) });
${claimingWorker()}self.addEventListener('sync', outboxSyncHandler(api));
`;

const { chromium, pages, origin: api } = workerForFile(startApi, worker);

const get = async (page: Page, url: string) => page.evaluate(async (url) => {
	const response = await fetch(url);
	return { status: response.status, cache: response.headers.get('cache-status'), body: await response.text() };
}, url);

describe('service worker mode (real Chromium)', () => {
	it('plain fetch in the page: reads answered stale across a reload with the origin down; offline writes delivered once', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await registerWorker(page);

		// Online: a read through the worker (stored in its IndexedDB).
		const fresh = await get(page, `${api.url}/json?id=sw-read`);
		expect([fresh.status, fresh.cache]).toEqual([200, null]);
		// The copy is written behind the answer: wait until it is in IndexedDB (not a fixed sleep, which a loaded machine outlasts).
		await expect.poll(async () => dumpIndexedDb(page), { timeout: 10_000, interval: 50 }).toContain('id=sw-read');

		// The origin goes down; the page reloads (the worker keeps control) and reads again: stale.
		await api.down('refuse');
		await page.reload();
		await controlled(page);
		const stale = await get(page, `${api.url}/json?id=sw-read`);
		expect(stale.status).toBe(200);
		expect(stale.cache).toMatch(/^steadfetch; hit/);
		expect(JSON.parse(stale.body)).toEqual(JSON.parse(fresh.body));

		// Writes with plain fetch while the origin is down: 202, queued in the worker's outbox.
		const writes = await page.evaluate(async (url) => Promise.all([1, 2].map(async (order) => {
			const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order }) });
			return { status: response.status, entry: response.headers.get('steadfetch-outbox-entry') };
		})), `${api.url}/mutate?id=sw-write`);
		expect(writes.map(({ status }) => status)).toEqual([202, 202]);
		expect(writes.every(({ entry }) => typeof entry === 'string' && entry.length > 0)).toBe(true);
		expect(api.state.applied.get('sw-write')).toBeUndefined();

		// Back up: the worker's outbox delivers each once (its backoff timer; no page code involved).
		await api.up();
		await expect.poll(() => api.state.applied.get('sw-write')?.length ?? 0, { timeout: 15_000 }).toBe(2);
		await new Promise((resolve) => setTimeout(resolve, 800));
		expect(api.state.applied.get('sw-write')!.map((entry) => JSON.parse(entry.body).order).sort()).toEqual([1, 2]);
		expect(api.state.duplicates.get('sw-write') ?? 0).toBe(0);
		await context.close();
	}, 90_000);
});
