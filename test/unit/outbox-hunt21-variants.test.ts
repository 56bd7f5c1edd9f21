/**
 * The outbox's lease of a write's first attempt and what it reads from storage (API.md "Outbox", "Slow networks: an
 * answer within a deadline", "Work that outlives its caller", "Offline writes for real apps").
 *
 * - `list()` shows a write's lease (`inFlightUntil`, "its first attempt's lease") while its first attempt is in flight —
 *   in the client that makes it and in another on the same store — as the outbox honours it (a stored lease further
 *   ahead than the bound shown cut to it), and no longer once the attempt ended. Before, no entry ever had it.
 * - A stored lease further ahead than the bound is cut to it, also when the entry's creation is ahead of the reader's
 *   clock (the clock stepped back): the cut counts from the reader's first read of it. Before, it counted from each
 *   read (the earlier of the creation and now): a clock stepped back an hour held the write an hour, not 60 000 ms.
 * - A stored `nextAttemptAt` (not a server's Retry-After) further ahead than `maxBackoffMs` is not waited for: a clock
 *   stepped back a day held a failed write a day, a time stored a year ahead until its retention buried it, where no
 *   trigger (a page's `online`, `visibilitychange`, reload) made it due.
 * - A stored `dependsOn` naming the entry itself, or a cycle (no write is ever queued so): the loop's entries are
 *   'parent' dead letters, never sent. Before, each waited for itself: nothing sent, their scope held until retention.
 * - A stored `idempotencyKey` the client would refuse as the option (a line feed, not ASCII, over 255 characters) is a
 *   malformed record ('Unreadable', `storage:error`). Before, each replay failed with an InvalidRequestError quoting the
 *   key (a 20 000-character key: seconds of CPU scrubbing the message; 100 000: minutes).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { collect } from './cache-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from './outbox-helpers.js';
import { holdTodos, outboxOnStore, queueDependent, queueTodo, sentIds } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('hunt21');
let made = 0;
const fresh = (): KeyValueStore => memoryStore(`hunt21-${++made}`);

/** The pending record of `store` (one), and a way to write it back changed. */
const stored = async (store: KeyValueStore) => {
	const [key] = (await store.keys()).filter((each) => each.startsWith('p|'));
	const record = (await store.get<Record<string, unknown>>(key!))!;
	return { key: key!, record, put: async (change: Record<string, unknown>) => store.set(key!, { ...record, ...change }) };
};

/** `POST /todos` queued at its 40 ms deadline while the origin holds it (clock standing still): the client, its entry id, the release. */
const queuedEarly = async (store: KeyValueStore, clock: ManualClock) => {
	const client = onStore(store, { networkTimeoutMs: 40 }, { clock });
	client.state.down = false;
	const release = holdTodos(client.state);
	const error = await client.api.post('todos', { json: { a: 1 } }).catch((caught: unknown) => caught);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	return { ...client, id: (error as OutboxQueuedError).entryId!, release };
};

describe('list() shows a write\'s lease (inFlightUntil) while its first attempt is in flight', () => {
	it('in the client making it and in another on the store: the call\'s totalTimeout ahead (20 000 by default); gone once it delivered', async () => {
		const store = fresh();
		const clock = new ManualClock();
		const { api, id, release } = await queuedEarly(store, clock);
		const other = onStore(store, {}, { clock });
		// Before: undefined in both listings.
		expect((await api.outbox.list()).map((entry) => [entry.id, entry.inFlightUntil])).toEqual([[id, clock.now() + 20_000]]);
		expect((await other.api.outbox.list()).map((entry) => [entry.id, entry.inFlightUntil])).toEqual([[id, clock.now() + 20_000]]);
		const sent = sentIds(api);
		release();
		await until(() => sent.length === 1);
		expect(await api.outbox.list()).toEqual([]);
		api.close();
		other.api.close();
	});

	it('its first attempt fails: pending without a lease (attempts 1)', async () => {
		const store = fresh();
		const clock = new ManualClock();
		let fail = (): void => undefined;
		const failing = new Promise<never>((_, reject) => {
			fail = () => reject(new TypeError('fetch failed'));
		});
		const api = createClient({ fetch: async () => failing, clock, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `hunt21-${made}`, outbox: outbox({ networkTimeoutMs: 40 }) });
		const retry = collect(api, 'outbox:retry');
		const error = await api.put('todos/1', { json: { a: 1 } }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OutboxQueuedError);
		expect((await api.outbox.list())[0]!.inFlightUntil).toBe(clock.now() + 20_000);
		fail();
		await until(() => retry.length === 1);
		const [entry] = await api.outbox.list();
		expect(entry).not.toHaveProperty('inFlightUntil');
		expect(entry).toMatchObject({ id: (error as OutboxQueuedError).entryId, attempts: 1 });
		api.close();
	});

	it.each([
		['a day ahead: shown cut to 60 000 ms after the entry was made', (now: number) => now + 86_400_000, 60_000],
		['Infinity: shown cut likewise', () => Infinity, 60_000],
		['5 000 ms ahead: shown as stored', (now: number) => now + 5_000, 5_000],
	])('a lease another client stored, %s', async (_, lease, shown) => {
		const store = fresh();
		const clock = new ManualClock();
		const { api, release } = await queuedEarly(store, clock);
		const { put } = await stored(store);
		await put({ inFlightUntil: lease(clock.now()) });
		const other = onStore(store, {}, { clock });
		expect((await other.api.outbox.list())[0]!.inFlightUntil).toBe(clock.now() + shown);
		release();
		api.close();
		other.api.close();
	});

	it.each([
		['ended', (now: number) => now - 1],
		['not a number', () => '9999999999999'],
		['NaN', () => Number.NaN],
	])('a stored lease that is %s: none shown, and another client replays the write', async (_, lease) => {
		const store = fresh();
		const clock = new ManualClock();
		const { api, release } = await queuedEarly(store, clock);
		api.close();
		const { put } = await stored(store);
		await put({ inFlightUntil: lease(clock.now()) });
		const other = onStore(store, {}, { clock });
		other.state.down = false;
		expect((await other.api.outbox.list())[0]).not.toHaveProperty('inFlightUntil');
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		release();
		other.api.close();
	});
});

/** A write queued at its deadline by a client that then went away (a crashed tab) with its attempt in flight: its lease stays stored. */
const leftLeased = async (change: (record: Record<string, unknown>, now: number) => Record<string, unknown> = () => ({})) => {
	const store = fresh();
	const clock = new ManualClock();
	const { api, id, release, state } = await queuedEarly(store, clock);
	api.close();
	const { record, put } = await stored(store);
	await put(change(record, clock.now()));
	return { store, clock, id, release, first: state.sent[0]!, made: record['createdAt'] as number };
};

describe('a stored lease further ahead than the bound is cut to it (API.md "Work that outlives its caller")', () => {
	it('the clock stepped back an hour since the lease was set: honoured 60 000 ms from now, no longer; replayed once, same key and body', async () => {
		const { store, clock, release, first, made } = await leftLeased();
		// (Its first attempt answers only at the end: the tab that made it is gone.)
		clock.set(made - 3_600_000);
		const other = onStore(store, {}, { clock });
		other.state.down = false;
		expect((await other.api.outbox.list())[0]!.inFlightUntil).toBe(clock.now() + 60_000);
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		clock.advance(59_999);
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		clock.advance(1);
		// Before: { sent: 0, remaining: 1 } — the lease cut to 60 000 ms from each read, never ending before the clock is back at it (an hour on).
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(other.state.sent).toEqual([first]);
		other.api.close();
		release();
	});

	it('the clock stepped back a day: another client\'s drain replays the write by itself 60 000 ms after it first read it, once', async () => {
		const { store, clock, release, first, made } = await leftLeased();
		clock.set(made - 86_400_000);
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const other = onStore(store, { resumeJitterMs: 0 }, { clock });
			other.state.down = false;
			const sent = sentIds(other.api);
			// Its first drain (the client's start) and this flush leave it alone: the lease holds, 60 000 ms from this first read.
			expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
			expect((await other.api.outbox.list())[0]!.inFlightUntil).toBe(clock.now() + 60_000);
			clock.advance(59_999);
			await vi.advanceTimersByTimeAsync(59_999);
			expect(other.state.sent).toEqual([]);
			clock.advance(1);
			await vi.advanceTimersByTimeAsync(1);
			// Before: nothing sent (the lease read again 60 000 ms ahead at each pass, until the clock was back a day on).
			await vi.waitFor(async () => expect(sent).toHaveLength(1));
			expect(other.state.sent).toEqual([first]);
			expect(await other.api.outbox.size()).toBe(0);
			other.api.close();
		} finally {
			vi.useRealTimers();
			release();
		}
	});

	it.each([
		['a reader without one of its own (20 000 by default): cut to 60 000 ms', 20_000, 60_000],
		['a reader with totalTimeout: 120 000: honoured whole', 120_000, 120_000],
		['a reader with totalTimeout: 1 000: still 60 000 ms (never shorter than a client without one sets)', 1_000, 60_000],
	])('a lease 120 000 ms ahead (a client with totalTimeout: 120 000 set it), %s', async (_, totalTimeout, honoured) => {
		// (Its first attempt never answers: the tab that made it is gone.)
		const { store, clock, first } = await leftLeased((_record, now) => ({ inFlightUntil: now + 120_000 }));
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(await request.text());
			return new Response('{"id":7}', { status: 201 });
		}) as typeof globalThis.fetch;
		const reader = createClient({ fetch, clock, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: 'hunt21', outbox: outbox(), totalTimeout });
		expect((await reader.outbox.list())[0]!.inFlightUntil).toBe(clock.now() + honoured);
		clock.advance(honoured - 1);
		expect(await reader.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		clock.advance(1);
		expect(await reader.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(sent).toEqual([first.body]);
		reader.close();
	});
});

afterEach(() => {
	vi.useRealTimers();
});

/** `POST /todos` queued offline (its attempt failed: due 500 ms on, not pinned) by a client that then went away; its record changed by `change`. */
const leftQueued = async (change: (record: Record<string, unknown>, now: number) => Record<string, unknown> = () => ({})) => {
	const store = fresh();
	const clock = new ManualClock();
	const client = onStore(store, {}, { clock });
	client.state.offline = true;
	const error = await client.api.post('todos', { json: { a: 1 } }).catch((caught: unknown) => caught);
	expect(error).toBeInstanceOf(OutboxQueuedError);
	client.api.close();
	const { record, put } = await stored(store);
	expect(record).toMatchObject({ nextAttemptAt: clock.now() + 500, pinned: false });
	await put(change(record, clock.now()));
	return { store, clock, first: client.state.sent[0]!, made: record['createdAt'] as number };
};

/** A client on `store` whose drain runs on fake timers (no trigger: no page), its transport up: what it sent, by `ms` of its timers. */
const drainsBy = async (store: KeyValueStore, clock: ManualClock, ms: number) => {
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
	const other = onStore(store, { resumeJitterMs: 0 }, { clock });
	other.state.down = false;
	clock.advance(ms);
	await vi.advanceTimersByTimeAsync(ms);
	await vi.waitFor(async () => expect(await other.api.outbox.size()).toBeLessThanOrEqual(1));
	other.api.close();
	return other.state.sent;
};

describe('a stored nextAttemptAt further ahead than the backoff options allow (maxBackoffMs, 300 000) is not waited for', () => {
	it.each([
		['the clock stepped back a day since it failed', (made: number, clock: ManualClock) => clock.set(made - 86_400_000)],
		['the clock stepped back 10 minutes', (made: number, clock: ManualClock) => clock.set(made - 600_000)],
	])('%s: another client\'s drain replays it by itself, once, same key and body', async (_, step) => {
		const { store, clock, first, made } = await leftQueued();
		step(made, clock);
		// Before: [] — held until the clock was back at its nextAttemptAt (a day on, with no trigger outside a page).
		expect(await drainsBy(store, clock, 1_000)).toEqual([{ ...first }]);
	});

	it('stored a year ahead (not pinned): replayed by the next client\'s drain, not held to its retention (and buried then)', async () => {
		const { store, clock, first } = await leftQueued((_record, now) => ({ nextAttemptAt: now + 31_536_000_000 }));
		expect(await drainsBy(store, clock, 1_000)).toEqual([first]);
	});

	it('within the bound (299 000 ms ahead): waited for, then replayed', async () => {
		const { store, clock, first } = await leftQueued((_record, now) => ({ nextAttemptAt: now + 299_000 }));
		expect(await drainsBy(store, clock, 298_000)).toEqual([]);
		vi.useRealTimers();
		expect(await drainsBy(store, clock, 1_000)).toEqual([first]);
	});

	it('a server\'s Retry-After (pinned) an hour ahead is still honoured: not replayed before', async () => {
		const { store, clock } = await leftQueued((_record, now) => ({ nextAttemptAt: now + 3_600_000, pinned: true }));
		expect(await drainsBy(store, clock, 300_000)).toEqual([]);
	});

	it.each([
		['NaN', Number.NaN],
		['a string', '1700000000500'],
		['Infinity', Infinity],
	])('stored as %s: malformed, a dead letter (rejected), never sent', async (_, nextAttemptAt) => {
		const { store, clock } = await leftQueued(() => ({ nextAttemptAt }));
		expect(await drainsBy(store, clock, 1_000)).toEqual([]);
		const reader = onStore(store, {}, { clock });
		expect((await reader.api.outbox.deadLetters()).map((entry) => entry.deadReason)).toEqual(['rejected']);
		reader.api.close();
	});
});

describe('a stored dependsOn that can never be met (naming the entry itself, or a cycle): \'parent\' dead letters, the scope goes on', () => {
	/** `POST /todos` (the parent), `PUT /todos/<its /id>` behind it, then `PUT /todos/9`, queued offline; the records changed by `change`. */
	const chain = async (change: (ids: { parent: string; child: string }) => Record<string, Record<string, unknown>>) => {
		const store = fresh();
		const clock = new ManualClock();
		const client = onStore(store, {}, { clock });
		client.state.offline = true;
		const parent = await queueTodo(client.api);
		await queueDependent(client.api, parent);
		await client.api.put('todos/9', { json: { z: 1 } }).catch(() => undefined);
		client.api.close();
		const keys = (await store.keys()).filter((each) => each.startsWith('p|')).sort();
		const records = await Promise.all(keys.map(async (key) => (await store.get<Record<string, unknown>>(key))!));
		const ids = { parent, child: records[1]!['id'] as string };
		const changes = change(ids);
		for (const [index, key] of keys.entries()) {
			const record = records[index]!;
			await store.set(key, { ...record, ...changes[record['id'] as string] });
		}

		const other = onStore(store, {}, { clock });
		other.state.down = false;
		return { other, ids };
	};

	it.each([
		['the parent depends on itself', ({ parent }: { parent: string }) => ({ [parent]: { dependsOn: [parent] } })],
		['the parent depends on its own dependent (a cycle of two)', ({ parent, child }: { parent: string; child: string }) => ({ [parent]: { dependsOn: [child] } })],
	])('%s: flush() makes the loop \'parent\' dead letters, never sent, and sends the scope\'s later write', async (_, change) => {
		const { other, ids } = await chain(change);
		const flushed = await other.api.outbox.flush();
		// Before: { sent: 0, dead: 0, remaining: 3 }, nothing sent — the scope held behind them until their retention.
		expect(flushed).toMatchObject({ sent: 1, dead: 2, remaining: 0 });
		expect(other.state.sent.map((each) => each.line)).toEqual(['PUT /todos/9']);
		expect((await other.api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[ids.parent, 'parent'], [ids.child, 'parent']]);
		// retry(id) cannot take a loop back: it stays a dead letter.
		await expect(other.api.outbox.retry(ids.parent)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
		other.api.close();
	});

	it('the dependent depends on itself too: its parent is delivered first, then it is a \'parent\' dead letter, never sent', async () => {
		const { other, ids } = await chain(({ child }) => ({ [child]: { dependsOn: [child] } }));
		// Before: { sent: 1, dead: 0, remaining: 2 } — the dependent waited for itself, PUT /todos/9 behind it.
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 2, dead: 1, remaining: 0 });
		expect(other.state.sent.map((each) => each.line)).toEqual(['POST /todos', 'PUT /todos/9']);
		expect((await other.api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[ids.child, 'parent']]);
		other.api.close();
	});

	it('a dependsOn naming an entry that is no longer stored: a \'parent\' dead letter (as before)', async () => {
		const { other, ids } = await chain(({ parent }) => ({ [parent]: { dependsOn: ['no-such-entry'] } }));
		expect(await other.api.outbox.flush()).toMatchObject({ dead: 2, remaining: 0 });
		expect((await other.api.outbox.deadLetters()).map((entry) => entry.id)).toEqual([ids.parent, ids.child]);
		other.api.close();
	});
});

describe('a stored idempotencyKey the client would refuse as an option (not 1–255 printable ASCII characters): malformed', () => {
	it.each([
		['holding a line feed', 'a\nb'],
		['holding CR LF and a header', 'a\r\nx-evil: 1'],
		['not ASCII', 'ключ'],
		['20 000 characters long', 'k'.repeat(20_000)],
		['missing', undefined],
		['not a string', 42],
	])('%s: reported (storage:error), a dead letter \'Unreadable\' (rejected), never sent', async (_, idempotencyKey) => {
		const store = fresh();
		const clock = new ManualClock();
		const client = onStore(store, {}, { clock });
		client.state.offline = true;
		const id = await queueTodo(client.api);
		client.api.close();
		const { put } = await stored(store);
		await put({ idempotencyKey });
		const other = onStore(store, {}, { clock });
		other.state.down = false;
		const errors = collect(other.api, 'storage:error');
		expect(await other.api.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		expect(other.state.sent).toEqual([]);
		// Before (a key that is a string): lastError "InvalidRequestError: `idempotencyKey` must be true or …" with the key in it
		// (20 000 characters: seconds of CPU in the message's userinfo scrub), and no storage:error.
		expect((await other.api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason, entry.lastError])).toEqual([[id, 'rejected', { code: 'INVALID_REQUEST', message: 'Unreadable' }]]);
		expect(errors).toHaveLength(1);
		other.api.close();
	});
});
