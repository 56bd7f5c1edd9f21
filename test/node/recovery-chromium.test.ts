/**
 * Recovery you can see (API.md "Queued writes notice the API is back", "TanStack, exactly"), in real
 * Chromium pages with the built package: a queued write goes out soon after the API returns with no
 * other call (its network backoff capped; at once on a reload); a tab whose TanStack query waits out
 * an open breaker is fresh right after another tab's probe closed it; a first load against a hanging
 * origin shows its error within `totalTimeout`. The TanStack parts run the README recipe's helpers
 * (`queryOptionsFor`, `refetchWhenBack`, `shown`) over @tanstack/query-core, loaded in the page.
 */
import type { BrowserContext, Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startApi, startPageServer, type Chromium, type ControlledApi, type PageServer } from '../helpers/pages.js';
import { waitFor } from '../helpers/wait-for.js';

/** Loads @tanstack/query-core (its ESM build reads `process.env.NODE_ENV`) and steadfetch/tanstack-query into the page: `globalThis.tq`. */
const setup = `globalThis.process ??= { env: { NODE_ENV: 'production' } };
const core = await import('/node_modules/@tanstack/query-core/build/modern/index.js');
const helpers = await import('/dist/browser/tanstack-query.js');
globalThis.tq = { core, helpers };`;

let chromium: Chromium;
let pages: PageServer;
let api: ControlledApi;
let context: BrowserContext | undefined;

beforeAll(async () => {
	[chromium, pages, api] = await Promise.all([launchChromium(), startPageServer({ '/recovery-setup.js': setup }), startApi()]);
});

afterEach(async () => {
	await context?.close();
	context = undefined;
	await api.up();
});

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close(), api?.close()]);
});

const tabs = async (count: number, tanstack = false): Promise<Page[]> => {
	context = await chromium.context();
	return Promise.all(Array.from({ length: count }, async () => {
		const page = await openPage(context!, pages);
		if (tanstack) {
			await page.addScriptTag({ url: `${pages.url}/recovery-setup.js`, type: 'module' });
			await page.waitForFunction(() => 'tq' in globalThis);
		}

		return page;
	}));
};

type Steadfetch = typeof import('../../src/entries/index.js');

/** A client with an outbox in the page (`globalThis.w`), its jitter drawn at 0.9: a backoff of 54 s after the first failure. */
const writer = async (page: Page, name: string, outbox: Record<string, unknown>): Promise<void> => page.evaluate(({ name, base, options }) => {
	const { createClient, outbox } = (globalThis as unknown as { steadfetch: Steadfetch }).steadfetch;
	const client = createClient({ name, baseUrl: `${base}/`, retry: 0, breaker: false, random: () => 0.9, outbox: outbox({ baseBackoffMs: 60_000, resumeJitterMs: 0, ...options }) });
	(globalThis as unknown as { w: unknown }).w = client;
}, { name, base: api.url, options: outbox });

/** Queue a write in the page while the API refuses connections; resolves with the entry's `nextAttemptAt` less now (ms). */
const queue = async (page: Page, id: string): Promise<number> => page.evaluate(async (id) => {
	const client = (globalThis as unknown as { w: import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }> }).w;
	const error = await client.post(`mutate?id=${id}`, { json: { id } }).catch((reason: unknown) => reason);
	if ((error as Error)?.name !== 'OutboxQueuedError') {
		throw new Error(`not queued: ${String(error)}`);
	}

	const [entry] = await client.outbox.list();
	return entry!.nextAttemptAt - Date.now();
}, id);

const applied = (id: string) => api.state.applied.get(id)?.length ?? 0;

describe('queued writes notice the API is back (real Chromium)', { timeout: 60_000 }, () => {
	it('after network failures the next replay is at most maxNetworkBackoffMs ahead: delivered within it of the API\'s return, with no other call (here 3 000 ms; 54 s without the cap)', async () => {
		const [page] = await tabs(1);
		await api.down('refuse');
		await writer(page!, 'rec-cap', { maxNetworkBackoffMs: 3000 });
		expect(await queue(page!, 'rec-cap')).toBeLessThanOrEqual(3000);
		await new Promise((resolve) => setTimeout(resolve, 3500)); // a replay fails meanwhile: due again within 3 s
		await api.up();
		const back = Date.now();
		await waitFor(() => applied('rec-cap') === 1, 'the write delivered', 20_000);
		const ms = Date.now() - back;
		console.log(`queued write delivered ${ms} ms after the API came back (maxNetworkBackoffMs 3000)`);
		expect(ms).toBeLessThanOrEqual(3000 + 2000);
	});

	it('a reload makes every pending entry due at once, whatever its backoff', async () => {
		const [page] = await tabs(1);
		await api.down('refuse');
		await writer(page!, 'rec-reload', { maxNetworkBackoffMs: 300_000 });
		expect(await queue(page!, 'rec-reload')).toBeGreaterThan(50_000);
		await api.up();
		await page!.reload();
		await page!.waitForFunction(() => 'steadfetch' in globalThis);
		const started = Date.now();
		await writer(page!, 'rec-reload', { maxNetworkBackoffMs: 300_000 });
		await waitFor(() => applied('rec-reload') === 1, 'the write delivered after the reload', 10_000);
		console.log(`queued write delivered ${Date.now() - started} ms after the reload`);
	});

	it('the page becoming visible makes every pending entry due at once', async () => {
		const [page] = await tabs(1);
		await api.down('refuse');
		await writer(page!, 'rec-visible', { maxNetworkBackoffMs: 300_000 });
		expect(await queue(page!, 'rec-visible')).toBeGreaterThan(50_000);
		await api.up();
		await page!.evaluate(() => {
			Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
			document.dispatchEvent(new Event('visibilitychange'));
		});
		await waitFor(() => applied('rec-visible') === 1, 'the write delivered once the page is visible', 10_000);
	});
});

describe('TanStack, exactly (real Chromium, @tanstack/query-core in the pages)', { timeout: 60_000 }, () => {
	/** In the page: a client, a QueryClient with refetchWhenBack, and an observer of `json?id=<id>` (`globalThis.q`). */
	const reader = async (page: Page, name: string, id: string, options: Record<string, unknown> = {}): Promise<void> => page.evaluate(({ name, base, id, options }) => {
		const { createClient } = (globalThis as unknown as { steadfetch: Steadfetch }).steadfetch;
		const { core, helpers } = (globalThis as unknown as { tq: { core: typeof import('@tanstack/query-core'); helpers: typeof import('../../src/entries/tanstack-query.js') } }).tq;
		const client = createClient({ name, retry: 0, ...options });
		const queryClient = new core.QueryClient();
		queryClient.mount();
		helpers.refetchWhenBack(client, queryClient);
		const observer = new core.QueryObserver(queryClient, { queryKey: ['user', id], ...helpers.queryOptionsFor(client, `${base}/json?id=${id}`) });
		const log: Array<{ at: number; status: string; fetchStatus: string; failureCount: number; fresh: boolean; reason: string | undefined }> = [];
		const events: Array<{ type: string; at: number }> = [];
		observer.subscribe((result) => {
			log.push({ at: Date.now(), status: result.status, fetchStatus: result.fetchStatus, failureCount: result.failureCount, fresh: result.status === 'success' && result.failureReason === null, reason: helpers.shown(result).reason });
		});
		client.on('breaker:closed', () => events.push({ type: 'breaker:closed', at: Date.now() }));
		client.on('cache:stored', () => events.push({ type: 'cache:stored', at: Date.now() }));
		(globalThis as unknown as { q: unknown }).q = { client, observer, log, events };
	}, { name, base: api.url, id, options });

	type Q = { client: import('../../src/entries/index.js').Client; observer: import('@tanstack/query-core').QueryObserver; log: Array<{ at: number; status: string; fetchStatus: string; failureCount: number; fresh: boolean; reason: string | undefined }>; events: Array<{ type: string; at: number }> };
	const last = async (page: Page) => page.evaluate(() => (globalThis as unknown as { q: Q }).q.log.at(-1));
	const events = async (page: Page) => page.evaluate(() => (globalThis as unknown as { q: Q }).q.events);

	it('a tab whose query waits out an open breaker is fresh ≤ 1 s after another tab\'s probe closed it (the pending retry replaced)', async () => {
		const [a, b] = await tabs(2, true);
		const breaker = { breaker: { consecutiveFailures: 2, openMs: 30_000 } };
		await Promise.all([reader(a!, 'rec-tq', 'tabs', breaker), reader(b!, 'rec-tq', 'tabs', breaker)]);
		// Both tabs' first answers in before the API goes down: the breaker's failure count is shared, so a first fetch of
		// tab B's still under way (a busy machine) would fail too, open the breaker at tab A's first failure, and leave A's
		// query waiting 30 s at one failure.
		for (const [tab, name] of [[a!, 'A'], [b!, 'B']] as const) {
			await waitFor(async () => (await last(tab))?.fresh === true && (await events(tab)).some((event) => event.type === 'cache:stored'), `tab ${name}'s first answer, stored`, 10_000);
		}

		await api.down('refuse');
		await a!.evaluate(() => void (globalThis as unknown as { q: Q }).q.observer.refetch());
		// Tab A: two network failures open the breaker (30 s, opened without an answer); its query shows
		// its copy and TanStack's retry waits for the breaker's period.
		await waitFor(async () => (await last(a!))?.failureCount === 2, 'tab A\'s query waiting for the breaker', 20_000);
		expect(await last(a!)).toMatchObject({ fetchStatus: 'fetching', reason: 'network' });
		expect(await a!.evaluate((base) => (globalThis as unknown as { q: Q }).q.client.breaker(base).state, api.url)).toBe('open');
		await api.up();
		// Tab B becomes visible: the breaker turns half-open, B's call is the probe and closes it for every tab.
		await b!.evaluate(() => {
			Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
			document.dispatchEvent(new Event('visibilitychange'));
		});
		await b!.evaluate(async () => (globalThis as unknown as { q: Q }).q.observer.refetch());
		await waitFor(async () => (await events(b!)).some((event) => event.type === 'breaker:closed'), 'tab B closing the breaker', 10_000);
		const closedAt = (await events(b!)).find((event) => event.type === 'breaker:closed')!.at;
		await waitFor(async () => (await last(a!))?.fresh === true, 'tab A fresh again', 10_000);
		const freshAt = (await last(a!))!.at;
		console.log(`tab A fresh ${freshAt - closedAt} ms after tab B closed the breaker`);
		expect(freshAt - closedAt).toBeLessThanOrEqual(1000);
	});

	it('a first load against a hanging origin, nothing stored, shows its error within totalTimeout (TanStack does not retry a spent totalTimeout)', async () => {
		const [page] = await tabs(1, true);
		await api.down('hang');
		const started = Date.now();
		await reader(page!, 'rec-hang', 'hang', { timeout: 1000, totalTimeout: 1500, retry: 1 });
		await waitFor(async () => (await last(page!))?.status === 'error', 'the query\'s error', 20_000);
		const ms = (await last(page!))!.at - started;
		console.log(`first load against a hanging origin: error after ${ms} ms (totalTimeout 1500)`);
		expect(ms).toBeLessThanOrEqual(1500 + 1000);
		expect(await last(page!)).toMatchObject({ fetchStatus: 'idle', failureCount: 1 });
	});
});
