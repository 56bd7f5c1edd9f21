/**
 * Defect hunt, eleventh round (runtimes and what comes from outside): variants of earlier fixes, each
 * failing before its fix.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { autoStore, createClient, memoryStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from './outbox-helpers.js';
import { mapStore } from '../helpers/test-stores.js';

/** An answer whose headers arrive and whose body never ends (a server that stalls mid-body). */
const endless = (status = 201): Response => new Response(new ReadableStream({
	start(controller) {
		controller.enqueue(new TextEncoder().encode('{"id": 7, "more": "'));
	},
}), { status, headers: { 'content-type': 'application/json' } });

/** An answer of `bytes` bytes of JSON (a string), sent in 1 MiB chunks, and how much of it was pulled. */
const huge = (bytes: number): { response: Response; pulled: () => number } => {
	let sent = 0;
	const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
	const response = new Response(new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode('{"id": 7, "more": "'));
		},
		pull(controller) {
			if (sent >= bytes) {
				controller.enqueue(new TextEncoder().encode('"}'));
				controller.close();
				return;
			}

			sent += chunk.byteLength;
			controller.enqueue(chunk);
		},
	}), { status: 201, headers: { 'content-type': 'application/json' } });
	return { response, pulled: () => sent };
};

describe('a delivered write whose answer body never ends, or is huge: the delivery is bounded as ky bounds an error\'s body (the attempt\'s timeout, 10 MiB)', () => {
	it('a write told "queued" at its deadline: its attempt\'s answer stalls mid-body; the entry still goes and outbox:sent fires within the timeout', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const api = createClient({
			name: 'endless-early', store: memoryStore, retry: 0, retryBudget: false, breaker: false, staleCache: false, timeout: 300,
			outbox: outbox({ networkTimeoutMs: 20 }),
			fetch: async () => {
				await held;
				return endless();
			},
		});
		const sent: string[] = [];
		api.on('outbox:sent', ({ entryId }) => sent.push(entryId));
		const error = await api.post('https://api.example.com/todos', { json: { title: 'a' } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		release();
		await until(() => sent.length > 0, 10_000);
		expect([sent, await api.outbox.size()]).toEqual([[(error as OutboxQueuedError).entryId], 0]);
		api.close();
	});

	it('a replay whose dependent asked a value of its answer (outbox.ref): the answer stalls mid-body; flush() still settles, the parent delivered, its dependent a \'parent\' dead letter (no value)', async () => {
		let up = false;
		const api = createClient({
			name: 'endless-replay', store: memoryStore, retry: 0, retryBudget: false, breaker: false, staleCache: false, timeout: 300,
			outbox: outbox({ resumeJitterMs: 0 }),
			fetch: async (input) => {
				if (!up) {
					throw new TypeError('Failed to fetch');
				}

				return (input as Request).method === 'POST' ? endless() : Response.json({ ok: true });
			},
		});
		const error = await api.post('https://api.example.com/todos', { json: { title: 'a' } }).catch((caught: unknown) => caught) as OutboxQueuedError;
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const id = api.outbox.ref(error.entryId, '/id');
		await api.patch(`https://api.example.com/todos/${id}`, { json: { done: true } }).catch(() => undefined);
		up = true;
		const flushed = await Promise.race([api.outbox.flush(), new Promise((resolve) => setTimeout(resolve, 3000, 'still pending after 3 s'))]);
		expect([flushed, await api.outbox.size(), (await api.outbox.deadLetters()).map(({ deadReason }) => deadReason)]).toEqual([{ sent: 1, failed: 0, dead: 1, remaining: 0 }, 0, ['parent']]);
		api.close();
	});

	it('an answer of 64 MiB: read no further than 10 MiB (its read cancelled), the entry delivered', async () => {
		let up = false;
		const answer = huge(64 * 1024 * 1024);
		const api = createClient({
			name: 'huge-replay', store: memoryStore, retry: 0, retryBudget: false, breaker: false, staleCache: false,
			outbox: outbox({ resumeJitterMs: 0 }),
			fetch: async (input) => {
				if (!up) {
					throw new TypeError('Failed to fetch');
				}

				return (input as Request).method === 'POST' ? answer.response : Response.json({ ok: true });
			},
		});
		const error = await api.post('https://api.example.com/todos', { json: { title: 'a' } }).catch((caught: unknown) => caught) as OutboxQueuedError;
		api.outbox.ref(error.entryId, '/id');
		up = true;
		const flushed = await api.outbox.flush();
		expect([flushed.sent, await api.outbox.size(), answer.pulled() <= 12 * 1024 * 1024]).toEqual([1, 0, true]);
		api.close();
	});
});

describe('an Age field made of a list (two caches on the way each added one: fetch joins them): its first member, as RFC 9111 §5.1 says', () => {
	/** The stale answer to a copy of an answer with `headers`, served 1 s after it was stored (injected clock). */
	const served = async (headers: Record<string, string>): Promise<string> => {
		const clock = new ManualClock();
		let up = true;
		const api = createClient({
			name: 'age-list', store: memoryStore, clock, retry: 0, breaker: false,
			fetch: async () => up ? Response.json({ a: 1 }, { headers }) : Promise.reject(new TypeError('fetch failed')),
		});
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		await api.get('https://api.example.com/x').json();
		await stored;
		clock.advance(1000);
		up = false;
		const stale = await api.get('https://api.example.com/x');
		api.close();
		return `Age ${stale.headers.get('age')}; ${stale.headers.get('cache-status')}`;
	};

	it.each([
		['50, 70', 'Age 51; steadfetch; hit; ttl=9; detail=network'],
		['50,70', 'Age 51; steadfetch; hit; ttl=9; detail=network'],
		[' 50 , 50 ', 'Age 51; steadfetch; hit; ttl=9; detail=network'],
		['50', 'Age 51; steadfetch; hit; ttl=9; detail=network'],
		// Invalid once the other members are discarded: ignored (§5.1), as before.
		['x, 50', 'Age 1; steadfetch; hit; ttl=59; detail=network'],
		['-5, 50', 'Age 1; steadfetch; hit; ttl=59; detail=network'],
	])('Age: %j with max-age=60, served 1 s later: %s', async (age, expected) => {
		expect(await served({ 'cache-control': 'max-age=60', age })).toBe(expected);
	});

	it('a list-based Age past max-age with must-revalidate: the copy is already stale, never stored (was: stored as fresh for 60 s)', async () => {
		const clock = new ManualClock();
		const api = createClient({ name: 'age-list-revalidate', store: memoryStore, clock, retry: 0, breaker: false, fetch: async () => Response.json({ a: 1 }, { headers: { 'cache-control': 'max-age=60, must-revalidate', age: '90, 95' } }) });
		await api.get('https://api.example.com/x').json();
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(await api.cache.list()).toEqual([]);
		api.close();
	});
});

describe('a Vary that names something no request header can be (a name with a space, a quote, a colon, a non-ASCII letter): no copy can be matched, as with Vary: *', () => {
	it.each(['Accept, x y', 'Accept, "accept"', 'Accept, a:b', 'Accept, é'])('Vary: %j: not stored, the last copy dropped, and no storage:error (the store did not fail)', async (vary) => {
		const clock = new ManualClock();
		let answer: 'plain' | 'vary' | 'down' = 'plain';
		const api = createClient({
			name: 'vary-invalid', store: memoryStore, clock, retry: 0, breaker: false,
			fetch: async () => answer === 'down' ? Promise.reject(new TypeError('fetch failed')) : Response.json({ a: 1 }, { headers: answer === 'vary' ? { vary } : {} }),
		});
		const errors: string[] = [];
		api.on('storage:error', ({ operation, error }) => errors.push(`${operation}: ${(error as Error).message}`));
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		await api.get('https://api.example.com/x').json();
		await stored;
		clock.advance(2000);
		answer = 'vary';
		await api.get('https://api.example.com/x').json();
		await new Promise((resolve) => setTimeout(resolve, 20));
		answer = 'down';
		const stale = await api.get('https://api.example.com/x').then((response) => response.headers.get('cache-status'), (error: unknown) => (error as Error).name);
		expect([stale, await api.cache.list(), errors]).toEqual(['NetworkError', [], []]);
		api.close();
	});
});

describe('an indexedDB that refuses the context (an opaque origin: open throws a SecurityError; the full build, as the browser build in test/node/runtimes-opaque-chromium.test.ts)', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	it('autoStore keeps and gives back values in memory, every operation answered (was: each rejected with the SecurityError)', async () => {
		vi.stubGlobal('indexedDB', {
			open() {
				throw new DOMException('access to the Indexed Database API is denied in this context.', 'SecurityError');
			},
		});
		const store = autoStore('idb-refused');
		const outcome = async (work: () => Promise<unknown>): Promise<unknown> => work().catch((error: unknown) => `${(error as Error).name}`);
		expect([
			await outcome(async () => store.set('k', { n: 1 })),
			await outcome(async () => store.get('k')),
			await outcome(async () => store.keys()),
			await outcome(async () => store.span?.('k')),
			await outcome(async () => store.delete('k')),
			await outcome(async () => store.keys()),
		]).toEqual([undefined, { n: 1 }, ['k'], { count: 1, last: 'k' }, undefined, []]);
	});
});

describe('a stored copy dated as made after it was stored (a broken store, another build): its Age and ttl would say it is new, whatever its age', () => {
	it.each([
		['born 10 days after storedAt', (record: { storedAt: number; born: number }) => ({ born: record.storedAt + 864_000_000 })],
		['born 1 s after storedAt', (record: { storedAt: number; born: number }) => ({ born: record.storedAt + 1000 })],
	])('%s: not served, storage:error "decode", the record deleted (was: served with Age 0 and a full ttl)', async (_name, change) => {
		const clock = new ManualClock();
		const records = new Map<string, unknown>();
		const store = mapStore(records);
		let up = true;
		const api = createClient({ name: 'planted-born', store, clock, retry: 0, breaker: false, fetch: async () => up ? Response.json({ a: 1 }, { headers: { 'cache-control': 'max-age=60' } }) : Promise.reject(new TypeError('fetch failed')) });
		const stored = new Promise((resolve) => {
			api.on('cache:stored', resolve);
		});
		await api.get('https://api.example.com/x');
		await stored;
		const [key, record] = [...records].find(([name]) => name.startsWith('r:'))! as [string, { storedAt: number; born: number }];
		records.set(key, { ...record, ...change(record) });
		clock.advance(3_600_000); // An hour later: the copy is an hour old.
		const errors: string[] = [];
		api.on('storage:error', ({ operation, error }) => errors.push(`${operation}: ${(error as Error).message}`));
		up = false;
		const answer = await api.get('https://api.example.com/x').then((response) => `served, Age ${response.headers.get('age')}, ${response.headers.get('cache-status')}`, () => 'not served');
		await until(() => !records.has(key), 10_000);
		expect([answer, errors, records.has(key)]).toEqual(['not served', ['decode: Unreadable cache record'], false]);
		api.close();
	});
});
