/**
 * The playground (`npm run playground`) in real Chromium: Vite serves playground/ against the built
 * library (dist/), msw's Service Worker plays the API, Playwright clicks the controls like a person
 * and reads the panels' counters from the DOM (data-testid). A screenshot of every state is saved
 * under playground/screenshots/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { chromiumArgs, findChromium } from '../helpers/chromium.js';

const root = resolve(import.meta.dirname, '../..');
const shots = join(root, 'playground/screenshots');

let vite: ViteDevServer;
let browser: Browser;
let url: string;
/** Uncaught errors of the playground's pages: the test fails if there is any. */
const pageErrors: Error[] = [];
/** What the pages wrote to the browser's console. */
const consoleLines: string[] = [];

beforeAll(async () => {
	mkdirSync(shots, { recursive: true });
	vite = await createServer({
		configFile: join(root, 'playground/vite.config.ts'),
		logLevel: 'warn',
		cacheDir: join(root, 'node_modules/.vite-playground-test'), // its own: the dev server's options differ
		// No watcher and no HMR: a rebuild of dist/ meanwhile must not reload the page under test.
		server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
	});
	await vite.listen();
	url = vite.resolvedUrls!.local[0]!;
	browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
}, 60_000);

afterEach(() => {
	expect(pageErrors.splice(0)).toEqual([]);
	consoleLines.length = 0;
});

afterAll(async () => {
	await browser?.close();
	await vite?.close();
});

const open = async (context: BrowserContext): Promise<Page> => {
	const page = await context.newPage();
	page.on('pageerror', (error) => pageErrors.push(error));
	page.on('console', (message) => consoleLines.push(message.text()));
	await page.goto(url);
	await page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 15_000 });
	return page;
};

/** Click like a person: bring the tab to the front first (a background tab's clicks wait on its throttled frames). */
const click = async (page: Page, testid: string, times = 1): Promise<void> => {
	await page.bringToFront();
	for (let index = 0; index < times; index++) {
		await page.click(`[data-testid="${testid}"]`);
	}
};

/** The panels' counters, as the page shows them. */
const read = async (page: Page) => page.evaluate(() => {
	const text = (testid: string) => document.querySelector(`[data-testid="${testid}"]`)?.textContent ?? '';
	const number = (testid: string) => Number(text(testid));
	return {
		readsFresh: number('reads-fresh'), readsStale: number('reads-stale'), readsFailed: number('reads-failed'),
		writesSent: number('writes-sent'), writesQueued: number('writes-queued'), writesFailed: number('writes-failed'),
		serverApplied: number('server-applied'), serverDuplicates: number('server-duplicates'),
		cacheEntries: number('cache-entries'), cacheHits: number('cache-hits'),
		outboxPending: number('outbox-pending'), outboxDead: number('outbox-dead'),
		breakerApi: text('breaker-state-api'), breakerCdn: text('breaker-state-cdn'),
		latencyApi: text('health-latency-api'), errorRateApi: text('health-error-rate-api'), errorsApi: text('health-errors-api'),
		delivered: document.querySelectorAll('[data-kind="outbox:sent"]').length,
		consoleNote: (document.querySelector('[data-testid="console-note"]') as HTMLElement | null)?.hidden === false,
		onLine: navigator.onLine,
		noteVersion: text('note-version'), noteText: text('note-text'), noteConflicts: number('note-conflicts'),
		deadReasons: [...document.querySelectorAll('[data-testid="dead-row"] .tag.bad')].map((tag) => tag.textContent),
	};
});

type Counts = Awaited<ReturnType<typeof read>>;

/** Wait until the page shows `expected` (fails with the last values seen). */
const shows = async (page: Page, expected: Partial<Counts>, timeout = 8_000): Promise<void> => {
	await expect.poll(async () => read(page), { timeout, interval: 50 }).toMatchObject(expected);
};

/** Whether the breaker panel hides part of its cards: the rows below its visible edge, and whether its body scrolls. */
const breakerClipping = async (page: Page) => page.evaluate(() => {
	const panel = document.querySelector('[data-testid="panel-breaker"]')!;
	const body = panel.querySelector('.panel-body')!;
	const bottom = Math.min(panel.getBoundingClientRect().bottom, body.getBoundingClientRect().bottom);
	const hidden = [...panel.querySelectorAll('.breaker dt')].filter((row) => row.getBoundingClientRect().bottom > bottom + 0.5).map((row) => row.textContent);
	return { hidden, scrolls: body.scrollHeight > body.clientHeight + 1 };
});

const shot = async (page: Page, name: string): Promise<void> => {
	await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};

it('offline: reads answer stale, writes wait in the outbox; online: delivered once; dead letters retried and discarded; the breaker opens and closes', async () => {
	const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
	const page = await open(context);
	await shows(page, { breakerApi: 'closed', breakerCdn: 'closed', outboxPending: 0, cacheEntries: 0, consoleNote: false });

	// Online: four reads (items 1–4, now in the stale cache) and two writes.
	await click(page, 'read', 4);
	await click(page, 'write', 2);
	await shows(page, { readsFresh: 4, cacheEntries: 4, writesSent: 2, serverApplied: 2, outboxPending: 0, errorRateApi: '0 %' });
	expect((await read(page)).latencyApi).toMatch(/^\d+ \/ \d+ \/ \d+ ms$/); // the health view, from stats()
	await shot(page, '1-online');

	// Offline: the same reads answer from the stale cache; writes are queued, none reaches the server.
	await click(page, 'net-offline');
	await shows(page, { onLine: false });
	await click(page, 'read', 4);
	await click(page, 'write', 3);
	await shows(page, { readsStale: 4, readsFailed: 0, cacheHits: 4, writesSent: 2, writesQueued: 3, writesFailed: 0, outboxPending: 3, serverApplied: 2 });
	expect(await page.locator('[data-testid="outbox-row"]').count()).toBe(3);
	expect((await read(page)).consoleNote).toBe(true);
	await shot(page, '2-offline');

	// Online again: the outbox drains, each write applied once, and counted as sent (2 at once, 3 replayed).
	await click(page, 'net-online');
	await shows(page, { onLine: true, outboxPending: 0, outboxDead: 0, delivered: 3, serverApplied: 5, serverDuplicates: 0, writesSent: 5, writesQueued: 0, consoleNote: false });
	await shot(page, '3-back-online');

	// The server refuses writes (422): queued writes become dead letters; Retry and Discard act on them.
	await click(page, 'reject-writes');
	await click(page, 'net-offline');
	await click(page, 'write', 2);
	await shows(page, { outboxPending: 2 });
	await click(page, 'net-online');
	await shows(page, { outboxPending: 0, outboxDead: 2, serverApplied: 5, writesSent: 5, writesQueued: 0, writesFailed: 2 });
	await shot(page, '4-dead-letters');
	await click(page, 'reject-writes');
	await page.locator('[data-testid="dead-retry"]').first().click();
	await shows(page, { outboxPending: 0, outboxDead: 1, serverApplied: 6, writesSent: 6, writesFailed: 1 });
	await page.locator('[data-testid="dead-discard"]').first().click();
	await shows(page, { outboxPending: 0, outboxDead: 0, serverApplied: 6, serverDuplicates: 0, writesSent: 6, writesFailed: 1 });

	// The API origin goes down: its breaker opens, reads still answer (stale), the CDN's breaker stays closed.
	await click(page, 'origin-down');
	await click(page, 'read', 2);
	await shows(page, { breakerApi: 'open', breakerCdn: 'closed', readsStale: 6, readsFailed: 0 });
	await click(page, 'read', 2);
	await shows(page, { readsStale: 8, readsFailed: 0, cacheHits: 8 });
	expect((await read(page)).errorRateApi).toMatch(/^[1-9]\d* %$/); // stale answers are failures of the origin
	// The card counts errors by code once, from the calls the error rate counts: never "none" beside it.
	const errorRows = (await page.locator('[data-testid="breaker-api"] dt').allTextContents()).filter((row) => /error/.test(row) && !/rate/.test(row));
	expect(errorRows).toEqual(['errors by code (30 s)']);
	expect((await read(page)).errorsApi).toMatch(/\bNETWORK [1-9]/);
	// The browser logs each request the simulated fault fails; the page says so while a fault is on.
	expect(consoleLines).toContain('Failed to load resource: net::ERR_FAILED');
	expect((await read(page)).consoleNote).toBe(true);
	expect(await page.locator('[data-testid="console-note"]').textContent()).toContain('net::ERR_FAILED');
	// The open breaker's card is at its tallest (countdown, progress bar, errors): every row shows.
	expect(await page.locator('[data-testid="breaker-api"] .reopen').count()).toBe(1);
	expect(await breakerClipping(page)).toEqual({ hidden: [], scrolls: false });
	await shot(page, '5-origin-down');

	// Back up: after the open period (5 s) one probe closes the breaker.
	await click(page, 'origin-up');
	await shows(page, { breakerApi: 'half-open' }, 8_000);
	await click(page, 'read');
	await shows(page, { breakerApi: 'closed', readsFresh: 5 });
	await shot(page, '6-recovered');
	await context.close();
}, 45_000);

it('two tabs share the breaker, the outbox and the network; one drainer delivers every write once', async () => {
	const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
	const [a, b] = [await open(context), await open(context)];

	// Offline in one tab is offline in both; writes from both tabs land in the one outbox.
	await click(a, 'net-offline');
	await shows(b, { onLine: false });
	await click(a, 'write', 2);
	await click(b, 'write', 2);
	await shows(a, { outboxPending: 4, writesQueued: 2 });
	await shows(b, { outboxPending: 4, writesQueued: 2 });
	await shot(b, '7-two-tabs-offline');

	await click(b, 'net-online');
	await shows(a, { onLine: true, outboxPending: 0, serverApplied: 4, serverDuplicates: 0 });
	await shows(b, { outboxPending: 0, serverApplied: 4, serverDuplicates: 0 });
	// Each tab counts its own two writes as sent, whichever tab replayed them.
	await shows(a, { writesSent: 2, writesQueued: 0 });
	await shows(b, { writesSent: 2, writesQueued: 0 });
	// Each write was sent by exactly one tab (the one holding the drain lock): 4 `outbox:sent` in all.
	await expect.poll(async () => (await read(a)).delivered + (await read(b)).delivered, { timeout: 5_000 }).toBe(4);

	// The API goes down; tab A's reads open the breaker, and tab B shows it open without a call of its own.
	await click(a, 'origin-down');
	await click(a, 'read', 2);
	await shows(a, { breakerApi: 'open' });
	await shows(b, { breakerApi: 'open', readsFresh: 0, readsStale: 0, readsFailed: 0 });
	await shot(b, '8-second-tab-sees-open-breaker');
	await context.close();
}, 30_000);

it('a note edited offline while another device edits it: back online, the 412, then a dead letter (conflict), or with "rebase" the resolver\'s edit delivered', async () => {
	const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
	const page = await open(context);
	await click(page, 'reset');
	await shows(page, { noteVersion: 'v1', noteConflicts: 0, outboxDead: 0 });
	await click(page, 'note-edit');
	await shows(page, { noteVersion: 'v2', noteText: 'Buy milk and 1 eggs', writesSent: 1 });

	// Offline, this tab edits the note; meanwhile another device edits it too.
	await click(page, 'net-offline');
	await click(page, 'note-edit');
	await shows(page, { outboxPending: 1, writesQueued: 1 });
	await click(page, 'note-elsewhere');
	await shows(page, { noteVersion: 'v3' });
	await click(page, 'net-online');
	// The replay meets the newer note: one 412, the edit becomes a dead letter, nothing overwritten.
	await shows(page, { noteConflicts: 1, outboxPending: 0, outboxDead: 1, deadReasons: ['conflict'], noteVersion: 'v3', noteText: 'Edited on another device (v3)', writesFailed: 1 });
	expect(await page.locator('[data-kind="outbox:conflict"]').count()).toBe(1);
	await shot(page, '9-conflict-dead-letter');

	// With the resolver set to rebase, the same story ends with this tab's edit on the newer note.
	await click(page, 'resolver-rebase');
	await click(page, 'net-offline');
	await click(page, 'note-edit');
	await shows(page, { outboxPending: 1 });
	await click(page, 'note-elsewhere');
	await shows(page, { noteVersion: 'v4' });
	await click(page, 'net-online');
	await shows(page, { noteConflicts: 2, outboxPending: 0, outboxDead: 1, noteVersion: 'v5', noteText: 'Buy milk and 3 eggs', writesSent: 2 });
	expect(await page.locator('[data-kind="outbox:conflict"]').count()).toBe(2);
	await shot(page, '10-conflict-rebased');
	await context.close();
}, 30_000);

it('the origin hangs (takes requests, never answers): a read with a stored copy answers stale after 3 s (slow), "down" at once; a write is queued after 3 s', async () => {
	const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
	const page = await open(context);
	await click(page, 'read', 4);
	await shows(page, { readsFresh: 4, cacheEntries: 4 });

	await click(page, 'origin-hang');
	await click(page, 'read');
	await shows(page, { readsStale: 1, readsFailed: 0 }, 10_000);
	const line = await page.locator('[data-kind="call"]').first().textContent();
	const [, detail, ms] = /stale copy, .* \(([\w-]+)\) in (\d+) ms/.exec(line ?? '') ?? [];
	expect(detail).toBe('slow');
	expect(Number(ms)).toBeGreaterThanOrEqual(2_900);
	expect(Number(ms)).toBeLessThan(4_000); // not after its retries (3 attempts of 2 s)
	await click(page, 'write');
	await shows(page, { writesQueued: 1, writesSent: 0, outboxPending: 1 }, 10_000);
	await shot(page, '11-origin-hangs');

	// Down, by contrast, fails each attempt at once: the copy answers after the retries' short delays, not at the deadline.
	await click(page, 'origin-down');
	await click(page, 'read');
	await shows(page, { readsStale: 2 }, 10_000);
	expect(await page.locator('[data-kind="call"]').first().textContent()).toMatch(/\((?!slow)[\w-]+\) in \d+ ms/);
	await context.close();
}, 45_000);
