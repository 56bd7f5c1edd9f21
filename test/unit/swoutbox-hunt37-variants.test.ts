/** The service worker's outbox (the thirty-seventh hunt): leads that held, kept as regression tests. */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler, type FetchEventLike } from '../../src/entries/sw.js';
import { fetchEvent } from '../helpers/fetch-event.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakeOrigin } from './breaker-kit.js';

/** Bytes as text one to one (windows-1252: any byte but 0x80–0x9f is its own code point). */
const latin1 = (buffer: ArrayBuffer): string => new TextDecoder('latin1').decode(buffer);

describe('API.md "Files": a page\'s multipart write the worker queued', () => {
	it('is replayed byte-identical to the worker\'s first attempt (Content-Type, boundary, bytes), with the page\'s Idempotency-Key', async () => {
		const name = `h37-swoutbox-${crypto.randomUUID()}`;
		const seen: string[][] = [];
		let down = true;
		const origin = async (request: Request): Promise<Response> => {
			seen.push([request.headers.get('content-type') ?? '', request.headers.get('idempotency-key') ?? '', latin1(await request.arrayBuffer())]);
			if (down) {
				throw new TypeError('Failed to fetch');
			}

			return new Response('{}', { status: 201 });
		};
		const worker = createClient({ name, store: () => memoryStore(name), fetch: origin as typeof fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
		try {
			const form = new FormData();
			form.append('title', 'héllo');
			form.append('file', new File([new Uint8Array([0, 255, 200, 10, 13])], 'a b.bin', { type: 'application/x-thing' }));
			const page = new Request('https://api.test/upload', { method: 'POST', body: form, headers: { 'idempotency-key': 'page-key-1' } });
			const event = fetchEvent(page.url, { method: 'POST', body: await page.arrayBuffer(), headers: page.headers });
			fetchHandler(worker, { match: () => true })(event as never);
			const status = (await event.answered.response!).status;
			down = false;
			const flushed = await worker.outbox.flush();
			const [first, replay] = seen;
			expect([status, flushed.sent, seen.length, replay, first![0]!.startsWith('multipart/form-data; boundary='), first![1]]).toEqual([202, 1, 2, first, true, 'page-key-1']);
			expect(first![2]).toContain('filename="a b.bin"\r\nContent-Type: application/x-thing\r\n\r\n\x00\xff\xc8\n\r\r\n');
		} finally {
			worker.close();
		}
	});
});

describe('a worker restarted mid-flush (a new client over the same store)', () => {
	it.each([['the old one closed', true], ['the old one still running', false]])('%s: each write reaches the origin once more, none lost, none doubled', async (_case, closed) => {
		const name = `h37-swoutbox-${crypto.randomUUID()}`;
		const server = new FakeOrigin();
		server.down();
		const store = memoryStore(name);
		const made = () => createClient({ name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const old = made();
		let fresh: ReturnType<typeof made> | undefined;
		try {
			for (const path of ['/a', '/b', '/c']) {
				await old.post(`https://api.test${path}`, { json: {} }).catch(() => undefined);
			}

			const before = server.requests.length;
			server.hang();
			const first = old.outbox.flush().catch(() => undefined);
			await waitFor(() => server.pending.length === 1, 'the old worker\'s replay to reach the origin');
			if (closed) {
				old.close();
			}

			fresh = made();
			server.up();
			const second = fresh.outbox.flush();
			server.settleAll(new Response('{}', { status: 200 }));
			await Promise.all([first, second]);
			// An attempt the closed worker aborted reached no one: sent again by the new one.
			const answered = server.requests.slice(before).filter((request) => !request.signal.aborted).map((request) => new URL(request.url).pathname);
			expect([answered.toSorted(), await fresh.outbox.size(), (await fresh.outbox.deadLetters()).length]).toEqual([['/a', '/b', '/c'], 0, 0]);
		} finally {
			old.close();
			fresh?.close();
		}
	});
});

describe('API.md "Every tab learns of a write": a page write the worker queued (202), then delivered', () => {
	it('a page client of the worker\'s name is told once, when the worker delivers it; the 202 is no delivery', async () => {
		const name = `h37-swoutbox-${crypto.randomUUID()}`;
		const server = new FakeOrigin();
		server.down();
		const worker = createClient({ name, store: () => memoryStore(name), fetch: server.fetch as typeof fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const handle = fetchHandler(worker, { match: () => true });
		const viaWorker = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
			let answer!: Promise<Response>;
			handle({ request: new Request(input, init), respondWith: (response) => {
				answer = Promise.resolve(response);
			} } satisfies FetchEventLike);
			return answer;
		};
		const page = createClient({ name, store: () => memoryStore(`${name}-page`), fetch: viaWorker as typeof fetch, retry: 0, breaker: false, staleCache: false, outbox: false });
		const told: string[] = [];
		page.on('write:delivered', ({ method, url }) => told.push(`${method} ${new URL(url).pathname}`));
		try {
			const status = (await page.post('https://api.test/todos', { json: { title: 'a' } })).status;
			const before = [...told];
			server.up();
			await worker.outbox.flush();
			await waitFor(() => told.length > 0, 'the delivery to be told');
			await page.post('https://api.test/other', { json: {} }); // Told after the one before it: no second telling came meanwhile.
			expect([status, before, told]).toEqual([202, [], ['POST /todos', 'POST /other']]);
		} finally {
			page.close();
			worker.close();
		}
	});
});

describe('a page client of the worker\'s name, with an outbox of its own (README "A form that works offline" with the service worker)', () => {
	it('takes the worker\'s 202 for a write it queued as no answer of the origin: no replay of it through the worker, whose entry keeps the id the page was told', async () => {
		const name = `h37-swoutbox-${crypto.randomUUID()}`;
		const server = new FakeOrigin();
		server.down();
		const store = memoryStore(name); // The origin's one IndexedDB, the page's and the worker's.
		const worker = createClient({ name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const handle = fetchHandler(worker, { match: () => true });
		const viaWorker = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
			let answer!: Promise<Response>;
			handle({ request: new Request(input, init), respondWith: (response) => {
				answer = Promise.resolve(response);
			} } satisfies FetchEventLike);
			return answer;
		};
		const page = createClient({ name, store: () => store, fetch: viaWorker as typeof fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }) });
		const sent: string[] = [];
		page.on('outbox:sent', ({ entryId }) => sent.push(`page ${entryId}`));
		worker.on('outbox:sent', ({ entryId }) => sent.push(`worker ${entryId}`));
		try {
			const told = (await page.post('https://api.test/todos', { json: { title: 'a' } })).headers.get('steadfetch-outbox-entry');
			await waitFor(async () => (await page.outbox.size()) === 1, 'the page to see the worker\'s entry');
			server.up();
			await worker.outbox.flush();
			expect([sent, server.requests.map((request) => request.method)]).toEqual([[`worker ${told}`], ['POST', 'POST']]);
		} finally {
			page.close();
			worker.close();
		}
	});
});
