/**
 * The outbox's stored records as outside input (API.md "Sensitive data": "no time read from one (`reopensAt`,
 * `nextAttemptAt`) is used beyond the bounds its options allow"; "Outbox"; "Work that outlives its caller").
 *
 * - A stored `pinned` (the server's Retry-After) that is no boolean is a malformed record (`'rejected'`, `storage:error`).
 *   Before, any truthy value (`'yes'`, `1`, `'false'`) held the write as a Retry-After: even `flush()` sent nothing.
 * - A pinned `nextAttemptAt` further ahead than `retentionMs` (no Retry-After gives one: it is cut to retention when
 *   stored) is not waited for. Before, a year ahead held the write to its retention, then buried it 'expired'.
 * - A replay ends the first attempt's lease (`inFlightUntil`): its record is written back without it. Before, with the
 *   clock stepped back, the lease stayed stored: every new client (a reload) showed it in `list()` and held the write
 *   60 000 ms more, with no attempt in flight.
 * - `retry(id)` makes a dead letter pending without a lease it still held (an older build's record). Before, with the
 *   clock stepped back, the retried write showed `inFlightUntil` and was held 60 000 ms with no attempt in flight.
 * - `indexedDbStore`'s `keys()` lists string keys only: a key someone else put in the same object store (a number, a
 *   Date, an array) is not the client's. Before, each was turned into a string (`String(key)`): an array holding an
 *   outbox key listed as that key — a write that was never queued counted by `size()`, shown by `list()` as
 *   "Unreadable", made a 'rejected' dead letter with a `storage:error`, and back after `clear()` resolved.
 * - `list()`, `deadLetters()` and `onConflict`'s entry show an `OutboxEntry`'s fields only: a field of the stored record
 *   the outbox never writes (bytes, a password, a long text; in `lastError` too) is not shown. Before, `list()` handed
 *   every unknown field back, cloned: a megabyte of bytes per entry (API.md: "never the bytes themselves").
 * - (Held already, kept as guards) a dependent read after a reload whose parent is gone from the store without the
 *   cascade (its tab died between), a dead letter, or unreadable: a 'parent' dead letter, never sent.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createStore, set } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, indexedDbStore, memoryStore, outbox, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { collect } from './cache-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { holdTodos, outboxOnStore, queueDependent, queueTodo } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt22');
let made = 0;
const fresh = (): KeyValueStore => memoryStore(`hunt22-${++made}`);

/** The pending record of `store` (one), and a way to write it back changed. */
const stored = async (store: KeyValueStore) => {
	const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
	const record = (await store.get<Record<string, unknown>>(key!))!;
	return { key: key!, record, put: async (change: Record<string, unknown>) => store.set(key!, { ...record, ...change }) };
};

/** `POST /todos` queued offline (its attempt failed: due 500 ms on) by a client that then went away; its record changed by `change`. */
const leftQueued = async (change: (record: Record<string, unknown>, now: number) => Record<string, unknown>) => {
	const store = fresh();
	const clock = new ManualClock();
	const client = onStore(store, {}, { clock });
	client.state.offline = true;
	expect(await client.api.post('todos', { json: { a: 1 } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
	client.api.close();
	const { record, put } = await stored(store);
	await put(change(record, clock.now()));
	return { store, clock, first: client.state.sent[0]! };
};

/** A client on `store` with its transport up. */
const reader = (store: KeyValueStore, clock: ManualClock) => {
	const client = onStore(store, {}, { clock });
	client.state.down = false;
	return client;
};

describe('a stored pinned (a server\'s Retry-After) is read as the outbox stores it', () => {
	it.each([
		['\'yes\'', 'yes'],
		['1', 1],
		['\'false\'', 'false'],
		['an object', {}],
	])('pinned %s with nextAttemptAt an hour ahead: malformed, a dead letter (rejected, storage:error), never sent', async (_, pinned) => {
		const { store, clock } = await leftQueued((_record, now) => ({ nextAttemptAt: now + 3_600_000, pinned }));
		const { api, state } = reader(store, clock);
		const errors = collect(api, 'storage:error');
		// Before: { sent: 0, dead: 0, remaining: 1 } — held an hour as a Retry-After, flush or not.
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		expect((await api.outbox.deadLetters()).map((entry) => entry.deadReason)).toEqual(['rejected']);
		expect(errors.length).toBeGreaterThan(0);
		expect(state.sent).toEqual([]);
		api.close();
	});

	it('pinned true an hour ahead: still honoured by flush() (not sent), then replayed once it is due', async () => {
		const { store, clock, first } = await leftQueued((_record, now) => ({ nextAttemptAt: now + 3_600_000, pinned: true }));
		const { api, state } = reader(store, clock);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 0, remaining: 1 });
		clock.advance(3_600_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(state.sent).toEqual([first]);
		api.close();
	});

	it.each([
		['a year ahead', 31_536_000_000],
		['retentionMs and a minute ahead', 604_860_000],
	])('pinned true %s (no Retry-After is stored past retention): due, replayed by flush() once, same key and body', async (_, ahead) => {
		const { store, clock, first } = await leftQueued((_record, now) => ({ nextAttemptAt: now + ahead, pinned: true }));
		const { api, state } = reader(store, clock);
		// Before: { sent: 0, remaining: 1 } — held until retention ended, then buried 'expired' (the write lost).
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(state.sent).toEqual([first]);
		api.close();
	});

	it('pinned true retentionMs ahead exactly: waited for', async () => {
		const { store, clock } = await leftQueued((_record, now) => ({ nextAttemptAt: now + 604_800_000, pinned: true }));
		const { api, state } = reader(store, clock);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(state.sent).toEqual([]);
		api.close();
	});
});

describe('a replay ends the stored lease of the first attempt (inFlightUntil)', () => {
	it('the clock stepped back an hour: after another client\'s replay failed, a reload shows no lease and replays when due', async () => {
		const store = fresh();
		const clock = new ManualClock();
		const first = onStore(store, { networkTimeoutMs: 40 }, { clock });
		first.state.down = false;
		const release = holdTodos(first.state);
		expect(await first.api.post('todos', { json: { a: 1 } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		first.api.close(); // The tab is gone with its attempt in flight: its lease stays stored.
		const { record } = await stored(store);
		clock.set((record['createdAt'] as number) - 3_600_000);
		const other = onStore(store, {}, { clock });
		other.state.offline = true;
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		clock.advance(60_000);
		// Its lease over (60 000 ms from its first read): replayed, failed (a network failure), written back due 500 ms on.
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, failed: 1, remaining: 1 });
		expect(other.state.sent).toHaveLength(1);
		other.api.close();
		const reload = reader(store, clock);
		// Before: clock.now() + 60 000 — the ended lease read again from the record, counted from this client's first read.
		expect((await reload.api.outbox.list())[0]).not.toHaveProperty('inFlightUntil');
		clock.advance(500);
		// Before: { sent: 0, remaining: 1 } — held 60 000 ms more though no attempt was in flight.
		expect(await reload.api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(reload.state.sent.map((sent) => sent.key)).toEqual([first.state.sent[0]!.key]);
		reload.api.close();
		release();
	});
});

describe('retry(id) of a dead letter holding a stored lease (an older build buried it so)', () => {
	it('the clock stepped back an hour: pending without the lease, replayed by the next flush(), same key and body', async () => {
		const { store, clock, first } = await leftQueued(() => ({}));
		const { key, record } = await stored(store);
		await store.set(`d${key.slice(1)}`, { ...record, deadReason: 'rejected', inFlightUntil: (record['createdAt'] as number) + 86_400_000 });
		await store.delete(key);
		clock.set((record['createdAt'] as number) - 3_600_000);
		const { api, state } = reader(store, clock);
		await api.outbox.retry(record['id'] as string);
		// Before: clock.now() + 60 000 — the lease read again, counted from this client's first read of it.
		expect((await api.outbox.list())[0]).not.toHaveProperty('inFlightUntil');
		// Before: { sent: 0, remaining: 1 }.
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(state.sent).toEqual([first]);
		api.close();
	});
});

describe('indexedDbStore lists its string keys only (a key someone else put in its object store is not the client\'s)', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
	});

	/** IndexedDB (fake-indexeddb) holding, in the database of namespace `namespace`, what another program put there besides a string key. */
	const foreign = async (namespace: string, keys: IDBValidKey[]) => {
		vi.stubGlobal('indexedDB', new IDBFactory());
		vi.stubGlobal('IDBKeyRange', IDBKeyRange);
		const raw = createStore(`steadfetch:${namespace}`, 'kv');
		for (const key of keys) {
			await set(key, { v: 1, note: 'not the client\'s' }, raw);
		}
	};

	/** An outbox key (a pending entry of api.example.com), as an array: another program's key whose String() reads as one. */
	const ghost = 'p|001700000000000|000001|ghost|https%3A%2F%2Fapi.example.com';

	it('keys(): a number, a Date and an array key are left out, the string keys listed', async () => {
		await foreign('h22-keys', [42, new Date(0), ['a', 'b'], [ghost]]);
		const store = indexedDbStore('h22-keys');
		await store.set('mine', 1);
		// Before: ['42', 'Thu Jan 01 1970 …', 'mine', 'a,b', 'p|…|ghost|…'].
		expect(await store.keys()).toEqual(['mine']);
		expect(await store.span?.('p|')).toEqual({ count: 0, last: undefined });
	});

	it('the outbox: nothing pending, listed or dead from them, no storage:error; a queued write delivered; clear() resolves and nothing comes back', async () => {
		await foreign('h22-idb/outbox', [7, new Date(0), [ghost]]);
		let up = false;
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(`${request.method} ${new URL(request.url).pathname}`);
			if (!up) {
				throw new TypeError('fetch failed');
			}

			return new Response('{}', { status: 201 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: indexedDbStore, name: 'h22-idb', outbox: outbox() });
		const errors = collect(api, 'storage:error');
		// Before: 1 (the array key read as a pending entry).
		expect(await api.outbox.size()).toBe(0);
		expect(await api.outbox.list()).toEqual([]);
		expect(await api.post('todos', { json: { a: 1 } }).catch((caught: unknown) => caught)).toBeInstanceOf(OutboxQueuedError);
		up = true;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0, remaining: 0 });
		expect(await api.outbox.deadLetters()).toEqual([]);
		await api.outbox.clear();
		expect(await api.outbox.size()).toBe(0);
		expect(await api.outbox.stats()).toMatchObject({ entries: 0, dead: 0 });
		expect(errors).toEqual([]);
		expect(sent).toEqual(['POST /todos', 'POST /todos']);
		api.close();
	});
});

describe('list() shows an OutboxEntry\'s fields only, whatever else a stored record holds', () => {
	const fields = ['id', 'method', 'url', 'headers', 'idempotencyKey', 'createdAt', 'attempts', 'nextAttemptAt', 'lastError', 'deadReason', 'dependsOn', 'version', 'preconditions', 'identity', 'bodyBytes', 'inFlightUntil'];
	const extra = (_record: Record<string, unknown>, now: number) => ({
		photo: new ArrayBuffer(1_000_000), password: 'hunter2', note: 'x'.repeat(100_000),
		lastError: { code: 'NETWORK', message: 'fetch failed', stack: 'y'.repeat(100_000), response: new ArrayBuffer(1_000) }, nextAttemptAt: now + 3_600_000, pinned: true,
	});

	it('pending: list() without the unknown fields (nor lastError\'s), the known ones as stored; then replayed as stored', async () => {
		const { store, clock, first } = await leftQueued(extra);
		const { api, state } = reader(store, clock);
		const [entry] = await api.outbox.list();
		// Before: photo, password and note listed too (a megabyte cloned per entry), lastError with its stack and response.
		expect(Object.keys(entry!).filter((name) => !fields.includes(name))).toEqual([]);
		expect(entry!.lastError).toEqual({ code: 'NETWORK', message: 'fetch failed' });
		expect(entry).toMatchObject({ method: 'POST', url: 'https://api.example.com/todos', idempotencyKey: first.key, attempts: 1, version: 1, bodyBytes: 7 });
		clock.advance(3_600_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(state.sent).toEqual([first]);
		api.close();
	});

	it('a dead letter: deadLetters() without them either', async () => {
		const { store, clock } = await leftQueued((record, now) => ({ ...extra(record, now), deadReason: 'conflict' }));
		const { api } = reader(store, clock);
		await api.outbox.flush();
		const [entry] = await api.outbox.deadLetters();
		expect(entry).toMatchObject({ deadReason: 'conflict' });
		expect(Object.keys(entry!).filter((name) => !fields.includes(name))).toEqual([]);
		expect(entry!.lastError).toEqual({ code: 'NETWORK', message: 'fetch failed' });
		api.close();
	});
});

describe('a dependent read after a reload whose parent is not pending as it was (guards)', () => {
	it.each([
		['gone from the store (its discard\'s cascade never ran)', async (store: KeyValueStore, key: string) => store.delete(key)],
		['a dead letter', async (store: KeyValueStore, key: string, record: unknown) => {
			await store.set(`d${key.slice(1)}`, { ...record as object, deadReason: 'rejected', moved: 1 });
			await store.delete(key);
		}],
		['unreadable', async (store: KeyValueStore, key: string) => store.set(key, { v: 1, junk: true })],
	])('its parent %s: a \'parent\' dead letter, nothing sent', async (_, change) => {
		const store = fresh();
		const clock = new ManualClock();
		const first = onStore(store, {}, { clock });
		first.state.offline = true;
		const parent = await queueTodo(first.api);
		await queueDependent(first.api, parent);
		first.api.close();
		const key = (await store.keys()).find((each) => each.startsWith('p|') && each.includes(`|${parent}|`))!;
		await change(store, key, await store.get(key));
		const { api, state } = reader(store, clock);
		clock.advance(1_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 0 });
		expect((await api.outbox.deadLetters()).filter((entry) => entry.method === 'PUT').map((entry) => entry.deadReason)).toEqual(['parent']);
		expect(state.sent).toEqual([]);
		api.close();
	});
});
