/**
 * Defect hunt, twenty-fourth round (outbox): placeholders of one parent in bulk, stored lists distrusted, a thrown value
 * with no text, and the method a replay sends (API.md "Outbox", "Offline writes for real apps").
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { linkKey } from '../../src/outbox/refs.js';
import { queued as queuedId } from './outbox-helpers.js';

let made = 0;

/**
 * A client over a memory store counting its reads and writes of each key (`counts`): its transport answers `POST /items`
 * with 201 `{ v0: 0, v1: 1, … }` (`values` of them) and every other write with 200 `{}`, each after `state.hold`; every
 * write fails as a dropped connection while `state.offline` (throws `state.throws` when set); what it sent in `state.sent`.
 */
const counted = (values = 0, more: Parameters<typeof outbox>[0] = {}) => {
	const inner = memoryStore(`hunt24-outbox-${++made}`);
	const counts = { gets: new Map<string, number>(), sets: new Map<string, number>() };
	const bump = (map: Map<string, number>, key: string): void => {
		map.set(key, (map.get(key) ?? 0) + 1);
	};
	const store: KeyValueStore = { ...inner, async get(key) {
		bump(counts.gets, key);
		return inner.get(key);
	}, async set(key, value) {
		bump(counts.sets, key);
		return inner.set(key, value);
	} };
	const state = { offline: false, sent: [] as Array<{ method: string; url: string; body: string }>, hold: undefined as Promise<void> | undefined, throws: undefined as unknown };
	const fetch = (async (request: Request) => {
		state.sent.push({ method: request.method, url: request.url, body: await request.text() });
		await state.hold;
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		if (state.throws !== undefined) {
			throw state.throws;
		}

		return request.method === 'POST' && new URL(request.url).pathname === '/items'
			? Response.json(Object.fromEntries(Array.from({ length: values }, (_, n) => [`v${n}`, n])), { status: 201 })
			: Response.json({});
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `hunt24-outbox-${made}`, outbox: outbox(more) });
	return { api, state, store, inner, counts };
};

describe('placeholders of one parent: its kept values read and written once per call, whatever their number', () => {
	/** `POST /items` queued offline, `count` pointers of its answer asked (`ref()`), then delivered: the client and the placeholders. */
	const delivered = async (count: number) => {
		const client = counted(count);
		client.state.offline = true;
		const parent = await queuedId(client.api.post('items', { json: { a: 1 } }));
		const placeholders = Array.from({ length: count }, (_, n) => client.api.outbox.ref(parent, `/v${n}`));
		client.state.offline = false;
		expect(await client.api.outbox.flush()).toMatchObject({ sent: 1 });
		await expect.poll(async () => (await client.inner.keys()).some((key) => key === `v|${parent}`)).toBe(true);
		client.counts.gets.clear();
		client.counts.sets.clear();
		return { ...client, parent, placeholders };
	};

	it.each([20, 60])('%i placeholders in a call that goes out at once: the values read a fixed number of times, the call sends them all', async (count) => {
		const { api, state, counts, parent, placeholders } = await delivered(count);
		await api.put('items/1', { json: { ids: placeholders } });
		// Before: 2 reads per placeholder (40 for 20, 120 for 60) — the wrapper's check and the attempt each read them per placeholder.
		expect(counts.gets.get(`v|${parent}`)).toBeLessThanOrEqual(2);
		expect(JSON.parse(state.sent.at(-1)!.body)).toEqual({ ids: Array.from({ length: count }, (_, n) => n) });
		api.close();
	});

	it.each([20, 60])('%i placeholders in a call queued (offline): the values read and written a fixed number of times, the dependent recorded once', async (count) => {
		const { api, state, counts, inner, parent, placeholders } = await delivered(count);
		state.offline = true;
		const id = await queuedId(api.put('items/1', { json: { ids: placeholders } }));
		// Before: a read per placeholder in each of three places, and a write per placeholder (each its dependent once more).
		// The dependent recorded by a key of its own (hunt 28: the values are not written again per dependent).
		expect([(counts.gets.get(`v|${parent}`) ?? 0) <= 4, counts.sets.get(`v|${parent}`), counts.sets.get(linkKey(parent, id))]).toEqual([true, undefined, 1]);
		expect(await inner.get(linkKey(parent, id))).toBeDefined();
		state.offline = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(JSON.parse(state.sent.at(-1)!.body)).toEqual({ ids: Array.from({ length: count }, (_, n) => n) });
		api.close();
	});
});

describe('placeholders of one parent delivered early (its answer in memory): its values written once', () => {
	it.each([20, 60])('%i placeholders: one write of the kept values, all of them in it, the call sends them', async (count) => {
		const client = counted(count, { networkTimeoutMs: 20 });
		let release = (): void => undefined;
		client.state.hold = new Promise<void>((resolve) => {
			release = resolve;
		});
		const sent: string[] = [];
		client.api.on('outbox:sent', (event) => sent.push(event.entryId));
		const parent = await queuedId(client.api.post('items', { json: { a: 1 } }));
		release();
		client.state.hold = undefined;
		await expect.poll(() => sent).toEqual([parent]);
		const placeholders = Array.from({ length: count }, (_, n) => client.api.outbox.ref(parent, `/v${n}`));
		client.counts.sets.clear();
		await client.api.put('items/1', { json: { ids: placeholders } });
		// Before: a write per placeholder (20 for 20, 60 for 60), each holding the values of the ones before.
		expect(client.counts.sets.get(`v|${parent}`)).toBe(1);
		expect(Object.keys((await client.inner.get<{ values: object }>(`v|${parent}`))!.values)).toHaveLength(count);
		expect(JSON.parse(client.state.sent.at(-1)!.body)).toEqual({ ids: Array.from({ length: count }, (_, n) => n) });
		client.api.close();
	});
});

describe('a thrown value with no text (Object.create(null), a throwing toString) is stored as its type, never breaks the pass', () => {
	const textless = (): unknown[] => [Object.create(null), { toString: () => {
		throw new Error('no');
	} }];

	it.each([0, 1])('migrate throws value %i: the entry is a migrate dead letter, its message the value\'s type', async (which) => {
		const first = counted();
		first.state.offline = true;
		const id = await queuedId(first.api.put('items/1', { json: { a: 1 } }));
		first.api.close();
		const store = first.store;
		const api = createClient({ fetch: (async () => Response.json({})) as typeof fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `hunt24-outbox-${made}`, outbox: outbox({ version: 2, migrate: () => {
			throw textless()[which];
		} }) });
		// Before: { dead: 0, remaining: 1 } — messageOf's String() threw, the entry stayed pending (migrate called again each pass).
		expect(await api.outbox.flush()).toMatchObject({ dead: 1, remaining: 0 });
		expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason, entry.lastError?.message])).toEqual([[id, 'migrate', 'object']]);
		api.close();
	});
});

describe('the lists a stored record names are bounded as read (a stored record is outside input)', () => {
	/** A pending `PUT /items/1` queued offline, its stored record then given `list` of `length` ids (another tab's, a damaged store). */
	const planted = async (list: string, length: number) => {
		const client = counted();
		client.state.offline = true;
		const id = await queuedId(client.api.put('items/1', { json: { a: 1 } }));
		const [key] = (await client.inner.keys()).filter((each) => each.startsWith('p|'));
		const names = Array.from({ length }, (_, n) => list === 'without' ? `x-h${n}` : `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
		await client.inner.set(key!, { ...(await client.inner.get<Record<string, unknown>>(key!))!, [list]: names });
		client.state.offline = false;
		client.counts.gets.clear();
		return { ...client, id };
	};

	it.each(['dependsOn', 'pointers', 'dependents', 'without'])('%s of 10,001 ids: the record is unreadable — a dead letter, nothing sent, a few reads', async (list) => {
		const { api, state, counts, id } = await planted(list, 10_001);
		const sent = state.sent.length;
		const flushed = await api.outbox.flush();
		const reads = [...counts.gets.values()].reduce((sum, n) => sum + n, 0);
		// Before: dependsOn → a 'parent' dead letter ("the entry it depends on … was not delivered"); the others sent it ([0, 1, true]).
		expect([flushed.dead, flushed.sent, reads < 100]).toEqual([1, 0, true]);
		expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.lastError?.message])).toEqual([[id, 'Unreadable']]);
		expect(state.sent.length).toBe(sent);
		api.close();
	});

	it.each(['pointers', 'dependents', 'without'])('%s of 10,000 ids (the most the write path makes): read as it is, replayed', async (list) => {
		const { api } = await planted(list, 10_000);
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		api.close();
	});
});

describe('stored kept values (v|<id>) whose dependents are no list of ids are none', () => {
	it('dependents a string: a pass past 24 h removes them', async () => {
		const clock = new ManualClock();
		const inner = memoryStore(`hunt24-outbox-${++made}`);
		const api = createClient({ fetch: (async () => Response.json({})) as typeof fetch, clock, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt24-outbox-${made}`, outbox: outbox() });
		await inner.set('v|00000000-0000-4000-8000-000000000001', { v: 1, values: { '/id': 7 }, at: clock.now(), dependents: 'not a list' });
		expect(await api.outbox.flush()).toMatchObject({ remaining: 0 }); // The listing finds the kept values.
		clock.advance(86_400_001);
		expect(await api.outbox.flush()).toMatchObject({ remaining: 0 });
		// Before: ['v|…'] — prune threw on it ("some is not a function") after every pass: kept for ever.
		expect(await inner.keys()).toEqual([]);
		api.close();
	});
});

describe('pointers asked of one pending entry in a row (a render\'s ref() calls): its record written once, not once per pointer', () => {
	it.each([20, 60])('%i ref() calls: one write of the entry, every pointer recorded; delivered, the values all kept', async (count) => {
		const client = counted(count);
		client.state.offline = true;
		const parent = await queuedId(client.api.post('items', { json: { a: 1 } }));
		const [key] = (await client.inner.keys()).filter((each) => each.startsWith('p|'));
		client.counts.sets.clear();
		const placeholders = Array.from({ length: count }, (_, n) => client.api.outbox.ref(parent, `/v${n}`));
		await expect.poll(async () => (await client.inner.get<{ pointers?: string[] }>(key!))?.pointers?.length).toBe(count);
		// Before: 20 writes for 20 pointers (60 for 60), each holding the pointers before it.
		expect(client.counts.sets.get(key!)).toBe(1);
		client.state.offline = false;
		expect(await client.api.outbox.flush()).toMatchObject({ sent: 1 });
		await client.api.put('items/1', { json: { ids: placeholders } });
		expect(JSON.parse(client.state.sent.at(-1)!.body)).toEqual({ ids: Array.from({ length: count }, (_, n) => n) });
		client.api.close();
	});
});

describe('a write whose method is PATCH in another case (\'Patch\', which fetch sends as it is) is a PATCH to the outbox throughout', () => {
	it('sent and replayed as \'Patch\', and superseded by a later PUT of its URL (coalesce), as a PATCH is', async () => {
		const { api, state } = counted(0, { coalesce: true });
		state.offline = true;
		await queuedId(api('items/1', { method: 'Patch', json: { a: 1 } }));
		await queuedId(api('items/2', { method: 'Patch', json: { a: 2 } }));
		const put = await queuedId(api.put('items/1', { json: { a: 3 } }));
		// Before: ['Patch', 'Patch', 'PUT'] — the entry of method 'Patch' was kept: replayed, then overwritten by the PUT.
		expect((await api.outbox.list()).map((entry) => entry.method)).toEqual(['Patch', 'PUT']);
		expect((await api.outbox.list())[1]!.id).toBe(put);
		state.offline = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		expect(state.sent.slice(-2).map((sent) => `${sent.method} ${new URL(sent.url).pathname}`)).toEqual(['Patch /items/2', 'PUT /items/1']);
		expect(state.sent.filter((sent) => sent.url.endsWith('/items/2')).map((sent) => sent.method)).toEqual(['Patch', 'Patch']);
		api.close();
	});
});
