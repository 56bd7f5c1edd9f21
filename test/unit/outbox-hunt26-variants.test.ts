/**
 * Defect hunt, twenty-sixth round (outbox): what a dead letter made of an unreadable record keeps, bounded as a record
 * is (API.md "Sensitive data": records read from storage are validated before use; a record's headers at most 256
 * fields and 1 MiB).
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fakeWindow, until } from './outbox-helpers.js';

let made = 0;

/** A client over a memory store (`inner`): every write fails as a dropped connection while `state.offline`; what it sent in `state.sent`. */
const client = (more: Parameters<typeof outbox>[0] = {}) => {
	const inner: KeyValueStore = memoryStore(`hunt26-outbox-${++made}`);
	const state = { offline: true, sent: [] as Array<{ method: string; url: string }> };
	const fetch = (async (request: Request) => {
		state.sent.push({ method: request.method, url: request.url });
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		return Response.json({});
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt26-outbox-${made}`, outbox: outbox(more) });
	return { api, state, inner };
};

const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

/** A pending `POST /items` queued offline, its stored record then given `fields` (another tab's, a damaged store). */
const planted = async (fields: (record: Record<string, unknown>) => Record<string, unknown>) => {
	const made = client();
	const error = await caught(made.api.post('items', { json: { a: 1 } }));
	expect(error).toBeInstanceOf(OutboxQueuedError);
	const key = (await made.inner.keys()).find((each) => each.startsWith('p|'))!;
	const record = (await made.inner.get<Record<string, unknown>>(key))!;
	await made.inner.set(key, { ...record, ...fields(record) });
	return { ...made, id: (error as OutboxQueuedError).entryId!, key };
};

/** The raw value the dead letter of `id` keeps in the store. */
const rawOf = async (inner: KeyValueStore, id: string): Promise<Record<string, unknown>> => {
	const key = (await inner.keys()).find((each) => each.startsWith('d|') && each.includes(id))!;
	return (await inner.get<{ raw: Record<string, unknown> }>(key))!.raw;
};

const size = (headers: unknown): [number, number] => {
	const all = Object.entries((headers ?? {}) as Record<string, string>);
	return [all.length, all.reduce((total, [name, value]) => total + name.length + value.length, 0)];
};

describe('the dead letter of an unreadable record keeps no more headers than a record may hold (256 fields, 1,048,576 characters)', () => {
	it.each<[string, { headers?: Record<string, string>; preconditions?: Record<string, string> }]>([
		['10,000 header fields', { headers: Object.fromEntries(Array.from({ length: 10_000 }, (_, n) => [`x-h${n}`, 'v'])) }],
		['one header of 3,000,000 characters', { headers: { 'x-big': 'a'.repeat(3_000_000) } }],
		['a Headers polyfill\'s clone ({ map }) holding 3,000,000 characters', { headers: { map: { 'x-big': 'a'.repeat(3_000_000) } } as unknown as Record<string, string> }],
		['300 preconditions fields (of other names: unreadable)', { preconditions: Object.fromEntries(Array.from({ length: 300 }, (_, n) => [`if-h${n}`, 'v'])) }],
	])('%s: buried Unreadable, its raw copy without the oversized set, the rest kept', async (_, fields) => {
		const { api, state, inner, id } = await planted((record) => ({ ...fields, headers: { ...record['headers'] as object, ...fields.headers } }));
		state.offline = false;
		state.sent.length = 0;
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		expect(state.sent).toEqual([]);
		const raw = await rawOf(inner, id);
		// Before: the raw copy kept them whole (10,001 fields for 10,000; 3,000,033 characters for the big one).
		for (const set of [raw['headers'], raw['preconditions']]) {
			const [fieldCount, characters] = size(set);
			expect(fieldCount).toBeLessThanOrEqual(256);
			expect(characters).toBeLessThanOrEqual(1_048_576);
		}

		// What else the record held is kept (nothing lost but what is past the bound).
		expect([raw['id'], raw['method'], raw['url'], (raw['body'] as ArrayBuffer).byteLength]).toEqual([id, 'POST', 'https://api.example.com/items', 7]);
		api.close();
	});

	it('a dead letter an older build stored with such a raw copy: stored again without it (once per client, after its first pass)', async () => {
		const { api, state, inner, id } = await planted(() => ({ attempts: -1 }));
		state.offline = false;
		await api.outbox.flush();
		const key = (await inner.keys()).find((each) => each.startsWith('d|'))!;
		const letter = (await inner.get<{ raw: Record<string, unknown> }>(key))!;
		await inner.set(key, { ...letter, raw: { ...letter.raw, headers: Object.fromEntries(Array.from({ length: 10_000 }, (_, n) => [`x-h${n}`, 'v'])) } });
		api.close();
		const reloaded = createClient({ fetch: async () => Response.json({}), random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt26-outbox-${made}-b`, outbox: outbox() });
		await reloaded.outbox.deadLetters();
		await reloaded.outbox.flush();
		// Before: 10,000 fields kept.
		expect(size((await rawOf(inner, id))['headers'])[0]).toBeLessThanOrEqual(256);
		expect((await reloaded.outbox.deadLetters()).map((entry) => [entry.id, entry.lastError?.message])).toEqual([[id, 'Unreadable']]);
		reloaded.close();
	});

	it('a record whose headers are within the bound but unreadable for another reason keeps them whole in its raw copy', async () => {
		const { api, state, inner, id } = await planted((record) => ({ attempts: -1, headers: { ...record['headers'] as object, 'x-a': 'b' } }));
		state.offline = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		expect((await rawOf(inner, id))['headers']).toEqual({ 'content-type': 'application/json', 'x-a': 'b' });
		api.close();
	});
});

describe('the outbox\'s own reads of identity() count as any read (API.md "Work that outlives its caller": alice signed out and back is another world)', () => {
	/**
	 * Alice's `PUT /items/1` told "queued" at its 40 ms deadline, its attempt held: `answer(status)` ends it with that
	 * status, `read` once its body was read (ky's HTTPError reads it: the attempt's outcome is decided within that turn).
	 */
	const heldWrite = async () => {
		const win = fakeWindow(); // A page: one user served, an identity epoch.
		const who = { name: 'alice' as string | undefined };
		const held = { answer: (_status: number): void => undefined, read: false };
		const fetch = (async (request: Request) => request.method === 'PUT' ? new Promise<Response>((resolve) => {
			held.answer = (status) => resolve(new Response(new ReadableStream({ pull: (controller) => {
				held.read = true;
				controller.close();
			} }), { status }));
		}) : Response.json({})) as typeof globalThis.fetch;
		const api = createClient({ fetch, identity: () => who.name, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: `hunt26-who-${++made}`, outbox: outbox({ networkTimeoutMs: 40 }) });
		const events: string[] = [];
		api.on('outbox:retry', (event) => events.push(`retry ${event.entryId}`));
		api.on('outbox:dead', (event) => events.push(`dead ${event.entryId}`));
		const error = await caught(api.put('items/1', { json: { a: 1 } }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const id = (error as OutboxQueuedError).entryId!;
		/** The attempt answered `status`; resolves once what it wrote back (under the entry's lock) is written. */
		const end = async (status: number): Promise<void> => {
			held.answer(status);
			await until(() => held.read);
			await caught(api.outbox.retry(id)); // Its lock after the attempt's write-back (none for a pending entry: rejects).
		};
		return { api, who, id, events, end, close: () => {
			api.close();
			win.restore();
		} };
	};

	type Held = Awaited<ReturnType<typeof heldWrite>>;
	it.each([
		['a flush() while bob is signed in (as before)', async (api: Held['api']) => void await api.outbox.flush()],
		['an outbox.ref() while bob is signed in', async (api: Held['api'], id: string) => void await caught(Promise.resolve().then(() => api.outbox.ref(id, '/id')))],
		['an outbox.ref() while identity() fails', async (api: Held['api'], id: string, who: { name: string | undefined }) => {
			who.name = '' as string; // No identity (`identity()` must return a non-empty string): nobody known.
			expect(await caught(Promise.resolve().then(() => api.outbox.ref(id, '/id')))).toBeInstanceOf(InvalidRequestError);
		}],
	])('%s, alice back before the attempt fails: nothing written back (no retry, its lease kept)', async (_, read) => {
		const { api, who, id, events, end, close } = await heldWrite();
		who.name = 'bob';
		await read(api, id, who);
		who.name = 'alice';
		await end(503);
		// Before, for ref(): ['retry <id>'] — attempts 1, its lease gone: ref() saw bob (or nobody), alice's world took no note of it.
		expect(events).toEqual([]);
		const [entry] = await api.outbox.list();
		expect([entry?.id, entry?.attempts, typeof entry?.inFlightUntil]).toEqual([id, 0, 'number']);
		close();
	});

	it('a 422 then: no dead letter made in a world that saw bob', async () => {
		const { api, who, id, events, end, close } = await heldWrite();
		who.name = 'bob';
		await api.outbox.flush();
		who.name = 'alice';
		await end(422);
		expect(events).toEqual([]);
		expect([(await api.outbox.list()).map((entry) => entry.id), await api.outbox.deadLetters()]).toEqual([[id], []]);
		close();
	});

	it('no change of identity: the failed attempt is written back (retry), as before', async () => {
		const { api, who, id, events, end, close } = await heldWrite();
		await api.outbox.flush();
		who.name = 'alice';
		await end(503);
		expect(events).toEqual([`retry ${id}`]);
		expect((await api.outbox.list())[0]?.attempts).toBe(1);
		close();
	});
});

describe('a pass that reads identity() while settling counts as any read too', () => {
	it('alice\'s flush settles a replay after bob signed in, alice back before her early write fails: that write is not written back', async () => {
		const win = fakeWindow();
		const who = { name: 'alice' as string | undefined };
		const held = { answer: (_status: number): void => undefined, read: false, other: undefined as Promise<Response> | undefined, otherOut: false };
		let releaseOther = (): void => undefined;
		const fetch = (async (request: Request) => {
			if (request.method === 'PUT') {
				return new Promise<Response>((resolve) => {
					held.answer = (status) => resolve(new Response(new ReadableStream({ pull: (controller) => {
						held.read = true;
						controller.close();
					} }), { status }));
				});
			}

			if (!held.other) {
				throw new TypeError('fetch failed');
			}

			held.otherOut = true;
			return held.other;
		}) as typeof globalThis.fetch;
		// Alice's POST to another origin (its own scope) queued offline by the page before a reload: with no deadline, so it
		// is stored for its failure, never for a 40 ms deadline that a busy machine let pass before the failure came (then
		// its attempt, leased and followed, wrote a retry back: the flake). One clock for both, injected: nothing comes due.
		const clock = new ManualClock();
		const store = memoryStore(`hunt26-pass-${++made}`);
		const options = { fetch, identity: () => who.name, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => store, name: `hunt26-pass-${made}`, clock } as const;
		const before = createClient({ ...options, outbox: outbox() });
		expect(await caught(before.post('https://other.example.com/x', { json: { a: 1 }, prefix: '' }))).toBeInstanceOf(OutboxQueuedError);
		before.close();
		const api = createClient({ ...options, outbox: outbox({ networkTimeoutMs: 40 }) });
		const events: string[] = [];
		api.on('outbox:retry', (event) => events.push(`retry ${event.entryId}`));
		// Then her PUT told "queued" at its deadline (its attempt held: the deadline always comes first).
		const error = await caught(api.put('items/1', { json: { a: 1 } }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const id = (error as OutboxQueuedError).entryId!;
		held.other = new Promise<Response>((resolve) => {
			releaseOther = () => resolve(new Response(null, { status: 503 }));
		});
		const flushed = api.outbox.flush();
		await until(() => held.otherOut);
		who.name = 'bob';
		releaseOther();
		await flushed; // Its settle read identity(): bob (alice's replay not settled for her).
		who.name = 'alice';
		held.answer(503);
		await until(() => held.read);
		await caught(api.outbox.retry(id));
		// Before: ['retry <id>'] (attempts 1): the pass saw bob, alice's world took no note of it.
		expect(events).toEqual([]);
		expect((await api.outbox.list()).map((entry) => [entry.id, entry.attempts])).toContainEqual([id, 0]);
		api.close();
		win.restore();
	});
});

describe('a dead letter retried while clear() is under way (API.md "Identity": after clear() resolves, nothing it removed ever comes back)', () => {
	it.each<[string, (() => string) | undefined, { identity: string } | undefined]>([
		['without identity()', undefined, undefined],
		['with identity()', () => 'alice', undefined],
		['with identity(), a clear of alice\'s (as before)', () => 'alice', { identity: 'alice' }],
	])('%s: retry(id) called after clear() began is refused (OUTBOX_NOT_FOUND); nothing comes back, nothing is sent', async (_, identity, of) => {
		const inner: KeyValueStore = memoryStore(`hunt26-clear-${++made}`);
		const state = { status: 0, sent: [] as string[] };
		const fetch = (async (request: Request) => {
			state.sent.push(`${request.method} ${request.url}`);
			if (!state.status) {
				throw new TypeError('fetch failed');
			}

			return Response.json({ id: 5 }, { status: state.status });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, ...identity && { identity }, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt26-clear-${made}`, outbox: outbox() });
		const id = ((await caught(api.post('items', { json: { a: 1 } }))) as OutboxQueuedError).entryId!;
		state.status = 422;
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((entry) => entry.id)).toEqual([id]);
		state.status = 201;
		state.sent.length = 0;
		const cleared = api.clear(of); // A logout: not awaited before the app's retry.
		const retried = await caught(api.outbox.retry(id));
		await cleared;
		await api.outbox.flush();
		// Before: retry resolved (undefined), the entry pending again after clear() resolved, then sent (['POST …/items']),
		// its kept values left in the store.
		expect((retried as { code?: string } | undefined)?.code).toBe('OUTBOX_NOT_FOUND');
		expect(state.sent).toEqual([]);
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[], []]);
		expect((await inner.keys()).filter((key) => /^[pdv]\|/.test(key))).toEqual([]);
		api.close();
	});
});
