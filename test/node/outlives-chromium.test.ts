/**
 * Work that outlives its caller, in real Chromium with IndexedDB (API.md "Work that outlives its
 * caller"): a read answered stale at its deadline whose request then gets its late answer, and a
 * write told "queued" whose first attempt then fails, after a logout (`clear()`) or a `discard(id)`
 * — in the same tab, and in another tab of the same name. Nothing is handed to the next user: the
 * late answer is never stored (IndexedDB is read to prove it) nor served, the write never written
 * back nor sent again. Against the built library (dist/browser): `npm run build` first.
 */
import type { Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { dumpIndexedDb, launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';

import type { OutboxMembers } from '../../src/outbox/types.js';
import { until } from '../helpers/wait-for.js';

type Lib = typeof import('../../src/entries/index.js');
type Scope = typeof globalThis & { steadfetch: Lib; api: ReturnType<Lib['createClient']> & OutboxMembers; answered: number; stored: string[] };

/** A request the origin got: method, path, and how to answer it while held. */
interface Seen {
	method: string;
	path: string;
	answer?: (status: number) => void;
}

let chromium: Chromium;
let pages: PageServer;
let origin: RunningServer;
/** `hang`: every request is held until answered; `up`: answered at once; `down`: a 503 at once. */
let mode: 'up' | 'hang' | 'down' = 'up';
let version = 1;
const seen: Seen[] = [];
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': '*', 'access-control-expose-headers': '*' };

beforeAll(async () => {
	origin = await serve(async (request) => {
		if (request.method === 'OPTIONS') {
			return new Response(null, { status: 204, headers: cors });
		}

		const write: Seen = { method: request.method, path: new URL(request.url).pathname };
		seen.push(write);
		const status = mode === 'hang' ? await new Promise<number>((answer) => {
			write.answer = answer;
		}) : mode === 'down' ? 503 : request.method === 'GET' ? 200 : 201;
		// `no-transform` has no effect on caching (a URL is still copied at most once a second).
		return Response.json({ v: version, path: write.path, secret: `${write.path}@v${version}` }, { status, headers: { ...cors, 'cache-control': 'no-transform' } });
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

/** The page's client (the preset, IndexedDB): a 300 ms read deadline, no retries; `answered` counts the answers that reached it, `stored` the URLs copied. */
const boot = async (page: Page, name: string, outbox?: Record<string, unknown>) => page.evaluate(({ base, name, outbox }) => {
	const scope = globalThis as Scope;
	scope.answered = 0;
	scope.stored = [];
	scope.api = scope.steadfetch.createClient({
		baseUrl: `${base}/`, name, retry: 0, breaker: false, staleCache: { networkTimeoutMs: 300 },
		fetch: async (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init).finally(() => scope.answered++),
		...outbox && { outbox: scope.steadfetch.outbox(outbox) },
	}) as Scope['api'];
	scope.api.on('cache:stored', ({ url }) => scope.stored.push(new URL(url).pathname));
}, { base: origin.url, name, outbox });

/** A GET of `path` in the page: whether it was stale, and its body; or the error's code. */
const read = async (page: Page, path: string) => page.evaluate(async (path) => {
	const scope = globalThis as Scope;
	try {
		const response = await scope.api.get(path);
		return { stale: scope.steadfetch.isStale(response), body: await response.json() as { v: number } };
	} catch (error) {
		return { error: (error as { code?: string }).code ?? String(error) };
	}
}, path);

const answered = async (page: Page) => page.evaluate(() => (globalThis as Scope).answered);
const stored = async (page: Page) => page.evaluate(() => (globalThis as Scope).stored);

/**
 * `path` copied (v1) in `page`, then read again with the origin hanging: answered stale at 300 ms,
 * its request held by the origin. Returns how many answers the page had got then.
 */
const slowRead = async (page: Page, path: string): Promise<number> => {
	expect(await read(page, path)).toMatchObject({ stale: false, body: { v: 1 } });
	await until(async () => (await stored(page)).includes(`/${path}`));
	mode = 'hang';
	expect(await read(page, path)).toMatchObject({ stale: true, body: { v: 1 } });
	await until(() => seen.some((request) => request.path === `/${path}` && request.answer));
	return answered(page);
};

/** The held request of `path` gets its late answer (v2); once the page has it, a read of another path is copied (the write-behind queue moved past it). */
const lateAnswer = async (page: Page, path: string, before: number): Promise<void> => {
	version = 2;
	mode = 'up';
	seen.find((request) => request.path === `/${path}` && request.answer)!.answer!(200);
	await until(async () => await answered(page) > before);
	expect(await read(page, `${path}-after`)).toMatchObject({ stale: false });
	await until(async () => (await stored(page)).includes(`/${path}-after`));
};

describe('work that outlives its caller, in Chromium', () => {
	it('logout (clear()) during a slow read: the late answer is never stored in IndexedDB, and the next user, the origin down, is not served it', async () => {
		const context = await chromium.context();
		const page = await openPage(context, pages);
		await boot(page, 'outlives-read');
		const before = await slowRead(page, 'profile');
		await page.evaluate(async () => (globalThis as Scope).api.clear());
		await lateAnswer(page, 'profile', before);
		expect(await dumpIndexedDb(page)).not.toContain('/profile@v2');
		expect((await stored(page)).filter((path) => path === '/profile')).toHaveLength(1); // The first copy only.
		mode = 'down';
		expect(await read(page, 'profile')).toMatchObject({ error: expect.stringMatching(/503/) as string });
		await context.close();
	}, 60_000);

	it('two tabs: one tab logs out (clear()) while the other tab\'s slow read is in flight: its late answer is not stored, nor served to the next user in either tab', async () => {
		const context = await chromium.context();
		const [first, second] = [await openPage(context, pages), await openPage(context, pages)];
		await boot(first, 'outlives-tabs');
		await boot(second, 'outlives-tabs');
		const before = await slowRead(first, 'account');
		await second.evaluate(async () => (globalThis as Scope).api.clear());
		await lateAnswer(first, 'account', before);
		expect(await dumpIndexedDb(first)).not.toContain('/account@v2');
		mode = 'down';
		expect(await read(second, 'account')).toMatchObject({ error: expect.stringMatching(/503/) as string });
		expect(await read(first, 'account')).toMatchObject({ error: expect.stringMatching(/503/) as string });
		await context.close();
	}, 60_000);

	for (const [how, where] of [['discard(id)', 'same tab'], ['clear()', 'same tab'], ['clear()', 'another tab']] as const) {
		it(`${how} in the ${where} while a queued write's first attempt is in flight: when it fails, nothing is written back to IndexedDB nor sent again`, async () => {
			const context = await chromium.context();
			const [first, second] = [await openPage(context, pages), await openPage(context, pages)];
			const options = { networkTimeoutMs: 300, baseBackoffMs: 100 };
			await boot(first, `outlives-write-${how}-${where}`, options);
			await boot(second, `outlives-write-${how}-${where}`, options);
			mode = 'hang';
			const id = await first.evaluate(async () => (globalThis as Scope).api.post('orders', { json: { note: 'private' } }).then(() => undefined, (error: { entryId?: string }) => error.entryId));
			expect(id).toEqual(expect.any(String));
			await until(() => seen.some((request) => request.method === 'POST' && request.answer));
			const remover = where === 'same tab' ? first : second;
			await remover.evaluate(async ({ how, id }) => {
				const { api } = globalThis as Scope;
				await (how === 'discard(id)' ? api.outbox.discard(id!) : api.clear());
			}, { how, id });
			const before = await answered(first);
			mode = 'up';
			seen.find((request) => request.method === 'POST')!.answer!(503);
			await until(async () => await answered(first) > before);
			// A write queued after it, in the same tab, is stored and sent: the outbox moved past the failed attempt.
			mode = 'hang';
			await first.evaluate(async () => (globalThis as Scope).api.post('later', { json: {} }).catch(() => undefined));
			expect(await first.evaluate(async () => (await (globalThis as Scope).api.outbox.list()).map((entry) => new URL(entry.url).pathname))).toEqual(['/later']);
			expect(await dumpIndexedDb(first)).not.toContain('/orders');
			mode = 'up';
			for (const page of [first, second]) {
				await page.evaluate(async () => (globalThis as Scope).api.outbox.flush());
			}

			expect(seen.filter((request) => request.path === '/orders')).toHaveLength(1);
			await context.close();
		}, 60_000);
	}
});
