/**
 * Defect hunt, twenty-fifth round, second pass (outbox records read back, identity): a stored record's headers bounded
 * as the write path bounds them (API.md "Sensitive data": records read from storage are validated before use); a
 * placeholder is never made while nobody is known (API.md "Offline writes": a placeholder belongs to the identity under
 * which `ref()` was called).
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore, OutboxFullError, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';

let made = 0;

/** A client over a memory store (`inner`): every write fails as a dropped connection while `state.offline`; what it sent in `state.sent`. */
const client = () => {
	const inner: KeyValueStore = memoryStore(`hunt25b-read-${++made}`);
	const state = { offline: true, sent: [] as Array<{ method: string; url: string; headers: number }> };
	const fetch = (async (request: Request) => {
		state.sent.push({ method: request.method, url: request.url, headers: [...request.headers].length });
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		return Response.json({});
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt25b-read-${made}`, outbox: outbox() });
	return { api, state, inner };
};

const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

/** Header sets past the bound: too many fields, or too many characters in one, or over the preconditions. */
const pastBound: Array<[string, (headers: Record<string, string>) => Record<string, string>]> = [
	['300 header fields', (headers) => ({ ...headers, ...Object.fromEntries(Array.from({ length: 300 }, (_, n) => [`x-h${n}`, 'v'])) })],
	['one header of 1,100,000 characters', (headers) => ({ ...headers, 'x-big': 'a'.repeat(1_100_000) })],
	['40 headers of 30,000 characters (1,200,000 in all)', (headers) => ({ ...headers, ...Object.fromEntries(Array.from({ length: 40 }, (_, n) => [`x-h${n}`, 'a'.repeat(30_000)])) })],
];

describe('a stored record\'s headers are bounded on read: past 256 fields or 1,048,576 characters it is malformed (an Unreadable dead letter), never replayed', () => {
	it.each(pastBound)('%s', async (_, grow) => {
		const { api, state, inner } = client();
		const caughtError = await caught(api.post('items', { json: { a: 1 } }));
		expect(caughtError).toBeInstanceOf(OutboxQueuedError);
		const id = (caughtError as OutboxQueuedError).entryId!;
		const key = (await inner.keys()).find((each) => each.startsWith('p|') && each.includes(id))!;
		const record = await inner.get(key) as { headers: Record<string, string> };
		await inner.set(key, { ...record, headers: grow(record.headers) });
		// A reload reads it back from the store.
		const reloaded = createClient({ fetch: (async (request: Request) => {
			state.sent.push({ method: request.method, url: request.url, headers: [...request.headers].length });
			return Response.json({});
		}) as typeof globalThis.fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt25b-read-${made}-b`, outbox: outbox() });
		api.close();
		state.sent.length = 0;
		// Before: listed with its stored headers (e.g. 301 of them) and replayed with them all (`sent: 1`).
		expect((await reloaded.outbox.list()).map((entry) => [entry.id, entry.method, entry.url, Object.keys(entry.headers).length, entry.lastError?.message])).toEqual([[id, '', '', 0, 'Unreadable']]);
		expect(await reloaded.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		expect(state.sent).toEqual([]);
		expect((await reloaded.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason, entry.lastError?.message])).toEqual([[id, 'rejected', 'Unreadable']]);
		reloaded.close();
	});

	it('a record at the bound (256 fields, 1,048,576 characters) is read and replayed as stored', async () => {
		const { api, state, inner } = client();
		const id = ((await caught(api.post('items', { json: { a: 1 } }))) as OutboxQueuedError).entryId!;
		const key = (await inner.keys()).find((each) => each.startsWith('p|') && each.includes(id))!;
		const record = await inner.get(key) as { headers: Record<string, string> };
		const own = Object.entries(record.headers);
		const used = own.reduce((size, [name, value]) => size + name.length + value.length, 0);
		const extra = Object.fromEntries(Array.from({ length: 256 - own.length }, (_, n) => [`x-h${String(n).padStart(3, '0')}`, '']));
		const names = Object.keys(extra).reduce((size, name) => size + name.length, 0);
		extra['x-h000'] = 'a'.repeat(1_048_576 - used - names);
		await inner.set(key, { ...record, headers: { ...record.headers, ...extra } });
		state.offline = false;
		state.sent.length = 0;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
		expect(state.sent).toHaveLength(1);
		api.close();
	});
});

describe('the write path never stores a record past that bound: OutboxFullError \'size\' before any byte is written', () => {
	it.each(pastBound)('%s', async (_, grow) => {
		const { api, inner } = client();
		const error = await caught(api.post('items', { json: { a: 1 }, headers: grow({}) }));
		// Before: OutboxQueuedError — a write told "queued" whose record every read then refuses (an Unreadable dead letter).
		expect(error).toBeInstanceOf(OutboxFullError);
		expect((error as OutboxFullError).reason).toBe('size');
		expect((await inner.keys()).filter((key) => /^[pd]\|/.test(key))).toEqual([]);
		api.close();
	});
});

describe('a rebased write (onConflict) past that bound is no rebase: the entry is a \'conflict\' dead letter, as one with headers fetch refuses', () => {
	it.each(pastBound)('%s', async (_, grow) => {
		const inner: KeyValueStore = memoryStore(`hunt25b-rebase-${++made}`);
		const sent: number[] = [];
		let offline = true;
		const fetch = (async (request: Request) => {
			sent.push([...request.headers].length);
			if (offline) {
				throw new TypeError('fetch failed');
			}

			return new Response(null, { status: 412 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt25b-rebase-${made}`, outbox: outbox({ onConflict: () => ({ headers: grow({ 'content-type': 'application/json' }) }) }) });
		const id = ((await caught(api.put('items/1', { json: { a: 1 } }))) as OutboxQueuedError).entryId!;
		offline = false;
		sent.length = 0;
		await api.outbox.flush();
		await api.outbox.flush();
		// Before: the rebase was stored and replayed with its headers, rebased again at each 412 (19 requests, 302 fields
		// each for 300) until maxAttempts; with the read bound alone, it was read back as Unreadable ('rejected', no status).
		expect(sent).toHaveLength(1);
		expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason, entry.lastError?.status])).toEqual([[id, 'conflict', 412]]);
		expect(await api.outbox.list()).toEqual([]);
		api.close();
	});
});

describe('outbox.ref() while the client\'s identity() fails: refused (InvalidRequestError), as a call is — no placeholder owned by nobody known', () => {
	/** Alice's POST queued offline; `who.failing` makes identity() throw, `who.name` is what it gives otherwise. */
	const alice = async () => {
		const who = { failing: false, name: 'alice' as string | undefined };
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(`${request.method} ${request.url}`);
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const identity = (): string | undefined => {
			if (who.failing) {
				throw new Error('session not loaded');
			}

			return who.name;
		};
		const api = createClient({ fetch, identity, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: `hunt25b-ref-${++made}`, outbox: outbox() });
		const id = ((await caught(api.post('items', { json: { a: 1 } }))) as OutboxQueuedError).entryId!;
		return { api, who, id, sent };
	};

	it('ref() of alice\'s pending entry while identity() throws: InvalidRequestError (a call then rejects so too)', async () => {
		const { api, who, id } = await alice();
		who.failing = true;
		expect(await caught(api.post('items', { json: { b: 1 } }))).toBeInstanceOf(InvalidRequestError);
		// Before: a placeholder ('steadfetch-ref-…-0') owned by no identity.
		expect(() => api.outbox.ref(id, '/id')).toThrow(InvalidRequestError);
		expect(() => api.outbox.ref(id, '/id')).toThrow(/identity\(\) failed/);
		api.close();
	});

	it('bad input stays a TypeError while identity() throws', async () => {
		const { api, who } = await alice();
		who.failing = true;
		expect(() => api.outbox.ref(5 as unknown as string, '/id')).toThrow(TypeError);
		expect(() => api.outbox.ref('x', 'id')).toThrow(TypeError);
		api.close();
	});

	it('no placeholder made while identity() failed is queued by a caller signed out afterwards', async () => {
		const { api, who, id, sent } = await alice();
		who.failing = true;
		let placeholder: string | undefined;
		try {
			placeholder = api.outbox.ref(id, '/id');
		} catch (error) {
			expect(error).toBeInstanceOf(InvalidRequestError);
		}

		who.failing = false;
		who.name = undefined; // Signed out: nobody, a known answer.
		const count = sent.length;
		const queued = placeholder === undefined ? undefined : await caught(api.put(`items/${placeholder}`, { json: { done: true } }));
		// Before: [true, true, 2] — a placeholder made for nobody known, and the signed-out call holding it (alice's entry's)
		// queued behind her entry (OutboxQueuedError), where a placeholder made under alice is refused to it.
		expect([placeholder !== undefined, queued instanceof OutboxQueuedError, await api.outbox.size()]).toEqual([false, false, 1]);
		expect(sent.length).toBe(count);
		api.close();
	});
});
