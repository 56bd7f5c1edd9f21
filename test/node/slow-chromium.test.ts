/**
 * Slow networks in real Chromium (issue 35, "Measured"): an origin that accepts requests and never
 * answers. Reads with the preset's defaults and a stored copy (IndexedDB): the time to the stale
 * answer, page after page (each load a new client, as an app starts), and the copy refreshed once the
 * origin recovers. Writes with `outbox({ networkTimeoutMs: 1000 })`: the time to `OutboxQueuedError`
 * and the requests the origin saw; two tabs: no replay while the first attempt is in flight. The
 * figures are printed. Against the built library (dist/browser): `npm run build` first.
 */
import type { Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';

import type { OutboxMembers } from '../../src/outbox/types.js';
import { until } from '../helpers/wait-for.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib; api: ReturnType<Lib['createClient']> & OutboxMembers; events: Array<{ type: string; early: boolean | undefined }> };

/** A request the origin got: method, path, Idempotency-Key, and how to answer it while held. */
interface Seen {
	method: string;
	path: string;
	key: string | null;
	answer?: (status: number) => void;
}

let chromium: Chromium;
let pages: PageServer;
let origin: RunningServer;
/** `hang`: every request is held until answered; `up`: answered at once. */
let mode: 'up' | 'hang' = 'up';
let version = 1;
const seen: Seen[] = [];
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': '*', 'access-control-expose-headers': '*' };

beforeAll(async () => {
	origin = await serve(async (request) => {
		if (request.method === 'OPTIONS') {
			return new Response(null, { status: 204, headers: cors });
		}

		const write: Seen = { method: request.method, path: new URL(request.url).pathname, key: request.headers.get('idempotency-key') };
		seen.push(write);
		const status = mode === 'hang' ? await new Promise<number>((answer) => {
			write.answer = answer;
		}) : request.method === 'GET' ? 200 : 201;
		return Response.json({ v: version, path: write.path }, { status, headers: cors });
	});
	[chromium, pages] = await Promise.all([launchChromium(), startPageServer()]);
}, 60_000);

afterAll(async () => {
	await Promise.all([chromium?.close(), pages?.close()]);
	await origin?.close();
});

afterEach(() => {
	mode = 'up';
	version = 1;
	for (const write of seen.splice(0)) {
		write.answer?.(503);
	}
});

const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
};

/** The page's client, as an app makes it at load: the preset's defaults (plus `outbox` when given), events recorded. */
const boot = async (page: Page, name: string, outbox?: Record<string, unknown>, options: Record<string, unknown> = {}) => page.evaluate(({ base, name, outbox, options }) => {
	const scope = globalThis as Scope;
	scope.events = [];
	scope.api = scope.steadfetch.createClient({ baseUrl: `${base}/`, name, ...options, ...outbox && { outbox: scope.steadfetch.outbox(outbox) } }) as Scope['api'];
	for (const type of ['cache:stored', 'cache:stale', 'outbox:queued', 'outbox:sent', 'outbox:retry'] as const) {
		scope.api.on(type, (event) => scope.events.push({ type, early: (event as { early?: boolean }).early }));
	}
}, { base: origin.url, name, outbox, options });

/** A GET of `path` in the page: how long it took (ms), whether it was stale and why, and the body. */
const read = async (page: Page, path: string) => page.evaluate(async (path) => {
	const scope = globalThis as Scope;
	const start = performance.now();
	const response = await scope.api.get(path);
	return { ms: performance.now() - start, stale: scope.steadfetch.isStale(response), detail: response.headers.get('cache-status'), body: await response.json() as { v: number } };
}, path);

/** A POST in the page: how long until it settled (ms), and its status or error code. */
const write = async (page: Page, path: string) => page.evaluate(async (path) => {
	const scope = globalThis as Scope;
	const start = performance.now();
	const outcome = await scope.api.post(path, { json: { item: 'tea' } }).then((response) => String(response.status), (error: { code?: string }) => error.code ?? String(error));
	return { ms: performance.now() - start, outcome };
}, path);

const eventsOf = async (page: Page, type: string) => (await page.evaluate(() => (globalThis as Scope).events)).filter((event) => event.type === type);

describe('slow networks in Chromium', () => {
	it('reads, the preset\'s defaults: a stored copy answers a hanging origin within 3.5 s (median of 10 page loads); once the origin recovers the copy is refreshed', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await boot(page, 'slow-reads');
		expect(await read(page, 'item')).toMatchObject({ stale: false, body: { v: 1 } });
		await until(async () => (await eventsOf(page, 'cache:stored')).length === 1);
		mode = 'hang';
		const times: number[] = [];
		for (let index = 0; index < 10; index++) {
			// Each load a new client with the copy in IndexedDB, as an app starts; the previous load's request dies with it.
			await page.reload();
			await page.waitForFunction(() => 'steadfetch' in globalThis);
			await boot(page, 'slow-reads');
			const answer = await read(page, 'item');
			expect(answer).toMatchObject({ stale: true, detail: expect.stringMatching(/detail=slow$/) as string, body: { v: 1 } });
			times.push(answer.ms);
		}

		console.info(`[measured] stale answer with the preset's defaults, origin hanging: median ${median(times).toFixed(0)} ms of 10 (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
		expect(median(times)).toBeGreaterThanOrEqual(2900);
		expect(median(times)).toBeLessThanOrEqual(3500);

		// The origin recovers: the request still in flight is answered, and its answer replaces the copy.
		const stored = (await eventsOf(page, 'cache:stored')).length;
		version = 2;
		mode = 'up';
		for (const each of seen.filter((request) => request.answer)) {
			each.answer!(200);
		}

		await until(async () => (await eventsOf(page, 'cache:stored')).length === stored + 1);
		mode = 'hang';
		expect(await read(page, 'item')).toMatchObject({ stale: true, body: { v: 2 } });
		console.info('[measured] after the origin recovered, the next read (origin hanging again) got the refreshed copy (v2)');
		await context.close();
	}, 120_000);

	it('writes, outbox({ networkTimeoutMs: 1000 }): OutboxQueuedError after ~1 s, the attempt goes on, and the origin sees exactly one request when it succeeds', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await boot(page, 'slow-writes', { networkTimeoutMs: 1000 });
		mode = 'hang';
		const times: number[] = [];
		for (let index = 0; index < 10; index++) {
			const before = seen.length;
			const { ms, outcome } = await write(page, 'orders');
			expect(outcome).toBe('QUEUED');
			times.push(ms);
			expect(seen.length).toBe(before + 1);
			seen.at(-1)!.answer!(201); // The origin answers the attempt still in flight.
			await until(async () => (await eventsOf(page, 'outbox:sent')).length === index + 1);
		}

		expect((await eventsOf(page, 'outbox:sent')).every((event) => event.early)).toBe(true);
		expect(await page.evaluate(async () => (globalThis as Scope).api.outbox.size())).toBe(0);
		await page.evaluate(async () => (globalThis as Scope).api.outbox.flush());
		const posts = seen.filter((request) => request.method === 'POST');
		console.info(`[measured] queued write, networkTimeoutMs 1000, origin hanging: median ${median(times).toFixed(0)} ms of 10 to OutboxQueuedError; the origin saw ${posts.length} POSTs for 10 writes (${new Set(posts.map((request) => request.key)).size} keys)`);
		expect(median(times)).toBeGreaterThanOrEqual(950);
		expect(median(times)).toBeLessThanOrEqual(1500);
		expect(posts).toHaveLength(10);
		expect(new Set(posts.map((request) => request.key)).size).toBe(10);
		await context.close();
	}, 120_000);

	it('two tabs: no replay of the entry starts in the other tab while its first attempt is in flight; after it failed, one replay with the same key', async () => {
		const context = await chromium.context();
		const [first, second] = [await openPage(context, pages), await openPage(context, pages)];
		// No retries of ky's: the first attempt's failure is the end of it.
		await boot(first, 'slow-tabs', { networkTimeoutMs: 300, baseBackoffMs: 100 }, { retry: 0 });
		await boot(second, 'slow-tabs', { networkTimeoutMs: 300, baseBackoffMs: 100 }, { retry: 0 });
		mode = 'hang';
		expect((await write(first, 'orders')).outcome).toBe('QUEUED');
		expect(await second.evaluate(async () => (globalThis as Scope).api.outbox.flush())).toMatchObject({ sent: 0, remaining: 1 });
		expect(await first.evaluate(async () => (globalThis as Scope).api.outbox.flush())).toMatchObject({ sent: 0, remaining: 1 });
		expect(seen.filter((request) => request.method === 'POST')).toHaveLength(1);
		mode = 'up';
		seen[0]!.answer!(503);
		await until(async () => (await eventsOf(first, 'outbox:retry')).length === 1);
		await second.evaluate(async () => (globalThis as Scope).api.outbox.flush());
		await until(async () => second.evaluate(async () => (await (globalThis as Scope).api.outbox.size()) === 0));
		const posts = seen.filter((request) => request.method === 'POST');
		expect(posts.map((request) => request.key)).toEqual([posts[0]!.key, posts[0]!.key]);
		await context.close();
	}, 60_000);
});
