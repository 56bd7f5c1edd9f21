/**
 * Defect hunt, twenty-seventh round (outbox): a replay settled after its identity changed and came back (an identity
 * epoch, API.md "Work that outlives its caller"), a dead letter retried while another client of the name clears
 * (API.md "Identity"), and what an unreadable record's dead letter keeps (API.md "Sensitive data").
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, OutboxQueuedError, outbox, type KeyValueStore } from '../../src/entries/index.js';
import { fakeWindow, until } from './outbox-helpers.js';

let made = 0;

const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('alice -> bob -> alice while alice\'s replay is in flight: an identity epoch, not a value (API.md "Work that outlives its caller")', () => {
	/**
	 * Alice's `POST /items` queued offline in a page (one user served: an identity epoch), then a flush whose replay is
	 * held: `answer(status)` ends it; `out` once it went out.
	 */
	const inFlight = async () => {
		const win = fakeWindow();
		const who = { name: 'alice' as string | undefined };
		const held = { answer: (_status: number): void => undefined, out: false, online: false };
		const fetch = (async (request: Request) => {
			if (!held.online) {
				throw new TypeError('fetch failed');
			}

			if (request.method === 'GET') {
				return Response.json({});
			}

			held.out = true;
			return new Promise<Response>((resolve) => {
				held.answer = (status) => resolve(Response.json({ id: 5 }, { status }));
			});
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, identity: () => who.name, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: `hunt27-epoch-${++made}`, outbox: outbox() });
		const events: string[] = [];
		for (const type of ['outbox:retry', 'outbox:dead', 'outbox:sent', 'outbox:conflict'] as const) {
			api.on(type, (event) => events.push(`${type} ${event.entryId}`));
		}

		const error = await caught(api.post('items', { json: { a: 1 } }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const id = (error as OutboxQueuedError).entryId!;
		held.online = true;
		const flushed = api.outbox.flush();
		await until(() => held.out);
		return { api, who, id, events, held, flushed, close: () => {
			api.close();
			win.restore();
		} };
	};

	it.each([
		[503, 'retry'],
		[422, 'dead letter'],
		[412, 'conflict'],
	])('a %i answered after bob\'s call and alice back: not settled as hers (no %s), the entry pending and untouched', async (status) => {
		const { api, who, id, events, held, flushed, close } = await inFlight();
		who.name = 'bob';
		await api.get('me'); // Bob's call: a read of identity() that saw him.
		who.name = 'alice';
		held.answer(status);
		await flushed;
		// Before: ['outbox:retry <id>'] (attempts 2), ['outbox:dead <id>'] or ['outbox:conflict <id>', 'outbox:dead <id>']:
		// the pass compared 'alice' with 'alice' and settled the replay as if nothing had changed.
		expect(events).toEqual([]);
		expect((await api.outbox.list()).map((entry) => [entry.id, entry.attempts])).toEqual([[id, 1]]); // Its call's own attempt.
		expect(await api.outbox.deadLetters()).toEqual([]);
		close();
	});

	it('her later write of the scope is not sent in that pass before the one left pending (FIFO)', async () => {
		const { api, who, id, events, held, flushed, close } = await inFlight();
		const later = ((await caught(api.post('items/2', { json: { b: 2 } }))) as OutboxQueuedError).entryId!; // Queued behind it.
		who.name = 'bob';
		await api.get('me');
		who.name = 'alice';
		held.out = false;
		held.answer(503);
		await flushed;
		// Without the lane held: the later write's replay went out (held) ahead of the entry it was queued behind.
		expect([events, held.out]).toEqual([[], false]);
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([id, later]);
		close();
	});

	it('a 201 then: delivered all the same (removed, told once: never sent twice)', async () => {
		const { api, who, id, events, held, flushed, close } = await inFlight();
		who.name = 'bob';
		await api.get('me');
		who.name = 'alice';
		held.answer(201);
		await flushed;
		expect(events).toEqual([`outbox:sent ${id}`]);
		expect(await api.outbox.list()).toEqual([]);
		close();
	});

	it('no change of identity: a 503 is written back (a retry), as before', async () => {
		const { api, id, events, held, flushed, close } = await inFlight();
		await api.get('me');
		held.answer(503);
		await flushed;
		expect(events).toEqual([`outbox:retry ${id}`]);
		expect((await api.outbox.list())[0]?.attempts).toBe(2);
		close();
	});
});

/** A client of alice's over `inner`, named `name`. */
const alices = (fetch: typeof globalThis.fetch, inner: KeyValueStore, name: string) =>
	createClient({ fetch, identity: () => 'alice', random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name, outbox: outbox() });

type Api = ReturnType<typeof alices>;

/** Alice's `POST /items` a dead letter (a 422), with another client of the name and store (`otherOf`); then every write is answered 201. */
const buried = async (otherOf: (api: Api, make: () => Api) => Api) => {
	const inner: KeyValueStore = memoryStore(`hunt27-clear-${++made}`);
	const state = { status: 0, sent: [] as string[] };
	const fetch = (async (request: Request) => {
		state.sent.push(`${request.method} ${request.url}`);
		if (!state.status) {
			throw new TypeError('fetch failed');
		}

		return Response.json({ id: 5 }, { status: state.status });
	}) as typeof globalThis.fetch;
	const name = `hunt27-clear-${made}`;
	const make = () => alices(fetch, inner, name);
	const api = make();
	const other = otherOf(api, make);
	const id = ((await caught(api.post('items', { json: { a: 1 } }))) as OutboxQueuedError).entryId!;
	state.status = 422;
	await api.outbox.flush();
	expect((await api.outbox.deadLetters()).map((entry) => entry.id)).toEqual([id]);
	state.status = 201;
	state.sent.length = 0;
	return { api, other, id, state, inner };
};

describe('a dead letter retried through one client while another client of the name clears (API.md "Identity": after clear() resolves, nothing it removed ever comes back)', () => {
	it.each<[string, (api: Api, make: () => Api) => Api, (api: Api) => Promise<void>]>([
		['another createClient of the name and store, client.clear()', (_, make) => make(), async (other) => other.clear()],
		['another createClient of the name and store, outbox.clear()', (_, make) => make(), async (other) => other.outbox.clear()],
		['a client made by extend(), client.clear()', (api) => api.extend({}) as unknown as Api, async (other) => other.clear()],
		['another createClient of the name and store, clear({ identity }) of alice\'s (as before)', (_, make) => make(), async (other) => other.clear({ identity: 'alice' })],
	])('%s: retry(id) called after the clear began is refused (OUTBOX_NOT_FOUND); nothing comes back, nothing is sent', async (_, otherOf, clear) => {
		const { api, other, id, state, inner } = await buried(otherOf);
		const cleared = clear(other); // A logout through the other client: not awaited before the app's retry here.
		const retried = await caught(api.outbox.retry(id));
		await cleared;
		await api.outbox.flush();
		await other.outbox.flush();
		// Before: retry resolved (undefined), the entry pending again after clear() resolved, then sent (['POST …/items']) —
		// the clear under way in the other client was not seen (`#clearing` was each client's).
		expect((retried as { code?: string } | undefined)?.code).toBe('OUTBOX_NOT_FOUND');
		expect(state.sent).toEqual([]);
		expect([await api.outbox.list(), await api.outbox.deadLetters()]).toEqual([[], []]);
		expect((await inner.keys()).filter((key) => /^[pdv]\|/.test(key))).toEqual([]);
		api.close();
		other.close();
	});

	it('a clear of bob\'s under way leaves alice\'s retry alone: pending again, then delivered', async () => {
		const { api, other, id, state } = await buried((_, make) => make());
		const cleared = other.clear({ identity: 'bob' });
		expect(await caught(api.outbox.retry(id))).toBeUndefined();
		await cleared;
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([id]);
		await api.outbox.flush();
		expect(state.sent).toEqual(['POST https://api.example.com/items']);
		api.close();
		other.close();
	});
});

/** A pending `POST /items` queued offline, its stored record then given `fields` (another tab's, a damaged store): unreadable (`attempts: -1`). */
const planted = async (fields: Record<string, unknown>) => {
	const inner: KeyValueStore = memoryStore(`hunt27-raw-${++made}`);
	const state = { offline: true };
	const fetch = (async () => {
		if (state.offline) {
			throw new TypeError('fetch failed');
		}

		return Response.json({});
	}) as typeof globalThis.fetch;
	const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: () => inner, name: `hunt27-raw-${made}`, outbox: outbox() });
	const error = await caught(api.post('items', { json: { a: 1 } }));
	expect(error).toBeInstanceOf(OutboxQueuedError);
	const key = (await inner.keys()).find((each) => each.startsWith('p|'))!;
	const record = (await inner.get<Record<string, unknown>>(key))!;
	await inner.set(key, { ...record, attempts: -1, ...fields });
	state.offline = false;
	return { api, inner, id: (error as OutboxQueuedError).entryId! };
};

/** Each field of a raw copy but its bytes: [name, fields (an object's or list's), characters of its JSON]. */
const measured = (raw: Record<string, unknown>): Array<[string, number, number]> => Object.entries(raw).flatMap(([name, item]) =>
	item instanceof ArrayBuffer ? [] : [[name, typeof item === 'object' && item !== null ? Object.keys(item).length : 0, String(JSON.stringify(item)).length] as [string, number, number]]);

describe('the dead letter of an unreadable record keeps none of its other fields past what a record\'s headers may hold (256 fields, 1 MiB of JSON)', () => {
	const big = 'a'.repeat(3_000_000);
	it.each<[string, Record<string, unknown>, string]>([
		['a URL of 3,000,000 characters', { url: `https://api.example.com/${big}` }, 'url'],
		['a lastError that is a text of 3,000,000 characters', { lastError: big }, 'lastError'],
		['a lastError with a field of 3,000,000 characters', { lastError: { code: 'X', message: 'm', detail: big } }, 'lastError'],
		['refs of 10,000 placeholders', { refs: Object.fromEntries(Array.from({ length: 10_000 }, (_, n) => [`steadfetch-ref-x-${n}`, { entry: 'e', pointer: '/id' }])) }, 'refs'],
		['a ref of 3,000,000 characters', { refs: { 'steadfetch-ref-x-0': { entry: big, pointer: '/id' } } }, 'refs'],
		['dependsOn of 10,000 ids', { dependsOn: Array.from({ length: 10_000 }, (_, n) => `id-${n}`) }, 'dependsOn'],
		['a field of its own of 3,000,000 characters', { extra: big }, 'extra'],
	])('%s: buried Unreadable, its raw copy without that field, the rest kept', async (_, fields, name) => {
		const { api, inner, id } = await planted(fields);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		const key = (await inner.keys()).find((each) => each.startsWith('d|'))!;
		const { raw } = (await inner.get<{ raw: Record<string, unknown> }>(key))!;
		// Before: kept whole (e.g. url 3,000,026 characters; refs 10,000 fields).
		expect(measured(raw).filter(([, count, characters]) => count > 256 || characters > 1_048_576)).toEqual([]);
		expect(name in raw).toBe(false);
		expect([raw['id'], raw['method'], (raw['body'] as ArrayBuffer).byteLength]).toEqual([id, 'POST', 7]);
		api.close();
	});

	it('10,000 fields of its own, each small: at most 256 fields kept, the record\'s own first', async () => {
		const { api, inner, id } = await planted(Object.fromEntries(Array.from({ length: 10_000 }, (_, n) => [`x${n}`, n])));
		await api.outbox.flush();
		const key = (await inner.keys()).find((each) => each.startsWith('d|'))!;
		const { raw } = (await inner.get<{ raw: Record<string, unknown> }>(key))!;
		// Before: 10,000 and more fields kept.
		expect(Object.keys(raw).length).toBeLessThanOrEqual(256);
		expect([raw['id'], raw['method'], raw['url']]).toEqual([id, 'POST', 'https://api.example.com/items']);
		api.close();
	});

	it('eight fields of its own of 1,000,000 characters each: at most 4 MiB of JSON in all', async () => {
		const { api, inner } = await planted(Object.fromEntries(Array.from({ length: 8 }, (_, n) => [`x${n}`, String(n).repeat(1_000_000)])));
		await api.outbox.flush();
		const key = (await inner.keys()).find((each) => each.startsWith('d|'))!;
		const { raw } = (await inner.get<{ raw: Record<string, unknown> }>(key))!;
		// Before: all eight kept (8,000,000 characters and more).
		expect(measured(raw).reduce((total, [, , characters]) => total + characters, 0)).toBeLessThanOrEqual(4 * 1_048_576);
		expect(raw['url']).toBe('https://api.example.com/items');
		api.close();
	});
});

describe('a placeholder in the bytes of a binary body (API.md "Files": replayed byte-identical; a placeholder goes in a URL, headers or a json or text body)', () => {
	const setup = async () => {
		const state = { online: false, sent: [] as Array<[string, string]> };
		const fetch = (async (request: Request) => {
			if (!state.online) {
				throw new TypeError('fetch failed');
			}

			state.sent.push([`${request.method} ${request.url}`, await request.text()]);
			return Response.json({ id: 5 }, { status: 201 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, random: () => 0.5, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: `hunt27-bytes-${++made}`, outbox: outbox() });
		const parent = ((await caught(api.post('items', { json: { a: 1 } }))) as OutboxQueuedError).entryId!;
		return { api, state, placeholder: api.outbox.ref(parent, '/id') };
	};

	it.each<[string, (text: string) => BodyInit]>([
		['an ArrayBuffer', (text) => new TextEncoder().encode(text).buffer as ArrayBuffer],
		['a Uint8Array', (text) => new TextEncoder().encode(text)],
		['a Blob of type application/octet-stream', (text) => new Blob([text], { type: 'application/octet-stream' })],
		['a Blob of type text/plain', (text) => new Blob([text], { type: 'text/plain' })],
	])('%s body holding the placeholder of a call queued behind its entry (its URL holds it): sent as given, the URL\'s replaced', async (_, bodyOf) => {
		const { api, state, placeholder } = await setup();
		const body = `photo bytes ${placeholder} end`;
		expect(await caught(api.put(`items/${placeholder}/photo`, { body: bodyOf(body) }))).toBeInstanceOf(OutboxQueuedError);
		state.online = true;
		await api.outbox.flush();
		// Before: ['PUT https://api.example.com/items/5/photo', 'photo bytes 5 end'] — the file's bytes changed at its replay.
		expect(state.sent.at(-1)).toEqual(['PUT https://api.example.com/items/5/photo', body]);
		api.close();
	});

	it('an ArrayBuffer body holding the placeholder of an entry delivered already: the call goes out at once, its bytes as given', async () => {
		const { api, state, placeholder } = await setup();
		state.online = true;
		await api.outbox.flush(); // The entry delivered: its value kept.
		const body = `photo bytes ${placeholder} end`;
		expect((await api.put(`items/${placeholder}/photo`, { body: new TextEncoder().encode(body).buffer as ArrayBuffer })).status).toBe(201);
		// Before: 'photo bytes 5 end'.
		expect(state.sent.at(-1)).toEqual(['PUT https://api.example.com/items/5/photo', body]);
		api.close();
	});

	it('a text body holding it: replaced (as before)', async () => {
		const { api, state, placeholder } = await setup();
		expect(await caught(api.put(`items/${placeholder}/note`, { body: `note ${placeholder}` }))).toBeInstanceOf(OutboxQueuedError);
		state.online = true;
		await api.outbox.flush();
		expect(state.sent.at(-1)).toEqual(['PUT https://api.example.com/items/5/note', 'note 5']);
		api.close();
	});
});
