/**
 * Defect hunt, fifteenth round: fetchHandler and request bodies. Each test names the claim it holds
 * the code to (API.md, the README, the TSDoc).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { waitFor } from '../helpers/wait-for.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

/** A client whose every attempt fails as a dropped connection does: a write the outbox takes is stored. */
const failing = (options: Parameters<typeof outbox>[0] = {}, sent: Request[] = []) => createClient({
	name: `h15-${Math.random()}`, store: () => memoryStore(`h15-${Math.random()}`), retry: 0, retryBudget: false, breaker: false, staleCache: false,
	outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000, ...options }),
	fetch: async (input: Parameters<typeof fetch>[0]) => {
		sent.push(input as Request);
		await (input as Request).arrayBuffer(); // As a fetch that sends the body and then loses the connection.
		throw new TypeError('fetch failed');
	},
});

const outcome = async (promise: Promise<unknown>): Promise<string> => {
	try {
		await promise;
		return 'resolved';
	} catch (error) {
		return error instanceof OutboxFullError ? `OUTBOX_FULL:${error.reason}:${/outbox\.(\w+)/.exec(error.message)?.[1]}` : error instanceof OutboxQueuedError ? 'QUEUED' : String(error);
	}
};

describe('a Request input\'s body is bounded as the same body given as `body` (API.md Offline writes for real apps: maxBodyBytes bounds text and JSON, maxFileBytes a Blob, File, ArrayBuffer or typed array body, a FormData\'s files)', () => {
	const url = 'https://api.example/upload';
	const bytes = (n: number) => new Uint8Array(n).fill(7);
	const file = (n: number) => new File([bytes(n)], 'photo.jpg', { type: 'image/jpeg' });
	const form = (n: number) => {
		const data = new FormData();
		data.append('t', 'x');
		data.append('f', file(n));
		return data;
	};
	// Each with the type a Request tells (a Blob's, a File's, a FormData's; bytes sent as `application/octet-stream`).
	const octets = { 'content-type': 'application/octet-stream' };
	const bodies: Array<[string, (n: number) => BodyInit, HeadersInit] | [string, (n: number) => BodyInit]> = [
		['typed Blob', (n) => new Blob([bytes(n)], { type: 'image/png' })],
		['File', file],
		['Blob sent as octets', (n) => new Blob([bytes(n)]), octets],
		['ArrayBuffer sent as octets', (n) => bytes(n).buffer, octets],
		['Uint8Array sent as a PDF', bytes, { 'content-type': 'application/pdf' }],
		['DataView sent as octets', (n) => new DataView(bytes(n).buffer), octets],
		['FormData with a File', form],
	];

	it('a binary body in a Request under maxFileBytes (over maxBodyBytes) is queued, as `body` is; over maxFileBytes both are OutboxFullError naming maxFileBytes', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			const seen: string[][] = [];
			for (const [kind, make, headers = {}] of bodies) {
				seen.push([kind,
					await outcome(api.post(url, { body: make(1_000), headers })),
					await outcome(api.post(new Request(url, { method: 'POST', body: make(1_000), headers }))),
					await outcome(api.post(url, { body: make(5_000), headers })),
					await outcome(api.post(new Request(url, { method: 'POST', body: make(5_000), headers })))]);
			}

			expect(seen).toEqual(bodies.map(([kind]) => [kind, 'QUEUED', 'QUEUED', 'OUTBOX_FULL:size:maxFileBytes', 'OUTBOX_FULL:size:maxFileBytes']));
			const stored = await api.outbox.list();
			expect(stored.map((entry) => entry.bodyBytes >= 1_000)).toEqual(bodies.flatMap(() => [true, true]));
		} finally {
			api.close();
		}
	});

	it('a Request whose body tells no type (a stream, untyped bytes: not told apart) is still read as text, bounded by maxBodyBytes', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			expect([await outcome(api.post(new Request(url, { method: 'POST', body: bytes(1_000) }))), await outcome(api.post(new Request(url, { method: 'POST', body: bytes(200) })))])
				.toEqual(['OUTBOX_FULL:size:maxBodyBytes', 'QUEUED']);
		} finally {
			api.close();
		}
	});

	it('a text body in a Request stays bounded by maxBodyBytes (a string, URLSearchParams, JSON text), as `body` is', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			const text = 'a'.repeat(1_000);
			const seen = [
				await outcome(api.post(new Request(url, { method: 'POST', body: text }))),
				await outcome(api.post(new Request(url, { method: 'POST', body: new URLSearchParams({ a: text }) }))),
				await outcome(api.post(new Request(url, { method: 'POST', body: JSON.stringify({ a: text }), headers: { 'content-type': 'application/json' } }))),
				await outcome(api.post(new Request(url, { method: 'POST', body: 'short' }))),
			];
			expect(seen).toEqual(['OUTBOX_FULL:size:maxBodyBytes', 'OUTBOX_FULL:size:maxBodyBytes', 'OUTBOX_FULL:size:maxBodyBytes', 'QUEUED']);
		} finally {
			api.close();
		}
	});

	it('a FormData in a Request whose text fields are over maxBodyBytes is refused naming maxBodyBytes, as `body: formData` is', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			const data = () => {
				const made = new FormData();
				made.append('t', 'a'.repeat(1_000));
				made.append('f', file(10));
				return made;
			};
			expect([await outcome(api.post(url, { body: data() })), await outcome(api.post(new Request(url, { method: 'POST', body: data() })))])
				.toEqual(['OUTBOX_FULL:size:maxBodyBytes', 'OUTBOX_FULL:size:maxBodyBytes']);
		} finally {
			api.close();
		}
	});
});

describe('a FormData body refused before any I/O leaves a Node process running (API.md Errors: CircuitOpenError "no network I/O happened"; every call settles with an answer, a stale copy or a typed error)', () => {
	const root = join(import.meta.dirname, '../..');
	const run = (setup: string, call: string): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--input-type=module', '-e', `
		import { createClient, memoryStore } from ${JSON.stringify(join(root, 'dist/index.js'))};
		import { createClient as createCore } from ${JSON.stringify(join(root, 'dist/core.js'))};
		const form = () => { const data = new FormData(); data.append('t', 'x'); data.append('f', new File([new Uint8Array(100)], 'p.jpg', { type: 'image/jpeg' })); return data; };
		const url = 'http://127.0.0.1:9/upload'; // Port 9 (discard): nothing may reach it.
		${setup}
		const outcome = await ${call}.then(() => 'sent', (error) => error.name);
		// What Node's FormData serializer does after the call was answered must not end the process.
		await new Promise((resolve) => setTimeout(resolve, 300));
		console.log(outcome);
		process.exit(0);
	`], { cwd: root, encoding: 'utf8', timeout: 30_000 });
	const preset = `const api = createClient({ store: memoryStore, retry: 0 });`;

	it.each([
		['the breaker open (isolate)', `${preset} api.breaker.isolate(url);`, `api.post(url, { body: form() })`, 'CircuitOpenError'],
		['the breaker open, a Request carrying the FormData', `${preset} api.breaker.isolate(url);`, `api(new Request(url, { method: 'POST', body: form() }))`, 'CircuitOpenError'],
		['the caller\'s signal aborted already', preset, `api.post(url, { body: form(), signal: AbortSignal.abort() })`, 'AbortError'],
		['an app policy\'s layer refusing', `const api = createCore({ deny: { slot: 'deny', create: () => ({ layer: () => () => Promise.reject(new RangeError('denied')) }) } });`, `api.post(url, { body: form() })`, 'RangeError'],
		['a keyed PUT with retries, its first attempt refused', `${preset} api.breaker.isolate(url);`, `api.put(url, { body: form(), retry: { limit: 2 } })`, 'CircuitOpenError'],
	])('%s: the call rejects, the process exits 0', (_, setup, call, expected) => {
		const result = run(setup, call);
		expect([result.status, String(result.stdout).trim()], String(result.stderr)).toEqual([0, expected]);
	});
});

describe('fetchHandler: a page\'s write body is bounded as the worker\'s own call of it would be (API.md: maxBodyBytes bounds text and JSON bodies, maxFileBytes binary bytes; fetchHandler runs the page\'s request with its method, headers and body)', () => {
	it('a page\'s JSON, text or form over maxBodyBytes is not stored (503, OUTBOX_FULL), while its bytes of a binary type under maxFileBytes are (202); one within maxBodyBytes is queued with its bytes and type', async () => {
		const sent: Request[] = [];
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 }, sent);
		const handle = fetchHandler(api, { match: () => true });
		const url = 'https://app.example/api/items';
		const post = async (body: BodyInit, type: string): Promise<string> => {
			const write = event(url, { method: 'POST', body, headers: { 'content-type': type } });
			expect(handle(write)).toBe(true);
			const response = await write.answered.response!;
			return `${response.status} ${response.headers.get('steadfetch-error') ?? response.headers.get('steadfetch-outbox-entry')?.replace(/.+/, 'queued')}`;
		};

		try {
			const big = 'é'.repeat(500); // 1,000 bytes of UTF-8.
			const seen = [
				await post(JSON.stringify({ big }), 'application/json'),
				await post(big, 'text/plain;charset=UTF-8'),
				await post(new URLSearchParams({ big: 'a'.repeat(1_000) }), 'application/x-www-form-urlencoded;charset=UTF-8'),
				await post(JSON.stringify({ big }), 'application/merge-patch+json'),
				await post(new Uint8Array(1_000).fill(1), 'image/png'),
				await post(new Uint8Array(5_000).fill(1), 'application/octet-stream'),
				await post('\uFEFF{"small":"é"}', 'application/json'),
			];
			expect(seen).toEqual(['503 OUTBOX_FULL', '503 OUTBOX_FULL', '503 OUTBOX_FULL', '503 OUTBOX_FULL', '202 queued', '503 OUTBOX_FULL', '202 queued']);
			// The queued JSON keeps its bytes (its byte order mark too) and its type.
			const entry = (await api.outbox.list()).at(-1)!;
			expect([entry.headers['content-type'], entry.bodyBytes]).toEqual(['application/json', new TextEncoder().encode('\uFEFF{"small":"é"}').byteLength]);
		} finally {
			api.close();
		}
	});

	it('a page\'s text body that is no UTF-8 (a Latin-1 form) goes as the bytes it is, unchanged', async () => {
		const bodies: Uint8Array[] = [];
		const api = createClient({ name: `h15-${Math.random()}`, store: () => memoryStore(`h15-${Math.random()}`), retry: 0, breaker: false, staleCache: false,
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				bodies.push(new Uint8Array(await (input as Request).arrayBuffer()));
				return new Response('ok', { status: 201 });
			} });
		const handle = fetchHandler(api, { match: () => true });
		try {
			const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xE9]); // 'café' in ISO-8859-1: no UTF-8.
			const bom = new Uint8Array([0xEF, 0xBB, 0xBF, 0x7B, 0x7D]); // '{}' after a byte order mark.
			for (const body of [latin1, bom]) {
				const write = event('https://app.example/api/items', { method: 'POST', body, headers: { 'content-type': body === latin1 ? 'text/plain;charset=ISO-8859-1' : 'application/json' } });
				handle(write);
				expect((await write.answered.response!).status).toBe(201);
			}

			expect(bodies.map((body) => [...body])).toEqual([[0x63, 0x61, 0x66, 0xE9], [0xEF, 0xBB, 0xBF, 0x7B, 0x7D]]);
		} finally {
			api.close();
		}
	});
});

describe('a `fallback` answer to a write is no delivery (README: write:delivered "a write was delivered"; "A write the worker\'s client delivered carries Steadfetch-Delivered: <name>")', () => {
	it('fetchHandler\'s fallback answer to a page\'s write that never reached the origin does not say the worker delivered it', async () => {
		const name = `h15-${Math.random()}`;
		const api = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false, staleCache: false, fallback: { saved: false },
			fetch: async () => {
				throw new TypeError('fetch failed');
			} });
		const delivered: unknown[] = [];
		api.on('write:delivered', (e) => delivered.push(e));
		const handle = fetchHandler(api, { match: () => true });
		try {
			const write = event('https://app.example/api/items', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
			handle(write);
			const response = await write.answered.response!;
			expect([response.status, response.headers.get('cache-status'), response.headers.get('steadfetch-delivered'), delivered.length])
				.toEqual([200, 'steadfetch; fwd=miss; detail=fallback', null, 0]);
		} finally {
			api.close();
		}
	});

	it('a page\'s client given a service worker\'s fallback answer to its write tells no delivery and keeps its copies of the URL', async () => {
		const name = `h15-${Math.random()}`;
		let down = false;
		// The page's fetch, a service worker in front of it: a copy first, then the worker's fallback for the write.
		const page = createClient({ name, store: () => memoryStore(name), retry: 0, breaker: false,
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				const request = input as Request;
				if (request.method === 'GET') {
					return down ? new Response('down', { status: 503 }) : Response.json({ n: 1 });
				}

				return Response.json({ saved: false }, { headers: { 'cache-status': 'steadfetch; fwd=miss; detail=fallback' } });
			} });
		const told: string[] = [];
		page.on('write:delivered', (e) => told.push(`delivered ${e.method}`));
		page.on('cache:superseded', () => told.push('superseded'));
		try {
			const url = 'https://app.example/api/items';
			expect(await page.get(url).json()).toEqual({ n: 1 });
			await waitFor(async () => (await page.cache.list()).length === 1, 'the copy stored');
			const answer = await page.post(url, { json: { a: 1 } });
			expect(answer.status).toBe(200);
			down = true;
			// Its copy still answers the read (nothing was delivered that outdates it).
			expect([told, await page.get(url).json()]).toEqual([[], { n: 1 }]);
		} finally {
			page.close();
		}
	});
});

describe('fetchHandler: a page\'s FormData write is bounded as a FormData (API.md: maxFileBytes bounds a FormData\'s files, its text fields count toward maxBodyBytes)', () => {
	it('text fields over maxBodyBytes are not stored (503, OUTBOX_FULL); a file under maxFileBytes with little text is (202); over maxFileBytes is not', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		const handle = fetchHandler(api, { match: () => true });
		const post = async (text: number, file: number): Promise<string> => {
			const data = new FormData();
			data.append('note', 'a'.repeat(text));
			data.append('photo', new File([new Uint8Array(file).fill(3)], 'p.jpg', { type: 'image/jpeg' }));
			const write = event('https://app.example/api/photos', { method: 'POST', body: data });
			handle(write);
			const response = await write.answered.response!;
			return `${response.status} ${response.headers.get('steadfetch-error') ?? 'queued'}`;
		};

		try {
			expect([await post(1_000, 10), await post(10, 1_000), await post(10, 5_000)]).toEqual(['503 OUTBOX_FULL', '202 queued', '503 OUTBOX_FULL']);
		} finally {
			api.close();
		}
	});

	it('a page\'s FormData the worker delivers reaches the origin with its fields, file names, types and bytes', async () => {
		const got: unknown[] = [];
		// A client whose default Content-Type is JSON: the page's FormData still goes as multipart.
		const api = createClient({ name: `h15-${Math.random()}`, store: () => memoryStore(`h15-${Math.random()}`), retry: 0, breaker: false, staleCache: false,
			headers: { 'content-type': 'application/json', 'x-app': '1' },
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				expect([(input as Request).headers.get('content-type')?.split(';')[0], (input as Request).headers.get('x-page'), (input as Request).headers.get('x-app')]).toEqual(['multipart/form-data', 'p', '1']);
				const form = await (input as Request).formData();
				const photo = form.get('photo') as File;
				got.push([form.get('note'), photo.name, photo.type, [...new Uint8Array(await photo.arrayBuffer())]]);
				return new Response(null, { status: 204 });
			} });
		const handle = fetchHandler(api, { match: () => true });
		try {
			const data = new FormData();
			data.append('note', 'hé');
			data.append('photo', new File([new Uint8Array([1, 2, 255])], 'p.jpg', { type: 'image/jpeg' }));
			const write = event('https://app.example/api/photos', { method: 'POST', body: data, headers: { 'x-page': 'p' } });
			handle(write);
			expect((await write.answered.response!).status).toBe(204);
			expect(got).toEqual([['hé', 'p.jpg', 'image/jpeg', [1, 2, 255]]]);
		} finally {
			api.close();
		}
	});
});

describe('a FormData attempt refused unread and then retried', () => {
	it('the retry sends the whole form (the refused attempt\'s body is locked, ky\'s copy for the retry is not)', async () => {
		const got: unknown[] = [];
		let refusals = 0;
		// An app policy that refuses the first attempt of each call with a transient failure, unread; ky retries the PUT.
		const once = { slot: 'once', create: () => ({ layer: (next: (r: Request, i?: unknown) => Promise<Response>) => (request: Request, init?: unknown) =>
			refusals++ === 0 ? Promise.reject(new TypeError('fetch failed')) : next(request, init) }) };
		const api = createClient({ name: `h15-${Math.random()}`, store: () => memoryStore(`h15-${Math.random()}`), breaker: false, staleCache: false, retryBudget: false,
			retry: { limit: 1, delay: () => 0 }, once,
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				const form = await (input as Request).formData();
				got.push([form.get('note'), (form.get('photo') as File).size]);
				return new Response(null, { status: 204 });
			} } as never);
		try {
			const data = new FormData();
			data.append('note', 'n');
			data.append('photo', new File([new Uint8Array(50)], 'p.jpg', { type: 'image/jpeg' }));
			expect((await api.put('https://api.example/photos/1', { body: data })).status).toBe(204);
			expect([refusals, got]).toEqual([2, [['n', 50]]]);
		} finally {
			api.close();
		}
	});
});
