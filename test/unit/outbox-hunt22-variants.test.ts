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
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { collect } from './cache-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { holdTodos, outboxOnStore } from './outbox-store-kit.js';

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
