/**
 * Issue 46 part B in Node (memory store, injected clock): `outbox.ref()` placeholders, dependents
 * queued behind their entry (`dependsOn`, `outbox:waiting`), replayed with the server's values in the
 * URL, headers and `json` body, `'parent'` dead letters, bad input. A tiny todo API stands in for the
 * server (its transport fails while the device is offline).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OutboxFullError, OutboxQueuedError } from '../../src/entries/index.js';
import { fakeWindow, queued, spyStore, startHarness, throwIfOffline, until, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
let sent: Array<{ method: string; url: string; headers: Record<string, string>; body: string; init: string[] }>;
let nextId: number;
/** Answers of POST /todos: `{ id, ...body }`; `omitId`: the answer has no `id`. */
let omitId = false;
const todoApi = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	const body = request.body ? await request.clone().text() : '';
	sent.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body, init: [request.mode, request.cache, request.referrerPolicy, request.integrity, String(request.keepalive)] });
	if (request.method === 'POST') {
		const id = nextId++;
		return Response.json(omitId ? { made: true } : { id, nested: { tag: `t/${id}` }, obj: { a: 1 }, ...JSON.parse(body || '{}') }, { status: 201 });
	}

	return Response.json({ ok: true });
};

beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
	sent = [];
	nextId = 100;
	omitId = false;
});
afterEach(async () => {
	win.restore();
	await h.close();
});

/** A client whose POSTs wait until `release()`: told "queued" at their deadline (20 ms), then delivered by their own attempt. */
const holdingPosts = (options: object = {}) => {
	let release: () => void = () => undefined;
	const held = new Promise<void>((resolve) => {
		release = resolve;
	});
	const slow = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
		if ((input as Request).method === 'POST') {
			await held;
		}

		return todoApi(input);
	};
	return { api: h.make({ fetch: slow, outbox: { networkTimeoutMs: 20 }, ...options }), release };
};

describe('outbox.ref()', () => {
	it('a dependent is queued behind its entry (outbox:waiting), never sent before it, and replayed with the value in the URL, searchParams, a header and the json body', async () => {
		const api = h.make({ fetch: todoApi });
		const events = h.record(api, 'outbox:waiting', 'outbox:sent');
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const id = api.outbox.ref(parent, '/id');
		expect(typeof id).toBe('string');
		const child = await queued(api.patch(`todos/${id}`, { searchParams: { of: id }, headers: { 'x-todo': api.outbox.ref(parent, '/nested/tag') }, json: { done: true, parent: id, label: `todo ${id}` } }));
		const [entry] = (await api.outbox.list()).filter((each) => each.id === child);
		expect(entry!.dependsOn).toEqual([parent]);
		expect(events).toContainEqual(expect.objectContaining({ type: 'outbox:waiting', entryId: child, dependsOn: [parent] }));
		expect(sent).toEqual([]);
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => each.method)).toEqual(['POST', 'PATCH']);
		const patch = sent[1]!;
		expect(patch.url).toBe(`${h.api.url}/todos/100?of=100`);
		expect(patch.headers['x-todo']).toBe('t/100');
		expect(JSON.parse(patch.body)).toEqual({ done: true, parent: 100, label: 'todo 100' });
	});

	it('the rest of a json body is sent as the client\'s stringifyJson wrote it: only the placeholders change (a big integer keeps its digits), queued or sent at once', async () => {
		// A serializer an app uses for 64-bit ids: BigInts as JSON numbers, digits JSON.parse cannot hold.
		const stringifyJson = (value: unknown): string => JSON.stringify(value, (_key, item: unknown) => typeof item === 'bigint' ? `#${item}#` : item).replace(/"#(\d+)#"/g, '$1');
		const api = h.make({ fetch: todoApi, stringifyJson });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const id = api.outbox.ref(parent, '/id');
		const tag = api.outbox.ref(parent, '/nested/tag');
		const json = { big: 12_345_678_901_234_567_890n, parent: id, label: `todo ${id}`, [id]: [tag], quoted: `say "${tag}`, list: [id, 1.50] };
		await queued(api.patch(`todos/${id}`, { json }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		const expected = '{"big":12345678901234567890,"parent":100,"label":"todo 100","100":["t/100"],"quoted":"say \\"t/100","list":[100,1.5]}';
		expect(sent.map((each) => each.method)).toEqual(['POST', 'PATCH']);
		expect(sent[1]!.body).toBe(expected);
		// Its entry delivered, a call holding its placeholders goes out at once, the same way.
		await api.put(`todos/${id}`, { json });
		expect(sent[2]!.body).toBe(expected);
	});

	it('a pointer the answer does not hold makes the dependent a \'parent\' dead letter, never sent', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const child = await queued(api.patch(`todos/${api.outbox.ref(parent, '/missing')}`, { json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.deadLetters()).length === 1);
		expect((await api.outbox.deadLetters())[0]).toMatchObject({ id: child, deadReason: 'parent' });
		expect(sent.map((each) => each.method)).toEqual(['POST']);
	});

	it('an object in the URL, CR/LF or a character a header cannot carry (beyond U+00FF) in a header makes a \'parent\' dead letter', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { bad: 'a\r\nb', name: '日本' } }));
		await queued(api.patch(`todos/${api.outbox.ref(parent, '/obj')}`, { json: {} }));
		await queued(api.patch('todos/x', { headers: { 'x-bad': api.outbox.ref(parent, '/bad') }, json: {} }));
		await queued(api.patch('todos/y', { headers: { 'x-name': api.outbox.ref(parent, '/name') }, json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.deadLetters()).length === 3);
		expect((await api.outbox.deadLetters()).map((each) => [each.deadReason, each.lastError?.message])).toEqual([
			['parent', 'Not sent: An object or array cannot go in a URL'], ['parent', 'Not sent: Not a header value: x-bad'], ['parent', 'Not sent: Not a header value: x-name'],
		]);
		expect(sent.map((each) => each.method)).toEqual(['POST']);
	});

	it('a parent discarded makes its dependent a \'parent\' dead letter; a parent made dead and retried takes its dependents back', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const child = await queued(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: {} }));
		await api.outbox.discard(parent);
		win.setOnline(true);
		await api.outbox.flush();
		expect((await api.outbox.deadLetters())).toEqual([expect.objectContaining({ id: child, deadReason: 'parent' })]);
		expect(sent).toEqual([]);
	});

	it('retry(parentId) takes its \'parent\' dead letters back', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const child = await queued(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: {} }));
		// The parent becomes a dead letter (as a 4xx would), then the dependent follows it.
		const key = (await h.store.keys()).find((each) => each.includes(parent))!;
		const record = await h.store.get(key) as Record<string, unknown>;
		await h.store.set(`d${key.slice(1)}`, { ...record, deadReason: 'rejected' });
		await h.store.delete(key);
		win.setOnline(true);
		await api.outbox.flush();
		expect((await api.outbox.deadLetters()).map((each) => [each.id, each.deadReason])).toEqual([[parent, 'rejected'], [child, 'parent']]);
		await api.outbox.retry(parent);
		await api.outbox.flush();
		await until(async () => sent.length === 2);
		expect(sent.map((each) => each.url)).toEqual([`${h.api.url}/todos`, `${h.api.url}/todos/100`]);
		expect(await api.outbox.deadLetters()).toEqual([]);
	});

	it('a chain of three (A, B holding A\'s id, C holding B\'s): A rejected makes B and C \'parent\' dead letters; retry(A) takes both back, all delivered with their values', async () => {
		let refuse = true;
		const api = h.make({
			fetch: async (input: Parameters<typeof fetch>[0]) => {
				throwIfOffline();
				return refuse && (input as Request).url.endsWith('/lists') ? Response.json({ error: 'no' }, { status: 422 }) : todoApi(input);
			},
		});
		win.setOnline(false, false);
		const a = await queued(api.post('lists', { json: { name: 'a' } }));
		const b = await queued(api.post('todos', { json: { list: api.outbox.ref(a, '/id') } }));
		const c = await queued(api.patch(`todos/${api.outbox.ref(b, '/id')}`, { json: { done: true } }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.deadLetters()).length === 3);
		expect((await api.outbox.deadLetters()).map((each) => [each.id, each.deadReason])).toEqual([[a, 'rejected'], [b, 'parent'], [c, 'parent']]);
		refuse = false;
		await api.outbox.retry(a);
		expect((await api.outbox.list()).map((each) => each.id)).toEqual([a, b, c]);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => `${each.method} ${each.url} ${each.body}`)).toEqual([
			`POST ${h.api.url}/lists {"name":"a"}`, `POST ${h.api.url}/todos {"list":100}`, `PATCH ${h.api.url}/todos/101 {"done":true}`,
		]);
	});

	it('bad input: ref() throws a TypeError; an unknown or dead entry, a read, another identity: InvalidRequestError before any I/O', async () => {
		let who = 'ann';
		const api = h.make({ fetch: todoApi, identity: () => who });
		expect(() => api.outbox.ref(1 as unknown as string, '/id')).toThrow(TypeError);
		expect(() => api.outbox.ref('x', 'id')).toThrow(TypeError);
		expect(() => api.outbox.ref('x', '/a~2')).toThrow(TypeError);
		expect(api.outbox.ref('x', '')).toMatch(/^steadfetch-ref-/);
		await expect(api.post(`todos/${api.outbox.ref('never-queued', '/id')}`, { json: {} })).rejects.toBeInstanceOf(InvalidRequestError);
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const id = api.outbox.ref(parent, '/id');
		await expect(api.get(`todos/${id}`)).rejects.toBeInstanceOf(InvalidRequestError);
		await expect(api.patch(`todos/${id}`, { json: {}, outbox: false })).rejects.toBeInstanceOf(InvalidRequestError);
		who = 'bob';
		await expect(api.patch(`todos/${id}`, { json: {} })).rejects.toBeInstanceOf(InvalidRequestError);
		expect(sent).toEqual([]);
		expect(await api.outbox.size()).toBe(1);
	});

	it('a dependent whose body is over maxBodyBytes is an OutboxFullError (size) before any I/O (maxBodyBytes: "refused with OutboxFullError when it must be stored")', async () => {
		const api = h.make({ fetch: todoApi, outbox: { maxBodyBytes: 100 } });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		win.setOnline(true, false);
		const error = await api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { text: 'x'.repeat(200) } }).catch((caught: unknown) => caught);
		expect([error instanceof OutboxFullError, (error as OutboxFullError).reason]).toEqual([true, 'size']);
		expect(sent).toEqual([]);
		expect(await api.outbox.size()).toBe(1);
	});

	it('a placeholder of a pending entry in a header the outbox never stores (a credential, sensitiveHeaders) is an InvalidRequestError before any I/O, not a dependent sent without it', async () => {
		// Twelfth round (V): the dependent was stored without `x-api-key` and sent without it, nothing said.
		const api = h.make({ fetch: todoApi, sensitiveHeaders: ['x-api-key'], outbox: { sensitiveHeaders: ['x-outbox-secret'] } });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const key = api.outbox.ref(parent, '/id');
		for (const headers of [{ 'x-api-key': key, 'x-plain': key }, { 'X-Outbox-Secret': `k=${key}` }, { authorization: `Bearer ${key}` }, new Headers({ cookie: `sid=${key}` })]) {
			const error = await api.post('other', { json: {}, headers }).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect(String(error)).toMatch(/never stores/);
		}

		// In the Request given as input too.
		await expect(api.post(new Request('https://api.test/other', { method: 'POST', headers: { 'x-api-key': key } }), { json: {} })).rejects.toBeInstanceOf(InvalidRequestError);
		expect(sent).toEqual([]);
		expect(await api.outbox.size()).toBe(1);
		// A header the outbox stores takes it, as before.
		await queued(api.post('other', { json: {}, headers: { 'x-plain': key } }));
		win.setOnline(true);
		await api.outbox.flush();
		expect(sent.at(-1)!.headers['x-plain']).toBe('100');
	});

	it('a string that looks like a placeholder (edited, or made by another client) is sent as written', async () => {
		const api = h.make({ fetch: todoApi });
		const other = h.make({ fetch: todoApi, name: 'other' });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const real = api.outbox.ref(parent, '/id');
		const forged = real.replace(/-(\d+)$/, (_, n: string) => `-${Number(n) + 7}`);
		const foreign = other.outbox.ref(parent, '/id');
		win.setOnline(true);
		await api.outbox.flush();
		await api.patch('todos/1', { json: { a: forged, b: foreign } });
		expect(JSON.parse(sent.at(-1)!.body)).toEqual({ a: forged, b: foreign });
	});

	it('an entry others depend on is never superseded by coalesce', async () => {
		const api = h.make({ fetch: todoApi, outbox: { coalesce: true } });
		win.setOnline(false, false);
		const first = await queued(api.put('todos/5', { json: { id: 5, v: 1 } }));
		await queued(api.post(`todos/${api.outbox.ref(first, '/ok')}/notes`, { json: {} }));
		await queued(api.put('todos/5', { json: { id: 5, v: 2 } }));
		expect((await api.outbox.list()).map((each) => each.id)).toContain(first);
	});
});

describe('outbox.ref() of a delivered entry', () => {
	it('a placeholder in a precondition header (If-Match) is replaced when another client of the store (another tab, a reload) replays it, never sent as written', async () => {
		const writer = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(writer.post('todos', { json: {} }));
		const tag = writer.outbox.ref(parent, '/nested/tag');
		const child = await queued(writer.put('todos/9', { headers: { 'if-match': `"${tag}"`, 'x-tag': tag }, json: { v: 1 } }));
		expect((await writer.outbox.list()).find((each) => each.id === child)!.dependsOn).toEqual([parent]);
		writer.close();
		const replayer = h.make({ fetch: todoApi });
		win.setOnline(true);
		await replayer.outbox.flush();
		await until(async () => (await replayer.outbox.size()) === 0);
		expect(sent.map((each) => [each.method, each.headers['x-tag'], each.headers['if-match']])).toEqual([['POST', undefined, undefined], ['PUT', 't/100', '"t/100"']]);
	});

	it('a placeholder of an entry already delivered (its value kept) is replaced at once and the call goes out as any call, a read included', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const id = api.outbox.ref(parent, '/id');
		await queued(api.put(`todos/${id}`, { json: { v: 1 } }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		const response = await api.put(`todos/${id}`, { json: { v: 2, id } });
		expect(response.status).toBe(200);
		expect(sent.at(-1)).toMatchObject({ method: 'PUT', url: `${h.api.url}/todos/100`, body: '{"v":2,"id":100}' });
		await api.get('todos', { searchParams: { id } });
		expect(sent.at(-1)!.url).toBe(`${h.api.url}/todos?id=100`);
		expect(await api.outbox.size()).toBe(0);
	});

	it('a call holding a placeholder of an entry already delivered goes out with its own fetch options (mode, cache, referrerPolicy, integrity, keepalive)', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const id = api.outbox.ref(parent, '/id');
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		const own = { mode: 'same-origin', cache: 'no-store', referrerPolicy: 'no-referrer', integrity: 'sha256-abc', keepalive: true } as const;
		await api.put(`todos/${id}`, { json: { v: 1 }, ...own });
		expect(sent.at(-1)).toMatchObject({ url: `${h.api.url}/todos/100`, init: ['same-origin', 'no-store', 'no-referrer', 'sha256-abc', 'true'] });
	});

	it('a ref() made while the entry was pending, used only after a replay delivered it: the value was kept, the call goes out with it', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const id = api.outbox.ref(parent, '/id'); // The app shows the todo under this id; no call holds it yet.
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		const response = await api.patch(`todos/${id}`, { json: { done: true, id } });
		expect(response.status).toBe(200);
		expect(sent.at(-1)).toMatchObject({ method: 'PATCH', url: `${h.api.url}/todos/100`, body: '{"done":true,"id":100}' });
	});

	it('the same when another client of the store (another tab) delivered it: ref() recorded the pointer with the stored entry', async () => {
		const writer = h.make({ fetch: todoApi });
		const replayer = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(writer.post('todos', { json: {} }));
		const id = writer.outbox.ref(parent, '/id');
		await until(async () => (await writer.outbox.list())[0]?.id === parent && JSON.stringify(await h.store.get((await h.store.keys()).find((key) => key.includes(parent))!)).includes('/id'));
		win.setOnline(true);
		await replayer.outbox.flush();
		await until(async () => (await writer.outbox.size()) === 0);
		expect((await writer.patch(`todos/${id}`, { json: { done: true } })).status).toBe(200);
		expect(sent.at(-1)).toMatchObject({ method: 'PATCH', url: `${h.api.url}/todos/100` });
	});

	it('clear() removes the kept values: the placeholder is then unknown (InvalidRequestError)', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const id = api.outbox.ref(parent, '/id');
		await queued(api.put(`todos/${id}`, { json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect((await h.store.keys()).some((key) => key.includes(`v|${parent}`))).toBe(true);
		await api.clear();
		expect((await h.store.keys()).some((key) => key.includes(`v|${parent}`))).toBe(false);
		await expect(api.put(`todos/${id}`, { json: {} })).rejects.toBeInstanceOf(InvalidRequestError);
	});
});

describe('how long the values pointed at are kept', () => {
	it('kept at least 24 h after delivery, then until no dependent is stored (a dead letter keeps them); only the values pointed at', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { secret: 'not kept' } }));
		const id = api.outbox.ref(parent, '/id');
		await queued(api.put(`todos/${id}`, { json: {} }));
		const missing = await queued(api.put(`todos/${api.outbox.ref(parent, '/nothing')}`, { json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		const key = `v|${parent}`;
		expect(await h.store.get(key)).toMatchObject({ values: { '/id': 100 } });
		expect(JSON.stringify(await h.store.get(key))).not.toContain('not kept');
		expect((await api.outbox.deadLetters()).map((each) => each.id)).toEqual([missing]);
		h.clock.advance(24 * 3_600_000);
		await api.outbox.flush();
		expect(await h.store.get(key)).toBeDefined(); // its dead dependent may be retried
		await api.outbox.discard(missing);
		await api.outbox.flush();
		expect(await h.store.get(key)).toBeUndefined();
	});

	it('not removed before 24 h, even with every dependent delivered', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const id = api.outbox.ref(parent, '/id');
		await queued(api.put(`todos/${id}`, { json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		h.clock.advance(24 * 3_600_000 - 1_000);
		await api.outbox.flush();
		await api.put(`todos/${id}`, { json: { again: true } });
		expect(sent.at(-1)!.url).toBe(`${h.api.url}/todos/100`);
		h.clock.advance(1_000);
		await api.outbox.flush();
		expect(await h.store.get(`v|${parent}`)).toBeUndefined();
	});
});

describe('outbox.ref() with an early answer and across scopes', () => {
	/** A POST told "queued" at its deadline (20 ms), then delivered by its own attempt: its client and entry. */
	const deliveredEarly = async (options: object = {}) => {
		const { api, release } = holdingPosts(options);
		const parent = await queued(api.post('todos', { json: {} }));
		const sentEarly = new Promise((resolve) => api.on('outbox:sent', resolve));
		release();
		await sentEarly;
		return { api, parent };
	};

	it('an entry told "queued" at its deadline and then delivered by its own attempt holds its answer in memory 60 s: a ref() made just after resolves at once', async () => {
		const { api, parent } = await deliveredEarly();
		const id = api.outbox.ref(parent, '/id');
		await api.put(`todos/${id}`, { json: { id } });
		expect(sent.at(-1)).toMatchObject({ method: 'PUT', url: `${h.api.url}/todos/100`, body: '{"id":100}' });
		// Its answer is no longer held after 60 s: only the value pointed at was kept.
		h.clock.advance(60_001);
		await api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: {} });
		expect(sent.at(-1)!.url).toBe(`${h.api.url}/todos/100`);
		await expect(api.put(`todos/${api.outbox.ref(parent, '/nested/tag')}`, { json: {} })).rejects.toBeInstanceOf(InvalidRequestError);
	});

	it('the early answer held in memory goes with a clear() made by another client of the name (extend): the placeholder is then unknown, nothing kept is written back', async () => {
		const { api, parent } = await deliveredEarly();
		await api.extend({ timeout: 5_000 }).clear();
		await expect(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: {} })).rejects.toBeInstanceOf(InvalidRequestError);
		expect(await h.store.keys()).toEqual([]);
		expect(sent.map((each) => each.method)).toEqual(['POST']);
	});

	it('the early answer held in memory stays through a clear({ identity }) of another identity: the placeholder resolves (API.md "Identity": clear({ identity }) removes that identity\'s, nothing of the others\')', async () => {
		const { api, parent } = await deliveredEarly({ identity: () => 'bob' });
		// Signed in as bob, the app removes what the previous user (ann) left.
		await api.clear({ identity: 'ann' });
		const id = api.outbox.ref(parent, '/id');
		const answer = await api.put(`todos/${id}`, { json: { id } }).then((response) => response.status, (error: unknown) => error);
		expect(answer).toBe(200);
		expect(sent.at(-1)).toMatchObject({ method: 'PUT', url: `${h.api.url}/todos/100`, body: '{"id":100}' });
	});

	it('a dependent in another scope (origin) is never sent before its entry', async () => {
		const api = h.make({ fetch: todoApi });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		// Another origin (its own scope, FIFO lane): localhost for 127.0.0.1.
		const other = h.api.url.replace('127.0.0.1', 'localhost');
		const child = await queued(api.put(`${other}/todos/${api.outbox.ref(parent, '/id')}`, { json: {}, prefix: '' }));
		expect((await api.outbox.list()).find((each) => each.id === child)?.dependsOn).toEqual([parent]);
		// The parent's scope is refused (a 503), the other is fine: the dependent still waits.
		const down = h.api.url;
		const api503 = async (input: Parameters<typeof fetch>[0]): Promise<Response> => (input as Request).url.startsWith(down) ? new Response('down', { status: 503 }) : todoApi(input);
		const second = h.make({ fetch: api503 });
		win.setOnline(true, false);
		await second.outbox.flush();
		expect(sent).toEqual([]);
		expect((await second.outbox.list()).map((each) => each.id)).toEqual([parent, child]);
		second.close();
		h.clock.advance(3_600_000);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => each.url)).toEqual([`${h.api.url}/todos`, `${other}/todos/100`]);
	});
});

describe('an identity change holds the chain whole (API.md "Writes that depend on earlier writes")', () => {
	it('queued under ann, the chain stays pending and unsent while bob is signed in (no dead letter), and goes out in order when ann returns', async () => {
		let who = 'ann';
		const api = h.make({ fetch: todoApi, identity: () => who });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const child = await queued(api.patch(`todos/${api.outbox.ref(parent, '/id')}`, { json: { done: true } }));
		who = 'bob';
		win.setOnline(true);
		await api.outbox.flush();
		expect(sent).toEqual([]);
		expect((await api.outbox.list()).map((each) => each.id)).toEqual([parent, child]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		who = 'ann';
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => `${each.method} ${each.url}`)).toEqual([`POST ${h.api.url}/todos`, `PATCH ${h.api.url}/todos/100`]);
	});

	it('the identity changes between the parent\'s delivery and the dependent\'s replay: the dependent waits for ann (never sent under bob, never a dead letter) and keeps the value', async () => {
		let who = 'ann';
		const loggingOut = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
			const response = await todoApi(input);
			if ((input as Request).method === 'POST') {
				who = 'bob'; // The user signs out while the parent's answer is on its way.
			}

			return response;
		};

		const api = h.make({ fetch: loggingOut, identity: () => who });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const child = await queued(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { v: 1 } }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => sent.length === 1 && !(await api.outbox.list()).some((each) => each.id === parent));
		await api.outbox.flush();
		expect(sent.map((each) => each.method)).toEqual(['POST']);
		expect((await api.outbox.list()).map((each) => each.id)).toEqual([child]);
		expect(await api.outbox.deadLetters()).toEqual([]);
		h.clock.advance(25 * 3_600_000); // The value is kept while its dependent is stored, past the 24 h.
		who = 'ann';
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.map((each) => `${each.method} ${each.url}`)).toEqual([`POST ${h.api.url}/todos`, `PUT ${h.api.url}/todos/100`]);
		expect(JSON.parse(sent[1]!.body)).toEqual({ v: 1 });
	});
});

describe('an identity change while the parent told "queued" at its deadline is still in flight (defect hunt, seventh round)', () => {
	it('its own attempt delivers it after the switch: the value is kept, and the dependent goes out when ann returns (not a \'parent\' dead letter)', async () => {
		let who = 'ann';
		const { api, release } = holdingPosts({ identity: () => who });
		const parent = await queued(api.post('todos', { json: {} }));
		const child = await queued(api.put(`todos/${api.outbox.ref(parent, '/id')}`, { json: { v: 1 } }));
		who = 'bob'; // The user signs out while the parent's first attempt is in flight.
		const sentEarly = new Promise((resolve) => api.on('outbox:sent', resolve));
		release();
		await sentEarly;
		await api.outbox.flush();
		expect((await api.outbox.list()).map((each) => each.id)).toEqual([child]);
		who = 'ann';
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		// Before: the PUT was a 'parent' dead letter (the value was not kept once bob was signed in), never sent.
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(sent.map((each) => `${each.method} ${each.url}`)).toEqual([`POST ${h.api.url}/todos`, `PUT ${h.api.url}/todos/100`]);
	});
});

describe('a dependent queued while its parent is being delivered (in this tab or another)', () => {
	it('its pointers are recorded before the delivery reads them, or the call is an InvalidRequestError with nothing stored: never a \'parent\' dead letter after being told "queued"', async () => {
		let answered = false;
		let parent = '';
		let dependent: Promise<unknown> | undefined;
		let settled = false;
		let makeDependent = (): void => undefined;
		const store = spyStore(h.store, {
			async get(key, run) {
				// The parent answered, its delivery reads its record (the pointers asked of it): the dependent is made now.
				if (answered && !dependent && key.startsWith('p|') && key.includes(parent)) {
					makeDependent();
				}

				return run();
			},
			async delete(key, run) {
				if (dependent && key.startsWith('p|') && key.includes(parent)) {
					// The parent is about to be removed: the dependent runs until it is told, or waits for the parent's lock.
					await until(async () => settled || ((await navigator.locks.query()).pending ?? []).some((lock) => lock.name?.endsWith(`#${parent}`) === true));
				}

				return run();
			},
		});
		const api = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
			const response = await todoApi(input);
			answered ||= (input as Request).method === 'POST';
			return response;
		};

		// Two clients of one name on one store: two tabs. The writer makes the parent, the ref() and the dependent.
		const writer = h.make({ fetch: api, store: () => store });
		const replayer = h.make({ fetch: api, store: () => store });
		win.setOnline(false, false);
		parent = await queued(writer.post('todos', { json: {} }));
		const id = writer.outbox.ref(parent, '/id');
		makeDependent = () => {
			dependent = writer.patch(`todos/${id}`, { json: { done: true } }).then(() => 'resolved', (error: unknown) => error).finally(() => {
				settled = true;
			});
		};

		win.setOnline(true);
		await replayer.outbox.flush();
		await until(() => settled);
		const outcome = await dependent;
		await writer.outbox.flush();
		await until(async () => (await writer.outbox.size()) === 0);
		const dead = await writer.outbox.deadLetters();
		if (outcome instanceof OutboxQueuedError) {
			// Told it is queued: it must be delivered, with the parent's id.
			expect(dead).toEqual([]);
			expect(sent.map((each) => `${each.method} ${each.url}`)).toEqual([`POST ${h.api.url}/todos`, `PATCH ${h.api.url}/todos/100`]);
		} else {
			// Told at once that the value it asks for is not kept: nothing of it stays stored, and it is never sent.
			expect(outcome).toBeInstanceOf(InvalidRequestError);
			expect(dead).toEqual([]);
			expect(sent.map((each) => each.method)).toEqual(['POST']);
		}
	});
});

describe('a parent discarded while a dependent records its pointers', () => {
	it('is never written back: the dependent is an InvalidRequestError, nothing of either stays', async () => {
		let parent = '';
		let armed = false;
		let writer: ReturnType<Harness['make']> | undefined;
		const store = spyStore(h.store, {
			async get(key, run) {
				const value = await run();
				if (armed && key.startsWith('p|') && key.includes(parent)) {
					// The dependent has read its parent's record; the app discards the parent before it writes the pointers back.
					armed = false;
					await writer!.outbox.discard(parent);
				}

				return value;
			},
		});
		writer = h.make({ fetch: todoApi, store: () => store });
		win.setOnline(false, false);
		parent = await queued(writer.post('todos', { json: {} }));
		const id = writer.outbox.ref(parent, '/id');
		armed = true;
		const outcome = await writer.patch(`todos/${id}`, { json: { done: true } }).then(() => 'resolved', (error: unknown) => error);
		expect(armed).toBe(false);
		expect(outcome).toBeInstanceOf(InvalidRequestError);
		expect(await writer.outbox.list()).toEqual([]);
		expect((await h.store.keys()).filter((key) => key.includes(parent))).toEqual([]);
		win.setOnline(true);
		await writer.outbox.flush();
		expect(sent).toEqual([]);
	});
});

/**
 * The todo API with its next POST, once `hold()` is called, held until `release()` and then answered
 * with `status`: a parent's replay in flight while a dependent is queued in another tab.
 */
const heldPost = (status: number) => {
	let armed = false;
	let gate: (() => void) | undefined;
	return {
		hold: () => {
			armed = true;
		},
		get held() {
			return gate !== undefined;
		},
		release: () => gate!(),
		fetch: async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
			if ((input as Request).method === 'POST' && armed) {
				armed = false;
				await new Promise<void>((resolve) => {
					gate = resolve;
				});
				return new Response('held', { status });
			}

			return todoApi(input);
		},
	};
};

describe('a dependent queued while its parent\'s replay is in flight and then fails', () => {
	it('keeps the pointers it recorded with the parent: the failed replay writes back no copy read before them, and the dependent is delivered with the value', async () => {
		const api = heldPost(503);

		// Two clients of one name on one store: two tabs. The replayer's pass is in flight while the writer makes the dependent.
		const writer = h.make({ fetch: api.fetch });
		const replayer = h.make({ fetch: api.fetch });
		win.setOnline(false, false);
		const parent = await queued(writer.post('todos', { json: {} }));
		win.setOnline(true, false);
		api.hold(); // The replayer's replay of the parent is held, then answered 503.
		const pass = replayer.outbox.flush();
		await until(() => api.held);
		const child = await queued(writer.patch(`todos/${writer.outbox.ref(parent, '/id')}`, { json: { done: true } }));
		api.release();
		expect(await pass).toMatchObject({ sent: 0, failed: 1 });
		h.clock.advance(60_000);
		await replayer.outbox.flush();
		await until(async () => (await writer.outbox.size()) === 0);
		expect(await writer.outbox.deadLetters()).toEqual([]); // Before: the dependent a 'parent' dead letter.
		expect(sent.filter((each) => each.method === 'PATCH').map((each) => each.url)).toEqual([`${h.api.url}/todos/100`]);
		expect(child).toEqual(expect.any(String));
	});
});

describe('a dependent queued while its parent\'s replay is in flight and meets a conflict', () => {
	it('the rebased write in the parent\'s place keeps the pointers the dependent recorded: delivered, its value kept, the dependent delivered with it', async () => {
		const api = heldPost(412);

		const outbox = { onConflict: async () => ({ json: { rebased: true } }) };
		const writer = h.make({ fetch: api.fetch, outbox });
		const replayer = h.make({ fetch: api.fetch, outbox });
		win.setOnline(false, false);
		const parent = await queued(writer.post('todos', { json: {} }));
		win.setOnline(true, false);
		api.hold(); // The replayer's replay of the parent is held, then answered 412: rebased and replayed at once.
		const pass = replayer.outbox.flush();
		await until(() => api.held);
		await queued(writer.patch(`todos/${writer.outbox.ref(parent, '/id')}`, { json: { done: true } }));
		api.release();
		await pass;
		await replayer.outbox.flush();
		await until(async () => (await writer.outbox.size()) === 0);
		expect(await writer.outbox.deadLetters()).toEqual([]); // Before: the dependent a 'parent' dead letter.
		expect(sent.filter((each) => each.method === 'PATCH').map((each) => each.url)).toEqual([`${h.api.url}/todos/100`]);
	});
});

describe('a dependent queued while its parent\'s replay is in flight and then refused', () => {
	it('the parent\'s dead letter keeps the pointers the dependent recorded: retry(parent) delivers both, the dependent with the value', async () => {
		const api = heldPost(422);

		const writer = h.make({ fetch: api.fetch });
		const replayer = h.make({ fetch: api.fetch });
		win.setOnline(false, false);
		const parent = await queued(writer.post('todos', { json: {} }));
		win.setOnline(true, false);
		api.hold(); // The replayer's replay of the parent is held, then refused: a dead letter.
		const pass = replayer.outbox.flush();
		await until(() => api.held);
		await queued(writer.patch(`todos/${writer.outbox.ref(parent, '/id')}`, { json: { done: true } }));
		api.release();
		await pass;
		await replayer.outbox.flush();
		expect((await replayer.outbox.deadLetters()).map((each) => each.deadReason).sort()).toEqual(['parent', 'rejected']);
		await replayer.outbox.retry(parent);
		await replayer.outbox.flush();
		await until(async () => (await writer.outbox.size()) === 0);
		expect(await writer.outbox.deadLetters()).toEqual([]); // Before: the dependent a 'parent' dead letter again.
		expect(sent.filter((each) => each.method === 'PATCH').map((each) => each.url)).toEqual([`${h.api.url}/todos/100`]);
	});
});

describe('a dependent queued while its parent is migrated (outbox version)', () => {
	it('the migrated entry keeps the pointers the dependent recorded meanwhile: the dependent is delivered with the value', async () => {
		let release: (() => void) | undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		let migrating = false;
		const writer = h.make({ fetch: todoApi });
		const replayer = h.make({ fetch: todoApi, outbox: { version: 2, migrate: async (entry) => {
			migrating = true;
			await held;
			return entry;
		} } });
		win.setOnline(false, false);
		const parent = await queued(writer.post('todos', { json: {} }));
		win.setOnline(true, false);
		const pass = replayer.outbox.flush();
		await until(() => migrating);
		await queued(writer.patch(`todos/${writer.outbox.ref(parent, '/id')}`, { json: { done: true } }));
		release!();
		await pass;
		await until(async () => (await writer.outbox.size()) === 0);
		expect(await writer.outbox.deadLetters()).toEqual([]); // Before: the dependent a 'parent' dead letter.
		expect(sent.filter((each) => each.method === 'PATCH').map((each) => each.url)).toEqual([`${h.api.url}/todos/100`]);
	});
});
