/**
 * Writes that depend on earlier writes (API.md "Offline writes for real apps", issue 46 part B) in
 * real Chromium with the built package: a chain of 20 writes made offline in one tab, each holding
 * `outbox.ref()` placeholders of the one before (its URL and `json` body), survives a reload and is
 * delivered once the API is back — in order, each once, each with the id the server gave its parent —
 * by whichever of two tabs drains it. The API is a loopback todo server that refuses connections
 * while down (the same port when it comes back).
 */
import type { BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, startPageServer, type Chromium, type PageServer } from '../helpers/pages.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { waitFor } from '../helpers/wait-for.js';

const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': '*', 'access-control-expose-headers': '*' };
/** Every write the server applied, in order: its path, parsed body, Idempotency-Key and the id it gave. */
const applied: Array<{ path: string; body: Record<string, unknown>; key: string; id: number }> = [];
let duplicates = 0;
let nextId = 1000;
const handler = async (request: Request): Promise<Response> => {
	if (request.method === 'OPTIONS') {
		return new Response(null, { status: 204, headers: cors });
	}

	const key = request.headers.get('idempotency-key') ?? '';
	const earlier = applied.find((each) => each.key === key);
	if (earlier) {
		duplicates++;
		return Response.json({ id: earlier.id }, { status: 201, headers: cors });
	}

	const id = nextId++;
	applied.push({ path: new URL(request.url).pathname, body: JSON.parse(await request.text() || '{}') as Record<string, unknown>, key, id });
	return Response.json({ id }, { status: 201, headers: cors });
};

let chromium: Chromium;
let pages: PageServer;
let running: RunningServer | undefined;
let port = 0;
let context: BrowserContext;

beforeAll(async () => {
	[chromium, pages, running] = await Promise.all([launchChromium(), startPageServer(), serve(handler)]);
	port = Number(new URL(running.url).port);
});

afterAll(async () => {
	await context?.close();
	await Promise.all([chromium?.close(), pages?.close(), running?.close()]);
});

type Steadfetch = typeof import('../../src/entries/index.js');

/** A client named 'refs' with an outbox in the page (`globalThis.w`). */
const client = async (page: Page): Promise<void> => page.evaluate((base) => {
	const { createClient, outbox } = (globalThis as unknown as { steadfetch: Steadfetch }).steadfetch;
	(globalThis as unknown as { w: unknown }).w = createClient({ name: 'refs', baseUrl: `${base}/`, retry: 0, breaker: false, outbox: outbox({ resumeJitterMs: 0 }) });
}, `http://127.0.0.1:${port}`);

describe('outbox.ref() in Chromium', () => {
	it('a chain of 20 dependent writes made offline survives a reload and is delivered in order, once each, with the server\'s ids, by either tab', async () => {
		context = await chromium.context();
		const [a, b] = [await openPage(context, pages), await openPage(context, pages)];
		await running!.close(); // The API is down: connections refused.
		running = undefined;
		await client(a);
		const queued = await a.evaluate(async () => {
			type Api = import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }>;
			const api = (globalThis as unknown as { w: Api }).w;
			const ids: string[] = [];
			const waiting: string[] = [];
			api.on('outbox:waiting', ({ entryId }) => waiting.push(entryId));
			let made = await api.post('todos', { json: { n: 0 } }).catch((error: { entryId?: string }) => error);
			for (let n = 0; n < 20; n++) {
				const { entryId } = made as { entryId?: string };
				if (!entryId) {
					throw new Error(`write ${n} was not queued: ${String(made)}`);
				}

				ids.push(entryId);
				if (n < 19) {
					const parent = api.outbox.ref(entryId, '/id');
					made = await api.post(`todos/${parent}/children`, { json: { n: n + 1, parent } }).catch((error: { entryId?: string }) => error);
				}
			}

			const entries = await api.outbox.list();
			return { ids, waiting, dependsOn: entries.map((entry) => entry.dependsOn ?? []) };
		});
		expect(queued.ids).toHaveLength(20);
		expect(queued.waiting).toEqual(queued.ids.slice(1));
		expect(queued.dependsOn).toEqual([[], ...queued.ids.slice(0, 19).map((id) => [id])]);
		expect(applied).toEqual([]);

		await a.reload();
		await a.waitForFunction(() => 'steadfetch' in globalThis);
		await client(b); // The other tab: started while the API is still down.
		const start = Date.now();
		running = await serve(handler, port);
		await client(a); // The reloaded tab's client: its start makes every entry due.
		await waitFor(() => applied.length >= 20, 'the chain delivered', 60_000);
		const ms = Date.now() - start;
		console.log(`[outbox-refs-chromium] 20 dependent writes delivered ${ms} ms after the API came back`);
		await waitFor(async () => (await b.evaluate(async () => (globalThis as unknown as { w: { outbox: { size(): Promise<number> } } }).w.outbox.size())) === 0, 'the outbox empty', 30_000); // As outbox-files-chromium: 10 s was short for the removals under load.

		expect(applied.map((each) => each.body['n'])).toEqual(Array.from({ length: 20 }, (_, n) => n));
		expect(applied[0]!.path).toBe('/todos');
		for (let n = 1; n < 20; n++) {
			expect(applied[n]!.path).toBe(`/todos/${applied[n - 1]!.id}/children`);
			expect(applied[n]!.body['parent']).toBe(applied[n - 1]!.id);
		}

		expect(new Set(applied.map((each) => each.key)).size).toBe(20);
		expect(duplicates).toBe(0);
		expect(await b.evaluate(async () => (globalThis as unknown as { w: { outbox: { deadLetters(): Promise<unknown[]> } } }).w.outbox.deadLetters())).toEqual([]);
	}, 120_000);

	it('a ref() taken while the entry was pending, first used after the other tab delivered it: the value was kept (recorded with the stored entry), the call goes out with it', async () => {
		const tabs = await chromium.context();
		const [a, b] = [await openPage(tabs, pages), await openPage(tabs, pages)];
		await running!.close();
		running = undefined;
		const named = async (page: Page): Promise<void> => page.evaluate((base) => {
			const { createClient, outbox } = (globalThis as unknown as { steadfetch: Steadfetch }).steadfetch;
			(globalThis as unknown as { w: unknown }).w = createClient({ name: 'refs-late', baseUrl: `${base}/`, retry: 0, breaker: false, outbox: outbox({ resumeJitterMs: 0 }) });
		}, `http://127.0.0.1:${port}`);
		await named(a);
		await named(b);
		const { entry, placeholder } = await a.evaluate(async () => {
			type Api = import('../../src/entries/index.js').Client<{ outbox: import('../../src/entries/index.js').OutboxPolicy }>;
			const api = (globalThis as unknown as { w: Api }).w;
			const made = await api.post('todos', { json: { late: true } }).catch((error: { entryId?: string }) => error) as { entryId: string };
			const placeholder = api.outbox.ref(made.entryId, '/id'); // The app shows the todo under it; no call holds it yet.
			// Its recording with the stored entry holds the entry's lock (requested within ref()): granted after it.
			await navigator.locks.request(`steadfetch:refs-late/outbox#${made.entryId}`, async () => undefined);
			return { entry: made.entryId, placeholder };
		});
		expect(entry).toEqual(expect.any(String));
		running = await serve(handler, port);
		await b.evaluate(async () => (globalThis as unknown as { w: { outbox: { flush(): Promise<unknown> } } }).w.outbox.flush());
		await waitFor(async () => (await a.evaluate(async () => (globalThis as unknown as { w: { outbox: { size(): Promise<number> } } }).w.outbox.size())) === 0, 'the entry delivered', 10_000);
		const made = applied.find((each) => each.body['late'] === true)!;
		const status = await a.evaluate(async (id) => {
			const api = (globalThis as unknown as { w: { patch(url: string, options: object): Promise<Response> } }).w;
			return api.patch(`todos/${id}`, { json: { done: true, id } }).then((response) => response.status, (error: Error) => error.name);
		}, placeholder);
		expect(status).toBe(201); // Before: InvalidRequestError (its value at /id not kept).
		expect(applied.at(-1)).toMatchObject({ path: `/todos/${made.id}`, body: { done: true, id: made.id } });
		await tabs.close();
	}, 60_000);
});
