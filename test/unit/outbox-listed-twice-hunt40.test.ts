/**
 * The outbox against a store whose `keys()` lists each key twice (a buggy or foreign store: what comes from outside is
 * not trusted), the fortieth hunt: a pending entry must count once (`size()`, `list()`, a flush's `remaining`), be sent
 * once (one attempt per Idempotency-Key), and be shown once as a dead letter.
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

/** A memory store whose `keys()` lists every key two times; `span` dropped when `span` is false (the store listed each time). */
const doubling = (span: boolean): KeyValueStore => {
	const inner = memoryStore(`h40-twice-${crypto.randomUUID()}`);
	const store: KeyValueStore = { ...inner, keys: async () => {
		const listed = await inner.keys();
		return [...listed, ...listed];
	} };
	if (!span) {
		delete (store as { span?: unknown }).span;
	}

	return store;
};

const onStore = (store: KeyValueStore, status = 201) => {
	const origin = { up: false, got: [] as Array<string | null> };
	const fetch = async (request: Request): Promise<Response> => {
		if (!origin.up) {
			throw new TypeError('Failed to fetch');
		}

		origin.got.push(request.headers.get('idempotency-key'));
		return new Response('{"id":1}', { status });
	};
	const client = createClient({ name: 'h40-twice', store: () => store, fetch: fetch as typeof globalThis.fetch, clock: { now: () => 1_800_000_000_000 }, retry: 0, breaker: false, staleCache: false, outbox: outbox({ baseBackoffMs: 60_000 }), random: () => 0.99 });
	opened.push(client);
	return { client: client as typeof client & { outbox: Outbox }, origin };
};

const queued = async (client: ReturnType<typeof onStore>['client'], titles: string[]) => {
	for (const title of titles) {
		await client.post('https://api.test/todos', { json: { title } }).catch(() => undefined);
	}
};

describe('a store that lists each key twice', () => {
	for (const span of [true, false]) {
		it(`${span ? 'with' : 'without'} span: size(), list() and a flush count each entry once; each is sent once`, async () => {
			const store = doubling(span);
			const { client } = onStore(store);
			await queued(client, ['a', 'b']);
			// A client started on the store (a reload): it knows only the listing. Before: size() and list() 4, and 2 left after
			// both were delivered (each sent once: a pass's claim), where 0.
			const { client: later, origin } = onStore(store);
			expect([await later.outbox.size(), (await later.outbox.list()).length]).toEqual([2, 2]);
			expect(await later.outbox.flush()).toMatchObject({ remaining: 2 });
			origin.up = true;
			expect(await later.outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
			expect([origin.got.length, new Set(origin.got).size, await later.outbox.size()]).toEqual([2, 2, 0]);
		});
	}

	it('a dead letter is shown once, and retry() sends it once', async () => {
		const store = doubling(false);
		const { client } = onStore(store);
		await queued(client, ['a']);
		const { client: later, origin } = onStore(store, 422);
		origin.up = true;
		expect(await later.outbox.flush()).toMatchObject({ dead: 1, remaining: 0 });
		const letters = await later.outbox.deadLetters(); // Before: remaining 1 and two dead letters of one id.
		expect(letters.length).toBe(1);
		const { client: third, origin: after } = onStore(store);
		expect((await third.outbox.deadLetters()).length).toBe(1);
		await third.outbox.retry(letters[0]!.id);
		after.up = true;
		expect(await third.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(after.got.length).toBe(1);
	});
});
