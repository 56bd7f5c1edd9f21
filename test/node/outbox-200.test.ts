/**
 * "Done when" (issue 5): in real Chromium, 200 mutations made offline across a reload are delivered
 * after coming back online, each applied exactly once by a loopback server that dedupes on
 * Idempotency-Key, in per-scope order. Prints the counts and the drain time.
 */
import type { Page } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, openPage, startApi, startPageServer, type Chromium, type ControlledApi, type PageServer } from '../helpers/pages.js';

let chromium: Chromium;
let pages: PageServer;
let apiA: ControlledApi;
let apiB: ControlledApi;

beforeAll(async () => {
	[chromium, pages, apiA, apiB] = await Promise.all([launchChromium(), startPageServer(), startApi(), startApi()]);
});

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), apiA?.close(), apiB?.close()]);
});

const boot = async (page: Page) => page.evaluate(() => {
	const g = globalThis as unknown as Record<string, any>;
	g['api'] = g['steadfetch'].createClient({ name: 'done-when', retry: 0, outbox: g['steadfetch'].outbox() });
});

/** Make `count` mutations, alternating between the two origins (scopes); returns the call outcomes. */
const mutate = async (page: Page, from: number, count: number) => page.evaluate(async ({ a, b, from, count }) => {
	const g = globalThis as unknown as Record<string, any>;
	const codes: Record<string, number> = {};
	for (let n = from; n < from + count; n++) {
		const code = await g['api'].post(`${n % 2 === 0 ? a : b}/mutate?id=m200`, { json: { n } }).then(
			(response: Response) => String(response.status),
			(error: { code?: string; name: string }) => error.code ?? error.name,
		);
		codes[code] = (codes[code] ?? 0) + 1;
	}

	return codes;
}, { a: apiA.url, b: apiB.url, from, count });

it('200 offline mutations across a reload: 0 lost, 0 duplicates, per-scope order', async () => {
	const context = await chromium.context();
	const page = await openPage(context, pages);
	await boot(page);
	await Promise.all([apiA.down('refuse'), apiB.down('refuse')]);
	await context.setOffline(true);
	expect(await mutate(page, 0, 100)).toEqual({ QUEUED: 100 });
	// Back on the network but the origins are still down; then the tab reloads.
	await context.setOffline(false);
	await page.reload();
	await page.waitForFunction(() => 'steadfetch' in globalThis);
	await boot(page);
	await context.setOffline(true);
	expect(await mutate(page, 100, 100)).toEqual({ QUEUED: 100 });
	expect(await page.evaluate(async () => (globalThis as unknown as Record<string, any>)['api'].outbox.size())).toBe(200);
	await Promise.all([apiA.up(), apiB.up()]);
	const started = performance.now();
	await context.setOffline(false); // the `online` event starts the drain
	const deadline = Date.now() + 60_000;
	const total = () => (apiA.state.applied.get('m200')?.length ?? 0) + (apiB.state.applied.get('m200')?.length ?? 0);
	while (total() < 200 && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 5));
	}

	const drainMs = performance.now() - started;
	const a = (apiA.state.applied.get('m200') ?? []).map((entry) => JSON.parse(entry.body).n as number);
	const b = (apiB.state.applied.get('m200') ?? []).map((entry) => JSON.parse(entry.body).n as number);
	const duplicates = (apiA.state.duplicates.get('m200') ?? 0) + (apiB.state.duplicates.get('m200') ?? 0);
	const distinct = new Set([...a, ...b]).size;
	const lost = 200 - distinct;
	console.log(`[done-when] made 200, applied ${a.length + b.length} (A ${a.length}, B ${b.length}), lost ${lost}, duplicate replays ${duplicates}, applied twice ${a.length + b.length - distinct}, drain ${drainMs.toFixed(0)} ms`);
	expect(lost).toBe(0);
	expect(a.length + b.length).toBe(200);
	expect(duplicates).toBe(0);
	expect(a).toEqual(Array.from({ length: 100 }, (_, index) => index * 2));
	expect(b).toEqual(Array.from({ length: 100 }, (_, index) => index * 2 + 1));
	// The origin applied the last write before the page removed its entry (the store's delete follows the answer): wait for it.
	await expect.poll(async () => page.evaluate(async () => (globalThis as unknown as Record<string, any>)['api'].outbox.size()), { timeout: 10_000 }).toBe(0);
	await context.close();
}, 120_000);
