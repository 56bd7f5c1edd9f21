/**
 * The outbox's lease of a write's first attempt and what it reads from storage (API.md "Outbox", "Slow networks: an
 * answer within a deadline", "Work that outlives its caller", "Offline writes for real apps").
 *
 * - `list()` shows a write's lease (`inFlightUntil`, "its first attempt's lease") while its first attempt is in flight —
 *   in the client that makes it and in another on the same store — as the outbox honours it (a stored lease further
 *   ahead than the bound shown cut to it), and no longer once the attempt ended. Before, no entry ever had it.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { collect } from './cache-kit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { until } from './outbox-helpers.js';
import { holdTodos, outboxOnStore, sentIds } from './outbox-store-kit.js';

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
