/**
 * The outbox as it grows, in real Chromium (IndexedDB shared by the tabs of a context): a queued
 * write does not list the store, yet what another tab queued or delivered is seen by the next write
 * of this tab — it waits behind the other tab's entry (FIFO per scope) and counts toward
 * `maxEntries` exactly; and the store work per write does not grow with the queue. The library is
 * the built dist/ (run `npm run build` first).
 */
import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { openPage, chromiumForFile } from '../helpers/pages.js';

const { chromium, pages, api } = chromiumForFile();

/**
 * Create the page's client and record its `outbox:queued` codes; `count`: its outbox's store
 * (IndexedDB) counts the work asked of it (`globalThis.work`: calls, listings, keys listed).
 */
const boot = async (page: Page, name: string, outbox: Record<string, unknown> = {}, count = false) => page.evaluate(({ name, outbox, count }) => {
	const g = globalThis as unknown as Record<string, any>;
	const { createClient, outbox: makeOutbox, indexedDbStore } = g['steadfetch'];
	const work = { calls: 0, listings: 0, keysRead: 0 };
	g['work'] = work;
	const counted = (namespace: string) => {
		const inner = indexedDbStore(namespace);
		if (!namespace.endsWith('/outbox')) {
			return inner; // The stale cache's and the breaker's stores are not the outbox's work.
		}

		const wrap = (method: string) => async (...args: unknown[]) => {
			work.calls++;
			const result = await inner[method](...args);
			if (method === 'keys') {
				work.listings++;
				work.keysRead += (result as string[]).length;
			}

			return result;
		};
		return Object.fromEntries(['get', 'set', 'delete', 'keys', 'clear', 'span'].map((method) => [method, wrap(method)]));
	};

	g['queued'] = [];
	g['api'] = createClient({ name, retry: 0, ...(count ? { store: counted } : {}), outbox: makeOutbox({ baseBackoffMs: 200, ...outbox }) });
	g['api'].on('outbox:queued', (event: { code: string }) => g['queued'].push(event.code));
}, { name, outbox, count });

/** Make mutations one after another; what each ended with (a status, or the error's code). */
const mutate = async (page: Page, url: string, numbers: number[]) => page.evaluate(async ({ url, numbers }) => {
	const g = globalThis as unknown as Record<string, any>;
	const out: string[] = [];
	for (const n of numbers) {
		try {
			out.push(String((await g['api'].post(url, { json: { n } })).status));
		} catch (error) {
			out.push((error as { code?: string; name: string }).code ?? (error as Error).name);
		}
	}

	return out;
}, { url, numbers });

const queued = async (page: Page) => page.evaluate(() => (globalThis as unknown as { queued: string[] }).queued);
const pending = async (page: Page) => page.evaluate(async () => (globalThis as unknown as Record<string, any>)['api'].outbox.size() as Promise<number>);
const flush = async (page: Page) => page.evaluate(async () => (globalThis as unknown as Record<string, any>)['api'].outbox.flush() as Promise<{ sent: number }>);
const applied = (id: string) => (api.state.applied.get(id) ?? []).map((entry) => JSON.parse(entry.body).n as number);

describe('outbox at scale in real Chromium', () => {
	it('FIFO per scope across two tabs: tab B queues between two writes of tab A; A\'s next write waits behind B\'s entry, then both go in order', async () => {
		const context = await chromium.context();
		const [a, b] = await Promise.all([openPage(context, pages), openPage(context, pages)]);
		await Promise.all([a, b].map(async (tab) => boot(tab, 'scale-fifo')));
		const url = `${api.url}/mutate?id=scale-fifo`;
		expect(await mutate(a, url, [0])).toEqual(['201']); // A knows its scope has nothing pending.
		await api.down('refuse');
		expect(await mutate(b, url, [1])).toEqual(['QUEUED']);
		await api.up();
		expect(await mutate(a, url, [2])).toEqual(['QUEUED']); // Not sent ahead of B's entry.
		expect(await queued(a)).toEqual(['BEHIND']);
		await expect.poll(() => applied('scale-fifo'), { timeout: 20_000 }).toEqual([0, 1, 2]);
		expect(api.state.duplicates.get('scale-fifo') ?? 0).toBe(0);
		await context.close();
	}, 60_000);

	it('maxEntries exact across two tabs: B delivered the entries A queued and queued one of its own; A counts the store, not what it queued', async () => {
		const context = await chromium.context();
		const [a, b] = await Promise.all([openPage(context, pages), openPage(context, pages)]);
		await Promise.all([a, b].map(async (tab) => boot(tab, 'scale-full', { maxEntries: 2, resumeJitterMs: 0 })));
		const url = `${api.url}/mutate?id=scale-full`;
		await api.down('refuse');
		expect(await mutate(a, url, [1, 2, 0])).toEqual(['QUEUED', 'QUEUED', 'OUTBOX_FULL']);
		await api.up();
		await expect.poll(async () => (await flush(b), applied('scale-full')), { timeout: 20_000 }).toEqual([1, 2]);
		await api.down('refuse');
		expect(await mutate(b, url, [3])).toEqual(['QUEUED']);
		expect(await mutate(a, url, [4, 5])).toEqual(['QUEUED', 'OUTBOX_FULL']);
		expect(await pending(a)).toBe(2);
		await api.up();
		await expect.poll(async () => (await flush(a), applied('scale-full')), { timeout: 20_000 }).toEqual([1, 2, 3, 4]);
		await context.close();
	}, 60_000);

	it('the store work of a queued write does not grow with the queue: 500 writes, the last fifth asks IndexedDB no more per write than the first; each delivered once, in order', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await boot(page, 'scale-work', { maxEntries: 10_000 }, true);
		const url = `${api.url}/mutate?id=scale-work`;
		await api.down('refuse');
		const count = 500;
		const marks: Array<{ calls: number; listings: number; keysRead: number }> = [];
		for (let fifth = 0; fifth < 5; fifth++) {
			marks.push(await page.evaluate(() => ({ ...(globalThis as unknown as { work: { calls: number; listings: number; keysRead: number } }).work })));
			const numbers = Array.from({ length: count / 5 }, (_, index) => fifth * (count / 5) + index);
			expect(new Set(await mutate(page, url, numbers))).toEqual(new Set(['QUEUED']));
		}

		const last = await page.evaluate(() => ({ ...(globalThis as unknown as { work: { calls: number; listings: number; keysRead: number } }).work }));
		marks.push(last);
		const perWrite = (fifth: number, what: 'calls' | 'keysRead') => (marks[fifth + 1]![what] - marks[fifth]![what]) / (count / 5);
		expect(perWrite(4, 'calls')).toBeLessThanOrEqual(1.5 * perWrite(0, 'calls'));
		// Keys read in all: at most the two listings allowed below, each of at most the whole queue (a listing
		// per write would read ~125,000). Not per fifth: on a loaded machine one of the allowed listings (a
		// drain pass's span that raced a write) can fall in the last fifth.
		expect(last.keysRead - marks[0]!.keysRead).toBeLessThanOrEqual(2 * count);
		expect(last.listings).toBeLessThanOrEqual(2);
		await api.up();
		await expect.poll(async () => (await flush(page), applied('scale-work').length), { timeout: 60_000 }).toBe(count);
		expect(applied('scale-work')).toEqual(Array.from({ length: count }, (_, n) => n));
		expect(api.state.duplicates.get('scale-work') ?? 0).toBe(0);
		await context.close();
	}, 120_000);
});
