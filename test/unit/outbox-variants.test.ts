/**
 * Variants of the outbox's promises its other tests do not try (API.md "Outbox", "Offline writes for
 * real apps"): body types the first attempt and a replay must send byte-identical (after a reload
 * too), a stream body sent as with `outbox: false`, chains of dependents taken back by `retry()`,
 * removals racing a revival, and stored records tampered with.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HTTPError, InvalidRequestError, OutboxQueuedError, createClient, memoryStore, outbox, type KeyValueStore, type OutboxOptions } from '../../src/entries/index.js';
import { dumpStore } from '../helpers/dump-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { fakeWindow, spyStore, throwIfOffline, until } from './outbox-helpers.js';

interface Received {
	method: string;
	path: string;
	type: string | null;
	key: string | null;
	/** The `x-todo` header (where a test puts a placeholder). */
	todo: string | null;
	sha: string;
	bytes: ArrayBuffer;
}

const sha = (bytes: ArrayBuffer): string => createHash('sha256').update(new Uint8Array(bytes)).digest('hex');

let server: RunningServer;
let down = false;
let nextId = 100;
/** Requests with `?hold` wait for their function here to be called. */
const held: Array<() => void> = [];
const received: Received[] = [];
const clock = new ManualClock();
let window: ReturnType<typeof fakeWindow> | undefined;

beforeAll(async () => {
	server = await serve(async (request) => {
		const bytes = await request.arrayBuffer();
		const url = new URL(request.url);
		received.push({ method: request.method, path: url.pathname + url.search, type: request.headers.get('content-type'), key: request.headers.get('idempotency-key'), todo: request.headers.get('x-todo'), sha: sha(bytes), bytes });
		if (down || url.searchParams.has('fail')) {
			return new Response('down', { status: Number(url.searchParams.get('fail') ?? 503) });
		}

		if (url.searchParams.has('hold')) {
			await new Promise<void>((resolve) => held.push(resolve));
		}

		if (url.searchParams.has('text')) {
			return new Response('made', { status: 201 });
		}

		return request.method === 'POST' ? Response.json({ id: nextId++ }, { status: 201 }) : Response.json({ ok: true });
	});
});
afterAll(async () => server.close());
afterEach(() => {
	down = false;
	window?.restore();
	window = undefined;
});

const clients: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of clients.splice(0)) {
		client.close();
	}
});

/** The `storage:error` events of a client, as they come. */
const collectErrors = (api: { on(type: 'storage:error', listener: () => void): unknown }): string[] => {
	const events: string[] = [];
	api.on('storage:error', () => events.push('storage:error'));
	return events;
};

const make = (store: KeyValueStore, options: OutboxOptions = {}) => {
	const client = createClient({
		baseUrl: server.url + '/', clock, random: () => 0.5, store: () => store, retry: 0, retryBudget: false, breaker: false, staleCache: false,
		outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000, ...options }),
		fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
			throwIfOffline();
			return fetch(input, init);
		},
	});
	clients.push(client);
	return client;
};

const at = (path: string): Received[] => received.filter((each) => each.path === `/${path}`);
const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);
const queued = async (promise: Promise<unknown>): Promise<string> => {
	const error = await caught(promise);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	return (error as OutboxQueuedError).entryId;
};

describe('bodies: the first attempt, a replay and a replay after a reload send the same bytes', () => {
	const form = (): FormData => {
		const made = new FormData();
		made.append('files', new File(['first file'], 'a.txt', { type: 'text/plain' }));
		made.append('files', new File([new Uint8Array([0, 1, 2, 255])], 'Zürich-東京 photo.bin', { type: 'application/octet-stream' }));
		made.append('files', new File([], 'empty.txt'));
		made.append('note', 'ünïcödé');
		made.append('blob', new Blob(['no type']));
		return made;
	};

	const kinds: Array<[string, () => { body: BodyInit; headers?: Record<string, string> }]> = [
		['a FormData with several files under one name, a non-ASCII name, an empty file, a Blob without a type', () => ({ body: form() })],
		['an empty Blob', () => ({ body: new Blob([], { type: 'text/plain' }) })],
		['URLSearchParams with repeated names and non-ASCII', () => ({ body: new URLSearchParams([['a', '1'], ['a', 'ü 東'], ['b', '']]) })],
		['a string with non-ASCII and an emoji', () => ({ body: 'héllo 東京 \u{1F4F7}' })],
		['an empty string', () => ({ body: '' })],
		['a Blob with a type under a Content-Type the call gives', () => ({ body: new Blob(['<p/>'], { type: 'text/html' }), headers: { 'content-type': 'application/xml' } })],
	];

	it.each(kinds)('%s', async (name, given) => {
		const store = memoryStore(`bodies-${name}`);
		const path = `upload?kind=${encodeURIComponent(name)}`;
		down = true;
		const first = make(store);
		await queued(first.post(path, given()));
		await first.outbox.flush();
		first.close();
		down = false;
		const reloaded = make(store);
		expect(await reloaded.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		const sent = at(path);
		expect(sent).toHaveLength(3);
		expect(sent.map((each) => [each.sha, each.type, each.key])).toEqual([0, 1, 2].map(() => [sent[0]!.sha, sent[0]!.type, sent[0]!.key]));
	});
});

describe('a ReadableStream body', () => {
	const stream = (text: string) => new ReadableStream<Uint8Array>({
		start(controller) {
			controller.enqueue(new TextEncoder().encode(text));
			controller.close();
		},
	});

	it('is sent as with outbox: false: delivered when it can be, its failure the caller\'s, never queued', async () => {
		const store = memoryStore('stream');
		const api = make(store);
		expect((await api.post('upload?stream', { body: stream('streamed') })).status).toBe(201);
		expect(new TextDecoder().decode(at('upload?stream')[0]!.bytes)).toBe('streamed');
		expect(await caught(api.post('upload?stream-503&fail=503', { body: stream('x') }))).toBeInstanceOf(HTTPError);
		expect(await api.outbox.stats()).toEqual({ entries: 0, dead: 0, bytes: 0 });
	});

	// What fetch reads once as it sends it besides a ReadableStream: an async iterable (Node's and Deno's fetch take
	// one: a Node stream, `fs.createReadStream`), and an iterator (Deno's takes a generator of bytes).
	const bytes = (...chunks: string[]) => chunks.map((chunk) => new TextEncoder().encode(chunk));
	const once: Array<[string, () => unknown]> = [
		['an async generator', () => (async function* () {
			yield* bytes('chunk-1;', 'chunk-2');
		})()],
		['a Node stream (Readable)', () => Readable.from(bytes('chunk-1;', 'chunk-2'))],
	];

	it.each(once)('%s is a stream too: sent whole as with outbox: false (its bytes never read for the outbox), its failure the caller\'s, never queued', async (name, body) => {
		const store = memoryStore('stream');
		const api = make(store);
		const path = `upload?once=${encodeURIComponent(name)}`;
		const sent = await api.post(path, { body: body() as BodyInit }).then((response) => response.status, String);
		expect([sent, at(path).map((each) => new TextDecoder().decode(each.bytes))]).toEqual([201, ['chunk-1;chunk-2']]);
		expect(await caught(api.post(`${path}&fail=503`, { body: body() as BodyInit }))).toBeInstanceOf(HTTPError);
		expect(await api.outbox.stats()).toEqual({ entries: 0, dead: 0, bytes: 0 });
	});
});

describe('retry() of a chain\'s head', () => {
	it('takes back every \'parent\' dead letter of the chain (a dependent of a dependent too), delivered in order', async () => {
		const store = memoryStore('chain');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos?fail=422', { json: { n: 1 } }));
		const b = await queued(api.post('todos', { json: { parent: api.outbox.ref(a, '/id') } }));
		const c = await queued(api.post('todos', { json: { parent: api.outbox.ref(b, '/id') } }));
		window.setOnline(true, false);
		await api.outbox.flush();
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((each) => [each.id, each.deadReason])).toEqual([[a, 'rejected'], [b, 'parent'], [c, 'parent']]);
		// The server accepts it now: the app fixes nothing in the URL, the 422 was a passing refusal.
		const key = (await store.keys()).find((each) => each.includes(a))!;
		const record = await store.get<Record<string, unknown>>(key);
		await store.set(key, { ...record, url: `${server.url}/todos` });
		const first = nextId;
		await api.outbox.retry(a);
		await api.outbox.flush();
		await until(async () => (await api.outbox.deadLetters()).length === 0 && await api.outbox.size() === 0);
		expect(at('todos').map((each) => JSON.parse(new TextDecoder().decode(each.bytes)) as unknown)).toEqual([{ n: 1 }, { parent: first }, { parent: first + 1 }]);
	});
});

describe('removals racing retry()', () => {
	/**
	 * A chain A → B made dead letters (A refused with 422, B its 'parent' dead letter), on a store that
	 * runs `during` once, in the middle of retry(A)'s read of B: what races the revival.
	 */
	const deadChain = async (name: string) => {
		let during: (() => Promise<void>) | undefined;
		const store = spyStore(memoryStore(name), {
			get: async (key, run) => {
				const value = await run();
				if (during && key.startsWith('d|') && (value as { deadReason?: string } | undefined)?.deadReason === 'parent') {
					const wait = during;
					during = undefined;
					await wait();
				}

				return value;
			},
		});
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos?fail=422', { json: { n: 1 } }));
		const b = await queued(api.post('todos', { json: { parent: api.outbox.ref(a, '/id') } }));
		window.setOnline(true, false);
		await api.outbox.flush();
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((each) => each.id)).toEqual([a, b]);
		const pause = (run: () => Promise<void>): void => {
			during = run;
		};
		return { api, a, b, pause };
	};

	it('a dependent discarded while retry(parent) takes the chain back is not revived', async () => {
		const { api, a, b, pause } = await deadChain('race');
		let discarded: Promise<void> | undefined;
		pause(async () => {
			discarded = api.outbox.discard(b);
			await discarded;
		});
		await api.outbox.retry(a);
		await discarded;
		expect([...(await api.outbox.list()), ...(await api.outbox.deadLetters())].map((each) => each.id)).not.toContain(b);
	});

	it('a dependent discarded through another client of the name (extend()) while retry(parent) takes the chain back is not revived', async () => {
		const { api, a, b, pause } = await deadChain('race-other');
		const other = api.extend({ headers: { 'x-request': '2' } });
		let discarded: Promise<void> | undefined;
		pause(async () => {
			discarded = other.outbox.discard(b);
			await discarded;
		});
		await api.outbox.retry(a);
		await discarded;
		expect([...(await api.outbox.list()), ...(await api.outbox.deadLetters())].map((each) => each.id)).not.toContain(b);
	});

	it('clear() while retry(parent) takes the chain back: nothing revived', async () => {
		const { api, a, pause } = await deadChain('race-clear');
		let cleared: Promise<void> | undefined;
		pause(async () => {
			cleared = api.clear();
			await cleared;
		});
		await caught(api.outbox.retry(a));
		await cleared;
		expect(await api.outbox.stats()).toEqual({ entries: 0, dead: 0, bytes: 0 });
	});
});

describe('stored records tampered with', () => {
	const tampered: Array<[string, (record: Record<string, unknown>) => void]> = [
		['retainFrom a string', (record) => { record['retainFrom'] = 'yesterday'; }],
		['retainFrom true', (record) => { record['retainFrom'] = true; }],
		['a url that is no http URL', (record) => { record['url'] = 'ftp://example.com/x'; }],
		['a url that is not absolute', (record) => { record['url'] = 'not a url'; }],
		['an http url that does not parse', (record) => { record['url'] = 'http://[bad/x'; }],
		// A credential the outbox never stores: a record holding one was not written by it, and no replay sends it.
		['an Authorization header', (record) => { record['headers'] = { ...record['headers'] as object, Authorization: 'Bearer planted' }; }],
		['a cookie header', (record) => { record['headers'] = { ...record['headers'] as object, cookie: 'session=planted' }; }],
		// Numbers beyond their bounds, and what fetch would refuse on every replay (defect hunt, fourth round).
		['attempts negative (-1e6: a million replays past maxAttempts)', (record) => { record['attempts'] = -1e6; }],
		['attempts not an integer', (record) => { record['attempts'] = 0.5; }],
		['a method that is no token', (record) => { record['method'] = 'PU T'; }],
		['a header name fetch refuses', (record) => { record['headers'] = { ...record['headers'] as object, 'a b': 'x' }; }],
		['a header value with a line break', (record) => { record['headers'] = { ...record['headers'] as object, 'x-app': 'a\r\nx-injected: 1' }; }],
		['an idempotencyKey with a line break', (record) => { record['idempotencyKey'] = 'k\r\nx-injected: 1'; }],
		// Shown by list() and the outbox's events as the app reads them (a code, a message, a status).
		['a lastError that is no { code, message }', (record) => { record['lastError'] = { code: 5, message: { text: 'x' } }; }],
		['a lastError that is a string', (record) => { record['lastError'] = 'boom'; }],
		['a deadReason API.md does not name', (record) => { record['deadReason'] = 'because'; }],
	];

	it.each(tampered)('%s: a dead letter (rejected), never sent, no loop', async (_name, change) => {
		const store = memoryStore(`tampered-${_name}`);
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const events: string[] = [];
		api.on('storage:error', () => events.push('storage:error'));
		const id = await queued(api.put('doc?tampered', { body: 'x' }));
		const key = (await store.keys()).find((each) => each.includes(id))!;
		const record = await store.get<Record<string, unknown>>(key);
		change(record!);
		record!['nextAttemptAt'] = clock.now() + 60_000;
		await store.set(key, record);
		window.setOnline(true, false);
		const count = received.length;
		await api.outbox.flush();
		clock.advance(120_000);
		await api.outbox.flush();
		expect(received.length).toBe(count);
		expect((await api.outbox.deadLetters()).map((each) => each.deadReason)).toEqual(['rejected']);
	});

	it.each([
		['a header of the client\'s sensitiveHeaders', (record: Record<string, unknown>) => { record['headers'] = { ...record['headers'] as object, 'X-Api-Key': 'planted' }; }],
		['a header of the outbox\'s sensitiveHeaders', (record: Record<string, unknown>) => { record['headers'] = { ...record['headers'] as object, 'x-tenant-secret': 'planted' }; }],
		['a sensitive query value in its url', (record: Record<string, unknown>) => { record['url'] = `${String(record['url'])}&access_token=planted`; }],
		['a credential header (unreadable: the outbox never stores one)', (record: Record<string, unknown>) => { record['headers'] = { ...record['headers'] as object, Authorization: 'Bearer planted' }; }],
		['a sensitive value in its url\'s fragment', (record: Record<string, unknown>) => { record['url'] = `${String(record['url'])}#id_token=planted&state=1`; }],
	])('%s (never stored by the outbox): a dead letter (rejected), never sent', async (_name, change) => {
		const store = memoryStore(`tampered-secret-${_name}`);
		window = fakeWindow();
		window.setOnline(false, false);
		const api = createClient({
			baseUrl: server.url + '/', clock, random: () => 0.5, store: () => store, retry: 0, retryBudget: false, breaker: false, staleCache: false,
			sensitiveHeaders: ['x-api-key'], outbox: outbox({ resumeJitterMs: 0, sensitiveHeaders: ['x-tenant-secret'] }),
			fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
				throwIfOffline();
				return fetch(input, init);
			},
		});
		clients.push(api);
		const errors = collectErrors(api);
		const id = await queued(api.put('doc?tampered-secret', { body: 'x' }));
		const key = (await store.keys()).find((each) => each.includes(id))!;
		const record = await store.get<Record<string, unknown>>(key);
		change(record!);
		await store.set(key, record);
		window.setOnline(true, false);
		const count = received.length;
		await api.outbox.flush();
		expect(received.length).toBe(count); // before: replayed with the planted value
		expect((await api.outbox.deadLetters()).map((each) => each.deadReason)).toEqual(['rejected']);
		expect(errors).toEqual(['storage:error']);
		// Nor written again with its dead letter (API.md "Sensitive data": never written to storage); before: its `raw` kept it.
		expect(await dumpStore(store)).not.toMatch(/planted/);
	});
});

describe('kept values of a delivered entry', () => {
	it('stay while a write queued with its placeholder after its delivery is stored, past 24 h', async () => {
		const store = memoryStore('kept-after');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos', { json: { n: 1 } }));
		const id = api.outbox.ref(a, '/id');
		await queued(api.post('todos', { json: { parent: id } }));
		window.setOnline(true, false);
		const first = nextId;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		// Delivered, its value kept: a new write with the placeholder goes out at once, fails, is queued.
		down = true;
		await queued(api.patch(`todos/${id}`, { json: { done: true } }));
		expect(at(`todos/${first}`)).toHaveLength(1);
		clock.advance(25 * 3_600_000);
		expect(await api.outbox.flush()).toMatchObject({ failed: 1, remaining: 1 });
		down = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0, remaining: 0 });
		expect(at(`todos/${first}`)).toHaveLength(3);
		// Its kept values read back with a tampered list of dependents: the next such write is still queued (no raw TypeError).
		const key = (await store.keys()).find((each) => each === `v|${a}`)!;
		await store.set(key, { ...await store.get<Record<string, unknown>>(key), dependents: 5 });
		down = true;
		await queued(api.patch(`todos/${id}`, { json: { done: false } }));
	});
});

describe('a placeholder as a key of the json body', () => {
	it('is replaced by the value\'s string form, as anywhere in the json body', async () => {
		const store = memoryStore('key');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos', { json: { n: 1 } }));
		const id = api.outbox.ref(a, '/id');
		await queued(api.patch('keyed', { json: { [id]: { done: true }, list: [id] } }));
		window.setOnline(true, false);
		const first = nextId;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		expect(JSON.parse(new TextDecoder().decode(at('keyed')[0]!.bytes))).toEqual({ [String(first)]: { done: true }, list: [first] });
	});
});

describe('an answer that is no JSON', () => {
	it('holds nothing, not even at the pointer \'\': its dependent is a \'parent\' dead letter, never sent', async () => {
		const store = memoryStore('text');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos?text', { json: { n: 1 } }));
		await queued(api.put(`whole/${api.outbox.ref(a, '')}`, { json: {} }));
		window.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 1, remaining: 0 }); // Before: sent 2, to /whole/undefined.
		expect(received.filter((each) => each.path.startsWith('/whole'))).toEqual([]);
		expect((await api.outbox.deadLetters()).map((each) => each.deadReason)).toEqual(['parent']);
	});
});

describe('a parent discarded while its replay is in flight', () => {
	it('is delivered (no replay is called back), but keeps no values: its dependent is a \'parent\' dead letter, never sent', async () => {
		const store = memoryStore('discard-in-flight');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos?hold', { json: { n: 1 } }));
		await queued(api.put(`after/${api.outbox.ref(a, '/id')}`, { json: {} }));
		window.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => held.length === 1);
		await api.outbox.discard(a);
		held.shift()!();
		// Before: sent 2, the dependent with the discarded parent's id. Its dependent is a dead letter already (made by the discard).
		expect(await flushed).toMatchObject({ sent: 1, dead: 0, remaining: 0 });
		expect(received.filter((each) => each.path.startsWith('/after'))).toEqual([]);
		expect((await api.outbox.deadLetters()).map((each) => each.deadReason)).toEqual(['parent']);
	});
});

describe('an entry told "queued" at its deadline, discarded while its first attempt goes on', () => {
	it('is delivered by that attempt, but its answer is not held: a placeholder of it is then unknown (InvalidRequestError), nothing sent', async () => {
		const store = memoryStore('early-discard');
		const api = make(store, { networkTimeoutMs: 50 });
		const events: string[] = [];
		api.on('outbox:sent', () => events.push('sent'));
		const a = await queued(api.post('todos?hold', { json: { n: 1 } }));
		await until(() => held.length === 1);
		await api.outbox.discard(a);
		held.shift()!();
		await until(() => events.length === 1);
		const count = received.length;
		expect(await caught(api.put(`early/${api.outbox.ref(a, '/id')}`, { json: {} }))).toBeInstanceOf(InvalidRequestError); // Before: sent with its id.
		expect(received.length).toBe(count);
	});
});

describe('placeholders whose numbers share a prefix', () => {
	it('each is replaced whole: the eleventh (…-10) is not read as the second (…-1) followed by a 0, in the URL and the json body', async () => {
		const store = memoryStore('prefix');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos', { json: { n: 1 } }));
		const b = await queued(api.post('todos', { json: { n: 2 } }));
		// Eleven placeholders (one per entry, pointer and identity: the others ask of pointers the put does not hold).
		const refs = Array.from({ length: 11 }, (_, n) => api.outbox.ref(n === 10 ? b : a, n === 1 || n === 10 ? '/id' : `/unused${n}`));
		const [one, ten] = [refs[1]!, refs[10]!];
		expect(ten.startsWith(one)).toBe(true);
		await queued(api.put(`pair/${one}/${ten}`, { headers: { 'x-pair': `${one},${ten}` }, json: { one, ten, both: `${one}+${ten}` } }));
		window.setOnline(true, false);
		const first = nextId;
		expect(await api.outbox.flush()).toMatchObject({ sent: 3, remaining: 0 });
		const [put] = received.filter((each) => each.path.startsWith('/pair'));
		expect(put!.path).toBe(`/pair/${first}/${first + 1}`);
		expect(JSON.parse(new TextDecoder().decode(put!.bytes))).toEqual({ one: first, ten: first + 1, both: `${first}+${first + 1}` });
	});
});

describe('a Request input holding placeholders', () => {
	it('in its headers only is queued behind the entry, and replayed with the value', async () => {
		const store = memoryStore('request-input');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos', { json: { n: 1 } }));
		const id = api.outbox.ref(a, '/id');
		const child = await queued(api(new Request(`${server.url}/req`, { method: 'PUT', headers: { 'x-todo': `todo ${id}` } })));
		expect((await api.outbox.list()).find((each) => each.id === child)?.dependsOn).toEqual([a]);
		window.setOnline(true, false);
		const first = nextId;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		expect(received.filter((each) => each.path.startsWith('/req')).map((each) => [each.path, each.todo])).toEqual([['/req', `todo ${first}`]]);
	});
});

describe('a placeholder in the headers a client made by extend() adds', () => {
	it('holds its calls behind the entry: replayed with the value, never sent with the placeholder', async () => {
		const store = memoryStore('extend-headers');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos', { json: { n: 1 } }));
		const scoped = api.extend({ headers: { 'x-todo': `todo ${api.outbox.ref(a, '/id')}` } });
		const child = await queued(scoped.put('scoped', { json: { done: true } }));
		expect((await api.outbox.list()).find((each) => each.id === child)?.dependsOn).toEqual([a]);
		window.setOnline(true, false);
		const first = nextId;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		expect(received.filter((each) => each.path === '/scoped').map((each) => each.todo)).toEqual([`todo ${first}`]);
	});
});

describe('a placeholder made by one client in a call of a client made from it by extend()', () => {
	it('holds that call behind the entry (dependsOn), replayed with the value, never sent with the placeholder', async () => {
		const store = memoryStore('extend-url');
		window = fakeWindow();
		window.setOnline(false, false);
		const api = make(store);
		const a = await queued(api.post('todos', { json: { n: 1 } }));
		const scoped = api.extend({ headers: { 'x-other': '1' } });
		const child = await queued(scoped.put(`extended/${api.outbox.ref(a, '/id')}`, { json: { done: true } }));
		expect((await api.outbox.list()).find((each) => each.id === child)?.dependsOn).toEqual([a]);
		window.setOnline(true, false);
		const first = nextId;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
		expect(received.filter((each) => each.path.startsWith('/extended')).map((each) => each.path)).toEqual([`/extended/${first}`]);
	});
});
