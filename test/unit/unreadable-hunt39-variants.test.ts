/**
 * The outbox's pending records the store never gives back (the thirty-ninth hunt): every `get` of one record's key
 * rejected by the store while it answers other reads. Such a record held its scope for good (`{ sent: 0, dead: 0,
 * remaining: 3 }` at every flush); a read that only misses `storageTimeoutMs` (slow, not broken) never counts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { StorageErrorEvent } from '../../src/core/event-types.js';
import type { Outbox } from '../../src/entries/outbox.js';

const opened: Array<{ close(): unknown }> = [];
afterEach(() => {
	for (const client of opened.splice(0)) {
		client.close();
	}
});

/** How the store answers a `get` of a refused record's pending key: its error (`reject`), never (`hang`), or as it holds it (`up`). */
type Broken = 'reject' | 'hang' | 'up';

/**
 * A memory store whose `get` of the pending key of each id in `refused` answers as `state.broken` says, and whose every
 * `get` rejects while `state.down` (a store gone down: a key it does not hold too); every other operation as it holds them.
 */
const refusingGets = () => {
	const inner = memoryStore(`h39-unreadable-${crypto.randomUUID()}`);
	const state = { refused: new Set<string>(), broken: 'reject' as Broken, down: false, reads: 0 };
	const store: KeyValueStore = { ...inner, get: async <T>(key: string): Promise<T | undefined> => {
		const refused = key.startsWith('p|') && [...state.refused].some((id) => key.includes(`|${id}|`));
		if (state.down || (refused && state.broken === 'reject')) {
			return Promise.reject(new DOMException('The record could not be read', 'DataError'));
		}

		if (refused && state.broken === 'hang') {
			return new Promise<never>(() => undefined);
		}

		state.reads++;
		return inner.get<T>(key);
	} };
	return { store, state };
};

/**
 * A client over `store` whose origin is down while `origin.up` is false (then it answers 201 and records what it got,
 * by JSON title); its `outbox:dead` entry ids in `dead`, its `storage:error` events in `errors`. Its drain's backoff after a
 * pass the store failed is about a minute (`random`): the flushes of a test are its only passes.
 */
const onStore = (store: KeyValueStore, name = 'h39-unreadable') => {
	const origin = { up: false, got: [] as string[] };
	const fetch = async (request: Request): Promise<Response> => {
		if (!origin.up) {
			throw new TypeError('Failed to fetch');
		}

		origin.got.push((await request.json() as { title: string }).title);
		return new Response('{"id":1}', { status: 201 });
	};
	const client = createClient({ name, store: () => store, fetch: fetch as typeof globalThis.fetch, clock: { now: () => clock.now }, retry: 0, breaker: false, staleCache: false, storageTimeoutMs: 50, outbox: outbox({ baseBackoffMs: 60_000 }), random: () => 0.99 });
	opened.push(client);
	const dead: string[] = [];
	const errors: StorageErrorEvent[] = [];
	client.on('outbox:dead', ({ entryId }) => dead.push(entryId));
	client.on('storage:error', (event) => errors.push(event));
	return { client: client as typeof client & { outbox: Outbox }, origin, dead, errors };
};

/**
 * Queue a write of each title (the origin down: each told "queued"), one scope, then flush once (nothing sent): the
 * client's first drain is over, and each flush that follows is one pass. Their entry ids.
 */
const queue = async (client: ReturnType<typeof onStore>['client'], titles: string[]): Promise<string[]> => {
	const ids: string[] = [];
	for (const title of titles) {
		ids.push(await client.post('https://api.test/todos', { json: { title } }).catch((error: { entryId: string }) => error.entryId) as string);
	}

	await client.outbox.flush();
	return ids;
};

/** The clients' injected clock (the fortieth hunt: refusals in a row must also span a minute to bury a record). */
const clock = { now: 1_800_000_000_000 };

/** `flush()` `times` times in a row, 30 s of the clock apart: each flush's result. */
const flushes = async (outbox: Outbox, times: number) => {
	const results = [];
	for (let flush = 0; flush < times; flush++) {
		clock.now += 30_000;
		results.push(await outbox.flush());
	}

	return results;
};

/*
 * An `extend()`ed client's outbox reads through the part store its parent made. When this hunt found the defect, that part
 * store reported a failure (`storage:error`) to the parent's listeners only, and the child took a read that failed, or only
 * missed its deadline, for a record that reads as nothing (malformed) and buried it at once, its body gone. Since 64c620db
 * a failure is reported to the child whose work it was and to the client that made the part store (the family's root).
 */
describe('an extend()ed client\'s pass over a pending record the store fails to give back', () => {
	it.each(['hang', 'reject'] as const)('a read the store fails (%s) is its failure, not a malformed record: never buried at the first pass, its body kept', async (broken) => {
		const { store, state } = refusingGets();
		const { client, origin } = onStore(store);
		const ids = await queue(client, ['a', 'b']);
		const child = client.extend({ headers: { 'x-child': '1' } }) as typeof client;
		await child.outbox.flush(); // The child's first drain (origin down): each flush that follows is one pass.
		state.refused.add(ids[0]!);
		state.broken = broken;
		origin.up = true;
		const flushed = await child.outbox.flush();
		// Before: { sent: 1, failed: 0, dead: 1, remaining: 0 }: buried as a malformed record at once, its body gone (for a read that only timed out too).
		expect([flushed, (await client.outbox.deadLetters()).length, origin.got]).toEqual([{ sent: 0, failed: 0, dead: 0, remaining: 2 }, 0, []]);
		// Given back again: both sent, in order.
		state.broken = 'up';
		expect([await child.outbox.flush(), origin.got]).toEqual([{ sent: 2, failed: 0, dead: 0, remaining: 0 }, ['a', 'b']]);
	});
});

describe('a pending record whose every read the store rejects while it answers other reads', () => {
	it('the head of three writes: a dead letter "Unreadable" at the third pass (outbox:dead, storage:error), the two behind it sent in order', async () => {
		const { store, state } = refusingGets();
		const { client, origin, dead, errors } = onStore(store);
		const ids = await queue(client, ['a', 'b', 'c']);
		state.refused.add(ids[0]!);
		origin.up = true;
		const results = await flushes(client.outbox, 3);
		const [letter] = await client.outbox.deadLetters();
		// Before: { sent: 0, failed: 0, dead: 0, remaining: 3 } at every flush, no dead letter, nothing sent.
		expect([results.map((result) => result.remaining), results[2], origin.got, dead, letter?.id, letter?.deadReason, letter?.lastError?.message, await client.outbox.size()])
			.toEqual([[3, 3, 0], { sent: 2, failed: 0, dead: 1, remaining: 0 }, ['b', 'c'], [ids[0]], ids[0], 'rejected', expect.stringMatching(/^Unreadable/), 0]);
		expect(errors.filter((event) => event.operation === 'get' && event.key?.includes(ids[0]!)).length).toBeGreaterThanOrEqual(3);
		// Its dead letter stays readable (its dead key is not refused), and a reload finds it dead, the pending key gone.
		const reload = onStore(store);
		expect([(await reload.client.outbox.deadLetters()).map((entry) => entry.id), await reload.client.outbox.size()]).toEqual([[ids[0]], 0]);
	});

	it('the only pending entry (no other record to read): a dead letter at the third pass too', async () => {
		const { store, state } = refusingGets();
		const { client, origin, dead } = onStore(store);
		const [id] = await queue(client, ['a']);
		state.refused.add(id!);
		origin.up = true;
		const results = await flushes(client.outbox, 3);
		// Before: remaining 1 at every flush.
		expect([results.map((result) => result.remaining), dead, (await client.outbox.deadLetters()).map((entry) => entry.lastError?.message)])
			.toEqual([[1, 1, 0], [id], [expect.stringMatching(/^Unreadable/)]]);
	});

	it('through an extend()ed client: its flush buries it as the parent\'s does', async () => {
		const { store, state } = refusingGets();
		const { client, origin } = onStore(store);
		const ids = await queue(client, ['a', 'b']);
		const child = client.extend({ headers: { 'x-child': '1' } }) as typeof client;
		const dead: string[] = [];
		child.on('outbox:dead', ({ entryId }) => dead.push(entryId));
		await child.outbox.flush(); // The child's first drain (origin down): each flush that follows is one pass.
		state.refused.add(ids[0]!);
		origin.up = true;
		const results = await flushes(child.outbox, 3);
		// Before: remaining 2 at every flush, nothing sent.
		expect([results.map((result) => result.remaining), origin.got, dead, (await client.outbox.deadLetters()).map((entry) => entry.id)])
			.toEqual([[2, 2, 0], ['b'], [ids[0]], [ids[0]]]);
	});

	it('one that only misses storageTimeoutMs (a large record on a slow device) is never buried: it holds its scope, kept', async () => {
		const { store, state } = refusingGets();
		const { client, origin, dead } = onStore(store);
		const ids = await queue(client, ['a', 'b', 'c']);
		state.refused.add(ids[0]!);
		state.broken = 'hang';
		origin.up = true;
		const results = await flushes(client.outbox, 4);
		expect([results.map((result) => result.remaining), dead, await client.outbox.deadLetters(), origin.got]).toEqual([[3, 3, 3, 3], [], [], []]);
		// Readable again: all three sent, in order.
		state.broken = 'up';
		expect([await client.outbox.flush(), origin.got]).toEqual([{ sent: 3, failed: 0, dead: 0, remaining: 0 }, ['a', 'b', 'c']]);
	});

	it('a store that rejects every read (a key it does not hold too: down, not this record) buries nothing', async () => {
		const { store, state } = refusingGets();
		const { client, origin, dead } = onStore(store);
		await queue(client, ['a', 'b']);
		state.down = true;
		origin.up = true;
		const results = await flushes(client.outbox, 4);
		state.down = false;
		expect([results.map((result) => result.remaining), dead, await client.outbox.deadLetters(), origin.got]).toEqual([[2, 2, 2, 2], [], [], []]);
		expect([await client.outbox.flush(), origin.got]).toEqual([{ sent: 2, failed: 0, dead: 0, remaining: 0 }, ['a', 'b']]);
	});

	it('one the store gives back again (recovered) after two refusals is sent, never buried; refusals count only in a row', async () => {
		const { store, state } = refusingGets();
		const { client, origin, dead } = onStore(store);
		const ids = await queue(client, ['a', 'b']);
		state.refused.add(ids[0]!);
		await flushes(client.outbox, 2);
		// Readable for one pass (the origin still down: it stays pending), then refused twice more: not the third in a row.
		state.broken = 'up';
		expect((await client.outbox.flush()).remaining).toBe(2);
		state.broken = 'reject';
		await flushes(client.outbox, 2);
		expect([dead, await client.outbox.size()]).toEqual([[], 2]);
		state.broken = 'up';
		origin.up = true;
		expect([await client.outbox.flush(), origin.got, dead]).toEqual([{ sent: 2, failed: 0, dead: 0, remaining: 0 }, ['a', 'b'], []]);
	});
});

/*
 * `list()`, `stats()` and the count of pending writes read every record: one the store refused (its error, at once) ended the
 * reading as a read that missed `storageTimeoutMs` does, so every entry after it showed as not read.
 */
describe('list() while the store refuses one pending record (its error) and reads the others', () => {
	it('shows that one unreadable and the others as they are stored', async () => {
		const { store, state } = refusingGets();
		const { client } = onStore(store);
		const ids = await queue(client, ['a', 'b', 'c']);
		state.refused.add(ids[0]!);
		const listed = (await client.outbox.list()).map((entry) => [entry.id, entry.url, entry.lastError?.message]);
		// Before: all three with url '' and 'Not read: the store did not answer within storageTimeoutMs'.
		expect(listed).toEqual([[ids[0], '', 'Unreadable'], [ids[1], 'https://api.test/todos', undefined], [ids[2], 'https://api.test/todos', undefined]]);
		expect(await client.outbox.stats()).toEqual({ entries: 3, dead: 0, bytes: 26 });
	});

	it('a store that rejects every read (down) still ends the reading at its second refusal in a row: the rest shown not read', async () => {
		const { store, state } = refusingGets();
		const { client, errors } = onStore(store);
		await queue(client, ['a', 'b', 'c', 'd']);
		state.down = true;
		const before = errors.length;
		const listed = (await client.outbox.list()).map((entry) => entry.lastError?.message);
		expect([listed, errors.length - before]).toEqual([['Unreadable', ...Array(3).fill('Not read: the store did not answer within storageTimeoutMs')], 2]);
	});
});
