/**
 * Defect hunt, twenty-fifth round (outbox): an input that is no URL though it claims to be one, the lists a coalesced
 * write inherits and the placeholders a record names bounded as the write path bounds them, reads never queued, and the
 * identity a kept write belongs to (API.md "Outbox", "Offline writes for real apps", "Identity").
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, InvalidRequestError, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { queued as queuedId } from './outbox-helpers.js';

let made = 0;

/**
 * A client over a memory store (`inner`, the store as it holds the records): its transport answers `POST /items` with
 * 201 `{ id: <n>, v0: 0, v1: 1, … }` (`state.values` of those) and every other call with 200 `{}`; every call fails as a dropped connection while `state.offline`;
 * what it sent in `state.sent`.
 */
const counted = (more: Parameters<typeof outbox>[0] = {}, identity?: () => string | undefined) => {
	const inner = memoryStore(`hunt25-outbox-${++made}`);
	const state = { offline: false, values: 0, sent: [] as Array<{ method: string; url: string; body: string; headers: Headers }> };
	const fetch = (async (request: Request) => {
		state.sent.push({ method: request.method, url: request.url, body: await request.text(), headers: request.headers });
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		return request.method === 'POST' && new URL(request.url).pathname === '/items' ? Response.json({ id: state.sent.length, ...Object.fromEntries(Array.from({ length: state.values }, (_, n) => [`v${n}`, n])) }, { status: 201 }) : Response.json({});
	}) as typeof globalThis.fetch;
	const store: KeyValueStore = inner;
	// Time injected: an entry queued offline is due again only when a test moves the clock, never by a drain timer's pass a
	// busy machine let come mid-test (the planted write's made-up parents, not pending: dead-lettered, 'Not sent: the entry it
	// depends on … was not delivered').
	const api = createClient({ fetch, clock: new ManualClock(), random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `hunt25-outbox-${made}`, outbox: outbox(more), ...identity && { identity } });
	return { api, state, inner };
};

const failure = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('an input that passes for a URL but is none: a typed rejection, nothing sent', () => {
	it.each([
		['Object.create(URL.prototype)', () => Object.create(URL.prototype) as URL],
		['a null-prototype object made a URL', () => Object.setPrototypeOf(Object.create(null), URL.prototype) as URL],
	])('%s: InvalidRequestError, as without an outbox', async (_, input) => {
		const { api, state } = counted();
		const caught = await failure(api.post(input(), { json: { a: 1 } }));
		// Before: a raw TypeError "Receiver must be an instance of class URL" (target.ts's String(input), outside its try).
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect(state.sent).toEqual([]);
		expect(await api.outbox.size()).toBe(0);
		api.close();
	});
});

/** A pending `PUT /items/1` queued offline, its stored record then given `fields` (another tab's, a damaged store). */
const planted = async (fields: (record: Record<string, unknown>) => Record<string, unknown>, more: Parameters<typeof outbox>[0] = {}) => {
	const client = counted(more);
	client.state.offline = true;
	const id = await queuedId(client.api.put('items/1', { json: { a: 1 } }));
	const [key] = (await client.inner.keys()).filter((each) => each.startsWith('p|'));
	const record = (await client.inner.get<Record<string, unknown>>(key!))!;
	await client.inner.set(key!, { ...record, ...fields(record) });
	return { ...client, id, key: key! };
};

const ids = (length: number, from = 0): string[] => Array.from({ length }, (_, n) => `00000000-0000-4000-8000-${String(n + from).padStart(12, '0')}`);

describe('a stored record\'s placeholders (refs) are bounded as read, as the write path bounds them', () => {
	it('refs of 10,001 placeholders: the record is unreadable — a dead letter, nothing sent', async () => {
		const { api, state, id } = await planted(() => ({ refs: Object.fromEntries(ids(10_001).map((entry, n) => [`steadfetch-ref-x-${n}`, { entry, pointer: '/id' }])) }));
		state.offline = false;
		const sent = state.sent.length;
		// Before: { dead: 1 } as a 'parent' dead letter (its 10,001 refs each looked up), not as the unreadable record it is.
		expect(await api.outbox.flush()).toMatchObject({ dead: 1, sent: 0 });
		expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.lastError?.message])).toEqual([[id, 'Unreadable']]);
		expect(state.sent.length).toBe(sent);
		api.close();
	});

	it('a call holding 10,001 placeholders: InvalidRequestError before any I/O, nothing stored', async () => {
		const { api, state } = counted();
		state.offline = true;
		const parent = await queuedId(api.post('items', { json: { a: 1 } }));
		const placeholders = Array.from({ length: 10_001 }, (_, n) => api.outbox.ref(parent, `/v${n}`));
		const sent = state.sent.length;
		const caught = await failure(api.put('items/1', { json: { ids: placeholders } }));
		// Before: queued (OutboxQueuedError), its record holding 10,001 refs.
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect(state.sent.length).toBe(sent);
		expect(await api.outbox.size()).toBe(1);
		api.close();
	});

	it('a call holding 10,000 placeholders (the most): queued behind its parent, replayed with the values', async () => {
		const { api, state } = counted();
		state.offline = true;
		const parent = await queuedId(api.post('items', { json: { a: 1 } }));
		const placeholders = Array.from({ length: 10_000 }, (_, n) => api.outbox.ref(parent, `/v${n}`));
		await queuedId(api.put('items/1', { json: { ids: placeholders } }));
		state.offline = false;
		state.values = 10_000;
		expect(await api.outbox.flush()).toMatchObject({ sent: 2, dead: 0 });
		expect(JSON.parse(state.sent.at(-1)!.body)).toEqual({ ids: Array.from({ length: 10_000 }, (_, n) => n) });
		api.close();
	});
});

describe('coalesce: the parents a superseding write inherits with a precondition stay within what a record may list', () => {
	it('an old write whose If-Match holds placeholders of 10,000 parents, superseded by a PUT waiting for one more: both kept, both readable', async () => {
		const parents = ids(10_000, 1);
		const refs = Object.fromEntries(parents.map((entry, n) => [`steadfetch-ref-x-${n}.`, { entry, pointer: '/etag' }]));
		const { api, state, id, inner } = await planted(() => ({ preconditions: { 'if-match': Object.keys(refs).join('') }, refs, dependsOn: parents }), { coalesce: true, maxEntries: 20_000 });
		const parent = await queuedId(api.post('items', { json: { a: 1 } }));
		const next = await queuedId(api.put('items/1', { json: { parent: api.outbox.ref(parent, '/id') } }));
		const stored = await Promise.all((await inner.keys()).filter((key) => key.startsWith('p|')).map(async (key) => inner.get<{ id: string; dependsOn?: string[] }>(key)));
		const lengths = Object.fromEntries(stored.map((record) => [record!.id === id ? 'old' : record!.id === next ? 'next' : 'parent', record!.dependsOn?.length ?? 0]));
		// Before: { next: 10001, parent: 0 } — the old one superseded, the new record listing 10,001 parents (unreadable as stored).
		expect(lengths).toEqual({ old: 10_000, next: 1, parent: 0 });
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([id, parent, next]);
		expect(state.sent.filter((each) => each.method === 'PUT').length).toBe(1);
		api.close();
	});
});

describe('reads are never queued (API.md: "a call the outbox cannot queue (a read, …)")', () => {
	it.each([['GET'], ['head'], ['OPTIONS'], ['query'], ['POST', 'Get']])('methods [%s…]: a RangeError naming outbox.methods, at creation', (...methods) => {
		// Before: accepted; every GET that failed was then queued and replayed later, its answer nobody's.
		expect(() => outbox({ methods })).toThrow(RangeError);
		expect(() => outbox({ methods })).toThrow(/outbox\.methods/);
	});

	it.each(['get', 'head'] as const)('%s with outbox: true, offline: the failure is the caller\'s, nothing queued', async (method) => {
		const { api, state } = counted();
		state.offline = true;
		const caught = await failure(api[method]('items/1', { outbox: true }));
		// Before: OutboxQueuedError, a GET (HEAD) entry pending.
		expect(caught).not.toBeInstanceOf(OutboxQueuedError);
		expect(classify(caught).code).toBe('NETWORK');
		expect(await api.outbox.size()).toBe(0);
		expect(state.sent.map((each) => each.method)).toEqual([method.toUpperCase()]);
		api.close();
	});

	it('a GET with outbox: true holding a placeholder of a pending entry: InvalidRequestError before any I/O', async () => {
		const { api, state } = counted();
		state.offline = true;
		const parent = await queuedId(api.post('items', { json: { a: 1 } }));
		const sent = state.sent.length;
		const caught = await failure(api.get(`items/${api.outbox.ref(parent, '/id')}`, { outbox: true }));
		// Before: OutboxQueuedError, the read queued behind its parent.
		expect(caught).toBeInstanceOf(InvalidRequestError);
		expect(state.sent.length).toBe(sent);
		expect(await api.outbox.size()).toBe(1);
		api.close();
	});

	it('a write outside methods with outbox: true is still queued', async () => {
		const { api, state } = counted({ methods: ['POST'] });
		state.offline = true;
		await queuedId(api.patch('items/1', { json: { a: 1 }, outbox: true }));
		expect((await api.outbox.list()).map((entry) => entry.method)).toEqual(['PATCH']);
		api.close();
	});
});
