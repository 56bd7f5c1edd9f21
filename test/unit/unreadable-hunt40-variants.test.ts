/**
 * The outbox's pending records the store refuses to give back (the fortieth hunt). A record was made a dead letter at the
 * third pass in a row that found its read refused, however close together the passes came (the drain's store-failure
 * backoff is ~50 ms with small jitter): a refusal that lasted one second and then healed lost the record's body (the
 * dead letter keeps only its id, scope and time). The refusals must now also span `refusedMs` (60 s on the injected clock).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import type { Outbox } from '../../src/entries/outbox.js';

const opened: Array<{ close(): unknown }> = [];
afterEach(() => {
	for (const client of opened.splice(0)) {
		client.close();
	}
});

/** A memory store whose `get` of the pending key of each id in `state.refused` rejects (its error); the rest as it holds them. */
const refusingGets = () => {
	const inner = memoryStore(`h40-unreadable-${crypto.randomUUID()}`);
	const state = { refused: new Set<string>() };
	const store: KeyValueStore = { ...inner, get: async <T>(key: string): Promise<T | undefined> => {
		if (key.startsWith('p|') && [...state.refused].some((id) => key.includes(`|${id}|`))) {
			return Promise.reject(new DOMException('The record could not be read', 'DataError'));
		}

		return inner.get<T>(key);
	} };
	return { store, state };
};

/** What the origin got of one attempt: the JSON body's bytes as text and the Idempotency-Key. */
type Got = { body: string; key: string | null };

/**
 * A client over `store` with an injected clock (`time.now`), whose origin is down while `origin.up` is false; every attempt
 * it is sent recorded (`origin.tried`, the delivered ones in `origin.got`). Its drain's backoff after a failed pass is about
 * a minute of real time: the flushes of a test are its only passes.
 */
const onStore = (store: KeyValueStore) => {
	const time = { now: 1_800_000_000_000 };
	const origin = { up: false, tried: [] as Got[], got: [] as Got[] };
	const fetch = async (request: Request): Promise<Response> => {
		const got = { body: await request.text(), key: request.headers.get('idempotency-key') };
		origin.tried.push(got);
		if (!origin.up) {
			throw new TypeError('Failed to fetch');
		}

		origin.got.push(got);
		return new Response('{"id":1}', { status: 201 });
	};
	const client = createClient({ name: 'h40-unreadable', store: () => store, fetch: fetch as typeof globalThis.fetch, clock: { now: () => time.now }, retry: 0, breaker: false, staleCache: false, storageTimeoutMs: 50, outbox: outbox({ baseBackoffMs: 60_000 }), random: () => 0.99 });
	opened.push(client);
	const dead: string[] = [];
	client.on('outbox:dead', ({ entryId }) => dead.push(entryId));
	return { client: client as typeof client & { outbox: Outbox }, origin, dead, time };
};

type Made = ReturnType<typeof onStore>;

/** Queue a write of each title (the origin down: each told "queued"), then flush once: each flush that follows is one pass. */
const queue = async ({ client }: Made, titles: string[]): Promise<string[]> => {
	const ids: string[] = [];
	for (const title of titles) {
		ids.push(await client.post('https://api.test/todos', { json: { title, note: 'é ✓' } }).catch((error: { entryId: string }) => error.entryId) as string);
	}

	await client.outbox.flush();
	return ids;
};

/** A flush after each step of the clock in `steps` (ms): each flush's `remaining`. */
const passes = async ({ client, time }: Made, steps: number[]): Promise<number[]> => {
	const remaining = [];
	for (const step of steps) {
		time.now += step;
		remaining.push((await client.outbox.flush()).remaining);
	}

	return remaining;
};

describe('a pending record whose reads the store refuses for a while (its error) while it answers other reads', () => {
	it('a refusal that heals after 1 s (three passes and more within it): kept, then delivered byte-identical with its Idempotency-Key', async () => {
		const { store, state } = refusingGets();
		const made = onStore(store);
		const { client, origin, dead } = made;
		const ids = await queue(made, ['a', 'b']);
		const first = origin.tried[0]!;
		state.refused.add(ids[0]!);
		origin.up = true;
		// Before: [2, 2, 0] and the head a dead letter "Unreadable" (its body gone), 'b' sent alone.
		expect([await passes(made, [200, 200, 200, 200]), dead, await client.outbox.deadLetters()]).toEqual([[2, 2, 2, 2], [], []]);
		state.refused.clear();
		made.time.now += 200;
		expect([await client.outbox.flush(), dead]).toEqual([{ sent: 2, failed: 0, dead: 0, remaining: 0 }, []]);
		expect(origin.got[0]).toEqual(first);
		expect([JSON.parse(origin.got[0]!.body), JSON.parse(origin.got[1]!.body).title]).toEqual([{ title: 'a', note: 'é ✓' }, 'b']);
	});

	it('a refusal lasting past 60 s: a dead letter at the first pass at least 60 s after the first refusal (and the third in a row)', async () => {
		const { store, state } = refusingGets();
		const made = onStore(store);
		const { client, origin, dead } = made;
		const ids = await queue(made, ['a', 'b']);
		state.refused.add(ids[0]!);
		origin.up = true;
		// Refused first at 1 s: three passes within 59.999 s of it, then one 60 s after it: buried there, 'b' sent behind it.
		expect(await passes(made, [1_000, 30_000, 29_999, 1])).toEqual([2, 2, 2, 0]);
		const letters = await client.outbox.deadLetters();
		expect([dead, letters.map((entry) => [entry.id, entry.deadReason]), letters[0]?.lastError?.message, origin.got.map((got) => JSON.parse(got.body).title)])
			.toEqual([[ids[0]], [[ids[0], 'rejected']], expect.stringMatching(/^Unreadable/), ['b']]);
	});

	it('60 s of refusal seen by only two passes is not enough: the third pass buries it', async () => {
		const { store, state } = refusingGets();
		const made = onStore(store);
		const ids = await queue(made, ['a']);
		state.refused.add(ids[0]!);
		made.origin.up = true;
		expect([await passes(made, [0, 120_000]), made.dead]).toEqual([[1, 1], []]);
		expect([await passes(made, [0]), made.dead]).toEqual([[0], [ids[0]]]);
	});

	it('a healed read resets the run: its span starts again at the next refusal', async () => {
		const { store, state } = refusingGets();
		const made = onStore(store);
		const ids = await queue(made, ['a', 'b']);
		state.refused.add(ids[0]!);
		await passes(made, [0, 50_000]); // Refused twice (the origin down).
		state.refused.clear();
		await passes(made, [5_000]); // Given back (still not sent: the origin down).
		state.refused.add(ids[0]!);
		made.origin.up = true;
		// Refused again from 55 s: three passes, 59 s after the first refusal but only 6 s after the run's own first.
		expect([await passes(made, [1_000, 1_000, 2_000]), made.dead]).toEqual([[2, 2, 2], []]);
		expect([await passes(made, [60_000]), made.dead]).toEqual([[0], [ids[0]]]);
	});

	it('through an extend()ed child: the floor holds for its passes as for the parent\'s', async () => {
		const { store, state } = refusingGets();
		const made = onStore(store);
		const ids = await queue(made, ['a', 'b']);
		const child = made.client.extend({ headers: { 'x-child': '1' } }) as typeof made.client;
		const dead: string[] = [];
		child.on('outbox:dead', ({ entryId }) => dead.push(entryId));
		await child.outbox.flush();
		state.refused.add(ids[0]!);
		made.origin.up = true;
		const flushes = [];
		for (const step of [100, 100, 100, 100]) {
			made.time.now += step;
			flushes.push((await child.outbox.flush()).remaining);
		}

		expect([flushes, dead]).toEqual([[2, 2, 2, 2], []]);
		made.time.now += 60_000;
		expect([(await child.outbox.flush()).remaining, dead, (await made.client.outbox.deadLetters()).map((entry) => entry.id)]).toEqual([0, [ids[0]], [ids[0]]]);
	});
});
