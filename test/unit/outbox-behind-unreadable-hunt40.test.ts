/**
 * `Queue.behind` (whether a new write of a scope waits behind its pending entries, FIFO) against a pending record the store
 * will not give back (the fortieth hunt). It read without `strict`: a record whose read the store refused (its error) or
 * did not answer in time counted as nobody's, so a new write to that scope went straight out, ahead of the older pending
 * write of the same identity (the server got 'b' before 'a'). Now an unreadable record of unknown identity holds its scope
 * as a pass holds it, until it is read (then only the current identity's hold) or buried (pass.ts `#refused`, a minute at most).
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

/**
 * Two views of one memory store: `plain`, and `failing`, whose `get` of a pending key of an id in `state.ids` is refused
 * (its error) or, with `state.hang`, answered only once `state.heal()` is called.
 */
const stores = () => {
	const inner = memoryStore(`h40-behind-${crypto.randomUUID()}`);
	let heal: () => void = () => undefined;
	let healed = new Promise<void>((resolve) => {
		heal = resolve;
	});
	const state = { ids: new Set<string>(), hang: false, heal: () => {
		state.ids.clear();
		heal();
		healed = Promise.resolve();
	} };
	const failing: KeyValueStore = { ...inner, get: async <T>(key: string): Promise<T | undefined> => {
		if (key.startsWith('p|') && [...state.ids].some((id) => key.includes(`|${id}|`))) {
			if (!state.hang) {
				return Promise.reject(new DOMException('The record could not be read', 'DataError'));
			}

			await healed;
		}

		return inner.get<T>(key);
	} };
	return { plain: { ...inner } as KeyValueStore, failing, state };
};

const origin = { up: false, got: [] as string[] };
const onStore = (store: KeyValueStore, identity = 'u1') => {
	const fetch = async (request: Request): Promise<Response> => {
		if (!origin.up) {
			throw new TypeError('Failed to fetch');
		}

		origin.got.push(`${(await request.json() as { title: string }).title}`);
		return Response.json({ id: 1 }, { status: 201 });
	};
	const client = createClient({ name: 'h40-behind', identity: () => identity, store: () => store, fetch: fetch as typeof globalThis.fetch, clock: { now: () => 1_800_000_000_000 }, retry: 0, breaker: false, staleCache: false, storageTimeoutMs: 50, outbox: outbox({ baseBackoffMs: 60_000, resumeJitterMs: 0 }), random: () => 0.99 });
	opened.push(client);
	return client as typeof client & { outbox: Outbox };
};

const post = async (client: ReturnType<typeof onStore>, title: string): Promise<string> =>
	client.post('https://api.test/todos', { json: { title } }).then((response) => `${response.status}`, (error: { code: string; entryId: string }) => error.code === 'QUEUED' ? error.entryId : error.code);

describe('a new write to a scope whose older pending record the store will not give back', () => {
	for (const hang of [false, true]) {
		it(`${hang ? 'a read not answered in time' : 'a refused read'}: held behind it (queued), delivered after it`, async () => {
			origin.up = false;
			origin.got = [];
			const { plain, failing, state } = stores();
			const id = await post(onStore(plain), 'a');
			state.ids.add(id);
			state.hang = hang;
			origin.up = true;
			// A reload (this store's view refuses or stalls the record's read): the write of the same identity to the same scope.
			const later = onStore(failing);
			const second = await post(later, 'b');
			// Before: '201' and the server got ['b'] first.
			expect([second === id || /^\d+$/.test(second) ? second : 'queued', origin.got]).toEqual(['queued', []]);
			state.heal();
			await expect.poll(async () => (await later.outbox.flush()).remaining, { interval: 5 }).toBe(0);
			expect(origin.got).toEqual(['a', 'b']);
		});
	}

	it('through an extend()ed child of the reloaded client: held as well', async () => {
		origin.up = false;
		origin.got = [];
		const { plain, failing, state } = stores();
		const id = await post(onStore(plain), 'a');
		state.ids.add(id);
		origin.up = true;
		const later = onStore(failing);
		const child = later.extend({ headers: { 'x-child': '1' } }) as typeof later;
		const second = await post(child, 'b');
		expect([/^\d+$/.test(second) ? second : 'queued', origin.got]).toEqual(['queued', []]);
		state.heal();
		await expect.poll(async () => (await child.outbox.flush()).remaining, { interval: 5 }).toBe(0);
		expect(origin.got).toEqual(['a', 'b']);
	});

	it('a readable pending record of another identity still holds nothing (sent at once)', async () => {
		origin.up = false;
		origin.got = [];
		const { plain } = stores();
		await post(onStore(plain, 'u2'), 'a');
		origin.up = true;
		expect(await post(onStore(plain), 'b')).toBe('201');
		expect(origin.got).toEqual(['b']);
	});
});
