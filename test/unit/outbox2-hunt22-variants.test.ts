/**
 * Defect hunt, twenty-second round (outbox, second file): unreadable records, the key a record is stored under, and the
 * retry budget's refund (API.md "Sensitive data", "Outbox", "Retries").
 *
 * - An unreadable record's dead letter keeps the stored value (`raw`) without what the outbox never stores, whatever its
 *   shape: headers as an array of pairs or a flat list, a Headers polyfill's clone (`{ map: { … } }`), `init.headers`, a
 *   record nested in another value, a sensitive query value in any URL it holds. Before, only a plain-object `headers`
 *   at the top was cleaned: each of these kept its `Authorization`, `Cookie` or `sensitiveHeaders` value in storage.
 * - A record's id and scope are its key's (the key lists, orders and claims it). Before, a stored `scope` naming another
 *   scope made a failed replay block (or a 401 pause) that other scope: the next entry of its own scope was replayed in
 *   the same pass, before it (FIFO broken); a stored `id` unlike its key's was listed, and `discard(id)` of it did nothing.
 * - A stored `headers` or `preconditions` that is a list is malformed. Before, `[]` was read as a header set: `list()`
 *   showed the entry's headers as an array, and a pass replayed it.
 * - `migrate()` after the client's scope configuration changed: an entry migrated to its own URL is replayed. Before,
 *   its URL's new scope differed from the stored one: every existing entry became a 'migrate' dead letter.
 * - A retry refused without I/O is refunded in the bucket it was paid in, also after the injected clock stepped back.
 *   Before, the refund looked in the bucket of the (earlier) time and was lost: the budget counted a retry never sent.
 * - A clock stepped back a window or more starts the budget's window afresh. Before, the window was held (frozen) until
 *   the clock came back: an hour's step allowed `minRetries` retries for the whole hour, its refusal told once.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { dumpStore } from '../helpers/dump-store.js';
import { RetryBudget } from '../../src/retry/budget.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { origin, setup } from './breaker-kit.js';
import { outboxOnStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt22-outbox2');
let made = 0;
const fresh = (): KeyValueStore => memoryStore(`hunt22-outbox2-${++made}`);

/** The pending keys of `store`, oldest first. */
const pendingKeys = async (store: KeyValueStore): Promise<string[]> => (await store.keys()).filter((key) => key.startsWith('p|')).sort();

/** `PUT /todos/<n>` for each of `paths`, queued offline by a client that then went away: the store and clock. */
const leftQueued = async (...paths: string[]) => {
	const store = fresh();
	const clock = new ManualClock();
	const client = onStore(store, { sensitiveHeaders: ['x-api-key'] }, { clock });
	client.state.offline = true;
	for (const path of paths) {
		expect(await client.api.put(path, { json: { a: 1 } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
	}

	client.api.close();
	return { store, clock };
};

describe('an unreadable record\'s dead letter keeps nothing the outbox never stores, whatever its shape', () => {
	it.each([
		['headers as an array of pairs', (record: Record<string, unknown>) => ({ ...record, headers: [['Authorization', 'Bearer planted'], ['X-Kept', 'kept']] })],
		['headers as a flat list of names and values', (record: Record<string, unknown>) => ({ ...record, headers: ['x-kept', 'one', 'cookie', 'sid=planted'], note: 'kept' })],
		['headers as a Headers polyfill\'s clone ({ map })', (record: Record<string, unknown>) => ({ ...record, headers: { map: { authorization: 'Bearer planted', 'x-kept': 'kept' } } })],
		['a credential in init.headers', (record: Record<string, unknown>) => ({ ...record, init: { headers: { Cookie: 'sid=planted' } }, kept: 'kept' })],
		['a sensitiveHeaders value (the outbox\'s) in pairs', (record: Record<string, unknown>) => ({ ...record, headers: [['X-Api-Key', 'planted'], ['x-kept', 'kept']] })],
		['a record nested in another value', (record: Record<string, unknown>) => ({ wrapped: { ...record, headers: { 'Proxy-Authorization': 'Basic planted', 'x-kept': 'kept' } } })],
		['a list of records', (record: Record<string, unknown>) => [{ ...record, headers: { authorization: 'Bearer planted' } }, 'kept']],
		['a sensitive query value in a nested URL', (record: Record<string, unknown>) => ({ ...record, method: 1, request: { url: 'https://api.example.com/x?access_token=planted&kept=1' } })],
	])('%s: a dead letter (rejected); the store holds no planted value, and keeps the rest', async (_name, change) => {
		const { store, clock } = await leftQueued('todos/1');
		const [key] = await pendingKeys(store);
		await store.set(key!, change((await store.get<Record<string, unknown>>(key!))!));
		const reader = onStore(store, { sensitiveHeaders: ['x-api-key'] }, { clock });
		reader.state.down = false;
		expect(await reader.api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		expect((await reader.api.outbox.deadLetters()).map((entry) => entry.deadReason)).toEqual(['rejected']);
		const dump = await dumpStore(store);
		// Before: each dump held the planted value (only a plain-object `headers` at the top was cleaned).
		expect(dump).not.toMatch(/planted/);
		expect(dump).toMatch(/kept/);
		expect(reader.state.sent).toEqual([]);
		reader.api.close();
	});
});

describe('a stored header set is an object of strings, never a list', () => {
	it.each([
		['headers []', { headers: [] }],
		['preconditions []', { preconditions: [] }],
	])('%s: malformed, a dead letter (rejected, storage:error), never sent; list() never showed a list', async (_name, change) => {
		const { store, clock } = await leftQueued('todos/1');
		const [key] = await pendingKeys(store);
		await store.set(key!, { ...(await store.get<Record<string, unknown>>(key!))!, ...change });
		const reader = onStore(store, {}, { clock });
		reader.state.down = false;
		const errors: unknown[] = [];
		reader.api.on('storage:error', (event) => errors.push(event));
		// Before: [[]] — an OutboxEntry whose headers (or preconditions) was an array.
		expect((await reader.api.outbox.list()).map((entry) => entry.preconditions ?? entry.headers).filter(Array.isArray)).toEqual([]);
		// Before: { sent: 1 } — replayed.
		expect(await reader.api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		expect(errors.length).toBeGreaterThan(0);
		expect(reader.state.sent).toEqual([]);
		reader.api.close();
	});
});

describe('a record\'s id and scope are its key\'s', () => {
	it.each([
		['a 503 (due again later)', 503],
		['a 401 (its scope paused)', 401],
	])('a stored scope naming another origin, the replay answered %s: the next entry of its scope waits (FIFO)', async (_name, status) => {
		const { store, clock } = await leftQueued('todos/1', 'todos/2');
		const [key] = await pendingKeys(store);
		const record = (await store.get<Record<string, unknown>>(key!))!;
		await store.set(key!, { ...record, scope: 'https://other.example' });
		const reader = onStore(store, {}, { clock });
		reader.state.down = false;
		reader.state.status = status;
		await reader.api.outbox.flush();
		// Before: ['PUT /todos/1', 'PUT /todos/2'] — the failure blocked https://other.example, not its own scope.
		expect(reader.state.sent.map((sent) => sent.line)).toEqual(['PUT /todos/1']);
		expect((await reader.api.outbox.list()).map((entry) => entry.url)).toEqual(['https://api.example.com/todos/1', 'https://api.example.com/todos/2']);
		reader.api.close();
	});

	it('a stored id unlike its key\'s: listed by its key\'s id, which discard(id) removes', async () => {
		const { store, clock } = await leftQueued('todos/1');
		const [key] = await pendingKeys(store);
		const id = key!.split('|')[3]!;
		const record = (await store.get<Record<string, unknown>>(key!))!;
		await store.set(key!, { ...record, id: 'forged' });
		const reader = onStore(store, {}, { clock });
		// Before: ['forged'], and discard('forged') left it pending.
		expect((await reader.api.outbox.list()).map((entry) => entry.id)).toEqual([id]);
		await reader.api.outbox.discard(id);
		expect(await reader.api.outbox.list()).toEqual([]);
		expect(await pendingKeys(store)).toEqual([]);
		reader.api.close();
	});
});

describe('migrate() after the client\'s scope configuration changed', () => {
	it('an entry migrated to its own URL is replayed, not a dead letter for "another scope"', async () => {
		const { store, clock } = await leftQueued('todos/1');
		const sent: string[] = [];
		const api = createClient({
			fetch: (async (request: Request) => {
				sent.push(`${request.method} ${new URL(request.url).pathname}`);
				return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
			}) as typeof fetch,
			random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, store: () => store, name: 'hunt22-outbox2', clock,
			breaker: { share: false, scope: () => 'api' }, // The scope configuration changed: the stored entry's scope is the origin.
			outbox: outbox({ version: 2, migrate: (entry) => entry }),
		});
		// Before: { sent: 0, dead: 1 } — 'migrate', "migrate() returned no valid entry" (its URL's scope is 'api' now).
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0, remaining: 0 });
		expect(sent).toEqual(['PUT /todos/1']);
		api.close();
	});

	it('an entry migrated to another origin is still refused (a dead letter, migrate)', async () => {
		const { store, clock } = await leftQueued('todos/1');
		const api = createClient({
			fetch: (async () => new Response('{}', { status: 200 })) as typeof fetch,
			random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'hunt22-outbox2', clock,
			outbox: outbox({ version: 2, migrate: (entry) => ({ ...entry, url: 'https://other.example/todos/1' }) }),
		});
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		expect((await api.outbox.deadLetters()).map((entry) => entry.deadReason)).toEqual(['migrate']);
		api.close();
	});
});

describe('a retry refused without I/O is refunded where it was paid, whatever the clock did', () => {
	it('the clock stepped back 3 s: the breaker refuses the second retry, which the budget gives back', async () => {
		const kit = setup({ retry: { limit: 5, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 2, windowMs: 10_000 }, breaker: { consecutiveFailures: 2 } });
		const exhausted: unknown[] = [];
		kit.api.on('budget:exhausted', (event) => exhausted.push(event));
		kit.clock.advance(3_000);
		expect(await kit.call()).toBe('200'); // The window has seen this time: it holds its latest bucket.
		kit.clock.advance(-3_000);
		kit.server.down();
		// Attempt 1 fails, retry 1 fails and opens the breaker, retry 2 is refused by it (no I/O): paid back.
		expect(await kit.call()).toBe('CIRCUIT_OPEN');
		expect(kit.server.requests).toHaveLength(3);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 1, retriesRefused: 0 });
		await kit.api.breaker.reset(origin);
		// One retry of two was spent: the next call's first retry goes out. Before: 4 requests — refused, the refund lost.
		expect(await kit.call()).toBe('NetworkError');
		expect(kit.server.requests).toHaveLength(5);
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 2, retriesRefused: 1 });
		expect(exhausted).toHaveLength(1);
	});

	it('the clock stepped back an hour: the window slides again a window later, not an hour later; its refusal told again', () => {
		const clock = new ManualClock();
		const budget = new RetryBudget({ ratio: 0, minRetries: 1, windowMs: 10_000 }, clock);
		const at = clock.now();
		clock.advance(3_600_000);
		expect(budget.tryRetry('a').allowed).toBe(true);
		expect(budget.tryRetry('a')).toMatchObject({ allowed: false, firstRefusal: true });
		clock.set(at); // Stepped back an hour (a clock set right).
		clock.advance(10_000);
		// Before: false (and no firstRefusal) until the clock reached the hour again — one retry an hour, not one per 10 s.
		expect(budget.tryRetry('a').allowed).toBe(true);
		expect(budget.tryRetry('a')).toMatchObject({ allowed: false, firstRefusal: true });
		clock.advance(10_000);
		expect(budget.tryRetry('a').allowed).toBe(true);
	});
});
