/**
 * adaptiveThrottle() in real Chromium, five pages (tabs) of one browser context: each tab sends
 * fewer attempts than `minRequests` alone, so alone none would ever throttle; the tabs of one `name`
 * share their counts (BroadcastChannel), and together they refuse what the failing origin would
 * have refused. Side by side with five tabs of five names, which share nothing.
 */
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright';
import { openPage, chromiumForFile } from '../helpers/pages.js';
import { waitFor } from '../helpers/wait-for.js';

type Library = typeof import('../../src/entries/index.js') & typeof import('../../src/entries/throttle.js');
interface PageClient { client: ReturnType<Library['createClient']>; base: string; classify: Library['classify'] }

let context: BrowserContext | undefined;
const { chromium, pages, api } = chromiumForFile(async () => context?.close());

/** A client in the page whose throttle refuses every attempt once p > 0 (`random: () => 0`): what it refuses is what it learnt. */
const tab = async (page: Page, name: string): Promise<Page> => {
	await page.evaluate(({ name, base }) => {
		const { createClient, classify, adaptiveThrottle } = (globalThis as unknown as { steadfetch: Library }).steadfetch;
		const client = createClient({ name, retry: 0, staleCache: false, breaker: false, random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 20 }) });
		(globalThis as unknown as { t: PageClient }).t = { client, base, classify };
	}, { name, base: api.url });
	return page;
};

/** `n` calls one after another from the tab: each one's status or code. */
const calls = async (page: Page, n: number): Promise<string[]> => page.evaluate(async (n) => {
	const { t } = globalThis as unknown as { t: PageClient };
	const results: string[] = [];
	for (let index = 0; index < n; index++) {
		results.push(await t.client.get(`${t.base}/json?id=tabs`).then((response) => String(response.status), (error: unknown) => t.classify(error).code));
	}

	return results;
}, n);

const requestsSeen = async (page: Page): Promise<number> => page.evaluate(() => {
	const { t } = globalThis as unknown as { t: PageClient };
	return (t.client.stats()[t.base]?.['throttle'] as { requests: number } | undefined)?.requests ?? 0;
});

const openTabs = async (names: string[]): Promise<Page[]> => {
	await context?.close();
	context = await chromium.context();
	return Promise.all(names.map(async (name) => tab(await openPage(context!, pages), name)));
};

/** Five tabs, each 5 calls to a failing origin, then 5 more once the first 25 are known where they are shared: what each tab's last 5 met, and requests that reached the origin. */
const run = async (names: string[], shared: boolean): Promise<{ results: string[][]; reached: number }> => {
	const tabs = await openTabs(names);
	const before = api.seen.length;
	const first = await Promise.all(tabs.map(async (page) => calls(page, 5)));
	expect(first.flat()).toEqual(Array(25).fill('HTTP_5XX')); // 5 each: under minRequests everywhere
	// Each tab tells the others what it counted (at most a message a second per scope).
	await waitFor(async () => (await Promise.all(tabs.map(requestsSeen))).every((seen) => seen === (shared ? 25 : 5)), 'the counts told');
	const second = await Promise.all(tabs.map(async (page) => calls(page, 5)));
	return { results: second, reached: api.seen.length - before };
};

describe('adaptive throttle across tabs (real Chromium)', { timeout: 60_000 }, () => {
	it('five tabs each below minRequests alone: sharing one name, they throttle the failing origin together; five names do not', async () => {
		await api.down(503);
		const name = `throttle-tabs-${Date.now()}`;
		const together = await run(Array(5).fill(name), true);
		// 25 attempts in the shared window, none accepted: p = 0.9 in every tab, and random() = 0 refuses.
		expect(together.results.flat()).toEqual(Array(25).fill('THROTTLED'));
		expect(together.reached).toBe(25);
		const apart = await run([0, 1, 2, 3, 4].map((index) => `${name}-${index}`), false);
		expect(apart.results.flat()).toEqual(Array(25).fill('HTTP_5XX'));
		expect(apart.reached).toBe(50);
		console.log(`[done-when] 5 Chromium tabs, 10 calls each to an origin answering 503 (minRequests 20): one name ${together.reached} requests reached it (the last 25 refused locally), five names ${apart.reached}`);
		await api.up();
	});
});
