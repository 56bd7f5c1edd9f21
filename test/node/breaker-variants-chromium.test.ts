/**
 * Variants of the breaker across tabs in real Chromium (API.md "Reachability and recovery",
 * "Identity"): several pages of one browser context, the API on another loopback origin.
 */
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright';
import { dumpIndexedDb, openPage, chromiumForFile } from '../helpers/pages.js';
import { waitFor } from '../helpers/wait-for.js';

let context: BrowserContext | undefined;
const { chromium, pages, api } = chromiumForFile(async () => context?.close());

interface PageClient { client: import('../../src/entries/index.js').Client; events: Array<{ type: string; reason: string; scope: string; reopensAt?: number }>; call(path: string): Promise<string>; base: string }

const client = async (page: Page, name: string, breaker: Record<string, unknown>) => {
	await page.evaluate(({ name, breaker, base }) => {
		const { createClient, classify } = (globalThis as unknown as { steadfetch: typeof import('../../src/entries/index.js') }).steadfetch;
		const client = createClient({ name, retry: 0, staleCache: false, breaker });
		const events: PageClient['events'] = [];
		for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
			client.on(type, (event) => events.push({ type, reason: event.reason, scope: event.scope, ...(event.reopensAt === undefined ? {} : { reopensAt: event.reopensAt }) }));
		}

		const call = async (path: string): Promise<string> => client.get(base + path).then((response) => String(response.status), (error: unknown) => classify(error).code);
		(globalThis as unknown as { t: PageClient }).t = { client, events, call, base };
	}, { name, breaker, base: api.url });
	return {
		page,
		calls: async (n: number, path: string): Promise<string[]> => page.evaluate(async ({ n, path }) => {
			const { t } = globalThis as unknown as { t: PageClient };
			return Promise.all(Array.from({ length: n }, async () => t.call(path)));
		}, { n, path }),
		snapshot: async () => page.evaluate(() => {
			const { t } = globalThis as unknown as { t: PageClient };
			return t.client.breaker(t.base);
		}),
		stats: async () => page.evaluate(() => {
			const { t } = globalThis as unknown as { t: PageClient };
			return t.client.stats()[new URL(t.base).origin]?.breaker;
		}),
		clear: async () => page.evaluate(async () => (globalThis as unknown as { t: PageClient }).t.client.clear()),
		events: async () => page.evaluate(() => [...(globalThis as unknown as { t: PageClient }).t.events]),
	};
};

const fresh = async (count: number): Promise<Page[]> => {
	await context?.close();
	context = await chromium.context();
	return Promise.all(Array.from({ length: count }, async () => openPage(context!, pages)));
};

/** One fresh page whose client `name` (its `breaker` options) opened its breaker on five calls to `path` that the origin refused. */
const openedByRefusals = async (name: string, breaker: Record<string, unknown>, path: string) => {
	const [page] = await fresh(1);
	await api.up();
	await api.down('refuse');
	const a = await client(page!, name, breaker);
	expect(await a.calls(5, path)).toEqual(Array(5).fill('NETWORK'));
	return { page: page!, a };
};

/** `page` reloaded and its client `name` made again (`reloaded`); `seen`: how many requests the origin had seen before that client. */
const reload = async (page: Page, name: string, breaker: Record<string, unknown>) => {
	await page.reload();
	await page.waitForFunction(() => 'steadfetch' in globalThis);
	const seen = api.seen.length;
	return { seen, reloaded: await client(page, name, breaker) };
};

describe('breaker variants across tabs (real Chromium)', { timeout: 60_000 }, () => {
	it('9 503s from 3 tabs at once (4 trials): breaker:open once per tab, with the origin, and every tab\'s stats() shows it open for one period', async () => {
		for (let trial = 0; trial < 4; trial++) {
			const opened = await fresh(3);
			await api.up();
			await api.down(503);
			const tabs = await Promise.all(opened.map(async (page) => client(page, `variants-open-${trial}`, { consecutiveFailures: 9, minimumThroughput: 20 })));
			await Promise.all(tabs.map(async (tab) => tab.calls(3, '/json?id=together')));
			for (const tab of tabs) {
				await waitFor(async () => (await tab.snapshot()).state === 'open', 'open in every tab');
			}

			await new Promise((resolve) => setTimeout(resolve, 200)); // any later open state told meanwhile
			const told = await Promise.all(tabs.map(async (tab) => tab.events()));
			console.log(`[variants] trial ${trial}: ${told.map((events) => events.map(({ type, reason }) => `${type} ${reason}`).join(', ')).join(' | ')}`);
			const periods = new Set<number | undefined>();
			for (const [index, tab] of tabs.entries()) {
				const opens = told[index]!.filter(({ type }) => type === 'breaker:open');
				expect(opens).toHaveLength(1); // before: up to 3 in a tab whose own opening crossed the others' on the channel
				expect(opens[0]!.scope).toBe(new URL(api.url).origin);
				const stats = await tab.stats();
				expect(stats?.state).toBe('open');
				periods.add(stats?.reopensAt);
			}

			expect(periods.size).toBe(1); // one period in every tab: the later one, where two tabs opened it
		}
	});

	it('clear() in one tab: the other tab\'s open breaker closes (its next call goes out), and failures in a row from before the clear count for nothing', async () => {
		const [first, second] = await fresh(2);
		await api.up();
		await api.down(503);
		const [a, b] = [await client(first!, 'variants-clear', {}), await client(second!, 'variants-clear', {})];
		expect(await a.calls(5, '/json?id=clear')).toEqual(Array(5).fill('HTTP_5XX'));
		await waitFor(async () => (await b.snapshot()).state === 'open', 'open in the other tab');
		await a.clear();
		await waitFor(async () => (await b.snapshot()).state === 'closed', 'the clear reaching the other tab'); // before: open until its period ended
		expect((await b.events()).map(({ type, reason }) => `${type} ${reason}`)).toEqual(['breaker:open shared', 'breaker:closed shared']);
		expect(await b.calls(4, '/json?id=clear')).toEqual(Array(4).fill('HTTP_5XX'));
		await waitFor(async () => (await a.snapshot()).consecutiveFailures === 4, 'the failures counted in the clearing tab');
		await a.clear();
		await waitFor(async () => (await b.snapshot()).consecutiveFailures === 0, 'the clear forgetting the other tab\'s failures in a row');
		expect(await b.calls(1, '/json?id=clear')).toEqual(['HTTP_5XX']);
		expect((await b.snapshot()).state).toBe('closed'); // before: open (4 from before the clear + 1)
		await api.up();
	});

	it('the device comes back online with 5 tabs and breaker.probe: one probe reaches the origin, and its closing reaches every tab', async () => {
		const opened = await fresh(5);
		await api.up();
		const tabs = await Promise.all(opened.map(async (page) => client(page, 'variants-online', { openMs: 60_000, probe: '/json?id=health' })));
		await api.down('refuse');
		expect(await tabs[0]!.calls(5, '/json?id=online')).toEqual(Array(5).fill('NETWORK'));
		for (const tab of tabs) {
			await waitFor(async () => (await tab.snapshot()).state === 'open', 'open in every tab');
		}

		await context!.setOffline(true);
		await api.up();
		const seen = api.seen.length;
		await context!.setOffline(false); // `online` in every tab at once
		for (const tab of tabs) {
			await waitFor(async () => (await tab.snapshot()).state === 'closed', 'closed in every tab');
		}

		await new Promise((resolve) => setTimeout(resolve, 200)); // a late probe would land by now
		const probes = api.seen.slice(seen).filter(({ url }) => url.includes('id=health'));
		const told = (await Promise.all(tabs.map(async (tab) => tab.events()))).flat().map(({ type, reason }) => `${type} ${reason}`);
		console.log(`[variants] online with 5 tabs: ${probes.length} probe(s); ${told.join(', ')}`);
		expect(probes).toHaveLength(1);
		expect(told.filter((event) => event === 'breaker:closed probe-succeeded')).toHaveLength(1);
		expect(told.filter((event) => event === 'breaker:closed shared')).toHaveLength(4);
	});

	it('`online` with 5 tabs while the origin is still down: one early probe across the tabs per `online`, not one more from each tab that handles it after that probe failed', async () => {
		const opened = await fresh(5);
		await api.up();
		const tabs = await Promise.all(opened.map(async (page) => client(page, 'variants-online-down', { openMs: 60_000, probe: '/json?id=health' })));
		await api.down('refuse');
		expect(await tabs[0]!.calls(5, '/json?id=online')).toEqual(Array(5).fill('NETWORK'));
		for (const tab of tabs) {
			await waitFor(async () => (await tab.snapshot()).state === 'open', 'open in every tab');
		}

		const failed = async (): Promise<number> => (await Promise.all(tabs.map(async (tab) => tab.events()))).flat().filter(({ reason }) => reason === 'probe-failed').length;
		for (let round = 1; round <= 3; round++) {
			await context!.setOffline(true);
			await context!.setOffline(false); // `online` in every tab: the probe fails (refused)
			await waitFor(async () => (await failed()) >= round, `the probe of online ${round}`);
			await new Promise((resolve) => setTimeout(resolve, 1_200)); // another tab's second probe would have failed by now
		}

		console.log(`[variants] online ×3 with the origin down, 5 tabs: ${await failed()} probes failed`);
		expect(await failed()).toBe(3); // before: 6 to 8 (a tab that handled online after the failure probed again)
		await api.up();
	});

	it('a tab opened while another tab\'s probe is in flight sends nothing, and is closed (its next call fresh) once that probe succeeds', async () => {
		const [first] = await fresh(1);
		await api.up();
		await api.down(503);
		const a = await client(first!, 'variants-new-tab', { openMs: 1_000 });
		expect(await a.calls(5, '/json?id=newtab')).toEqual(Array(5).fill('HTTP_5XX'));
		const { reopensAt } = await a.snapshot();
		await api.down('hang');
		await new Promise((resolve) => setTimeout(resolve, reopensAt! - Date.now() + 20));
		const before = api.requests;
		void a.calls(1, '/json?id=newtab'); // the probe: it hangs
		await waitFor(async () => api.requests > before, 'the probe at the origin');
		const c = await client(await openPage(context!, pages), 'variants-new-tab', { openMs: 1_000 });
		expect(await c.calls(3, '/json?id=newtab')).toEqual(Array(3).fill('CIRCUIT_OPEN'));
		expect(api.requests).toBe(before + 1);
		await api.up(); // the hanging probe is answered
		await waitFor(async () => (await c.snapshot()).state === 'closed', 'closed in the new tab');
		expect(await c.calls(1, '/json?id=newtab')).toEqual(['200']);
		const told = (await c.events()).map(({ type, reason }) => `${type} ${reason}`);
		console.log(`[variants] new tab during a probe: ${told.join(', ')}; stats ${JSON.stringify(await c.stats())}`);
		expect(told.at(-1)).toBe('breaker:closed shared');
		expect((await c.stats())?.state).toBe('closed');
	});
	it('with breaker.probe, a page reloaded after the origin came back gets fresh data at its first call: the probe goes first, the call after it', async () => {
		const breaker = { probe: '/json?id=reload-probe-health', openMs: 60_000 };
		const { page, a } = await openedByRefusals('variants-reload-probe', breaker, '/json?id=reload-probe');
		expect((await a.snapshot()).state).toBe('open');
		await waitFor(async () => (await dumpIndexedDb(page)).includes('"unanswered":true'), 'the open state in IndexedDB', 10_000);
		await api.up();
		const { seen, reloaded } = await reload(page, 'variants-reload-probe', breaker);
		expect(await reloaded.calls(1, '/json?id=reload-probe')).toEqual(['200']); // before: CIRCUIT_OPEN (the probe went behind it)
		expect(api.seen.slice(seen).map(({ url }) => url)).toEqual(['/json?id=reload-probe-health', '/json?id=reload-probe']);
		expect((await reloaded.events()).map(({ type, reason }) => `${type} ${reason}`)).toEqual(['breaker:open restored', 'breaker:half-open restored', 'breaker:closed probe-succeeded']);
	});
	it('with breaker.probe, a page reloaded after the open period ended (while it was closed) also gets fresh data at its first call', async () => {
		const breaker = { probe: '/json?id=reload-elapsed-health', openMs: 1_000 };
		const { page, a } = await openedByRefusals('variants-reload-elapsed', breaker, '/json?id=reload-elapsed');
		const { reopensAt } = await a.snapshot();
		await waitFor(async () => (await dumpIndexedDb(page)).includes('"unanswered":true'), 'the open state in IndexedDB', 10_000);
		await api.up();
		await waitFor(async () => Date.now() > reopensAt! + 100, 'the stored open period over', 10_000);
		const { seen, reloaded } = await reload(page, 'variants-reload-elapsed', breaker);
		expect(await reloaded.calls(1, '/json?id=reload-elapsed')).toEqual(['200']); // before: CIRCUIT_OPEN (the probe went behind it)
		expect(api.seen.slice(seen).map(({ url }) => url)).toEqual(['/json?id=reload-elapsed-health', '/json?id=reload-elapsed']);
		expect((await reloaded.events()).map(({ type, reason }) => `${type} ${reason}`)).toEqual(['breaker:open restored', 'breaker:half-open open-elapsed', 'breaker:closed probe-succeeded']);
	});
	for (const { how, breaker, first } of [
		{ how: 'the first call is the probe', breaker: { openMs: 60_000 }, first: [] as string[] },
		{ how: 'with breaker.probe', breaker: { probe: '/json?id=online-many-health', openMs: 60_000 }, first: ['/json?id=online-many-health'] },
	]) {
		it(`the device back online: three calls the page makes at once as \`online\` fires get fresh data at each (${how})`, async () => {
			const name = `variants-online-many-${first.length}`;
			const { page } = await openedByRefusals(name, breaker, '/json?id=online-many');
			await context!.setOffline(true);
			await api.up();
			// Made in the page's own `online` listener (after the breaker's): while the early probe that event let through is in flight.
			await page.evaluate(() => {
				const { t } = globalThis as unknown as { t: PageClient };
				addEventListener('online', () => {
					(globalThis as unknown as { made: Promise<string[]> }).made = Promise.all([t.call('/json?id=online-many'), t.call('/json?id=online-many'), t.call('/json?id=online-many')]);
				}, { once: true });
			});
			const seen = api.seen.length;
			await context!.setOffline(false);
			await page.waitForFunction(() => 'made' in globalThis);
			expect(await page.evaluate(async () => (globalThis as unknown as { made: Promise<string[]> }).made)).toEqual(['200', '200', '200']); // before: CIRCUIT_OPEN behind the probe
			expect(api.seen.slice(seen).map(({ url }) => url)).toEqual([...first, '/json?id=online-many', '/json?id=online-many', '/json?id=online-many']);
		});
	}

	for (const { how, breaker, first } of [
		{ how: 'the first call is the probe', breaker: { openMs: 60_000 }, first: [] as string[] },
		{ how: 'with breaker.probe', breaker: { probe: '/json?id=reload-many-health', openMs: 60_000 }, first: ['/json?id=reload-many-health'] },
	]) {
		it(`a page reloaded after the origin came back that fires three calls at once gets fresh data at each (${how})`, async () => {
			const name = `variants-reload-many-${first.length}`;
			const { page } = await openedByRefusals(name, breaker, '/json?id=reload-many');
			await waitFor(async () => (await dumpIndexedDb(page)).includes('"unanswered":true'), 'the open state in IndexedDB', 10_000);
			await api.up();
			const { seen, reloaded } = await reload(page, name, breaker);
			expect(await reloaded.calls(3, '/json?id=reload-many')).toEqual(['200', '200', '200']); // before: ['200', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']
			expect(api.seen.slice(seen).map(({ url }) => url)).toEqual([...first, '/json?id=reload-many', '/json?id=reload-many', '/json?id=reload-many']);
		});
	}
});
