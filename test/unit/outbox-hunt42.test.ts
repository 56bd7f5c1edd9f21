/**
 * Defect hunt, forty-second round, neighbours of the hook's placeholder in a header or the URL (outbox-refs-hooks-hunt41*):
 * a `beforeRequest` hook may also give a new Request whose BODY holds a placeholder of `outbox.ref()` (the app's current
 * item put in each write's JSON). Only placeholders the call gives are replaced (API.md "Writes that depend on earlier
 * writes"): one a hook put in the body is refused as one in the URL or a header is — a call's `InvalidRequestError` before
 * any I/O, a replay kept pending (the hook's failure) — never sent as written.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/entries/index.js';
import { harnessEachTest, queued, todoApi as notingTodoApi, until } from './outbox-helpers.js';

let sent: string[];
let todoApi: ReturnType<typeof notingTodoApi>;
const { h, win } = harnessEachTest(() => {
	sent = [];
	todoApi = notingTodoApi(async (request) => {
		sent.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
	});
});

/** A `beforeRequest` hook that gives a Request whose JSON body carries `parent: value()` when `value()` gives one. */
const inBody = (value: () => string | undefined) => ({ hooks: { beforeRequest: [async ({ request }: { request: Request }) => {
	const given = value();
	if (!given || request.body === null) {
		return undefined;
	}

	const json = await request.clone().json() as Record<string, unknown>;
	return new Request(request, { body: JSON.stringify({ ...json, parent: given }) });
}] } });

describe('a placeholder a hook puts in the body: never sent as written', () => {
	it('a call of no placeholder of its own (its parent pending, then delivered): InvalidRequestError, nothing sent', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todoApi, ...inBody(() => current) });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		current = api.outbox.ref(parent, '/id');
		// Before: queued (OutboxQueuedError), its replay sent with the hook's body as written.
		expect(await api.patch('todos/1', { json: { done: true } }).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		expect(await api.outbox.size()).toBe(1);
		current = undefined;
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		current = api.outbox.ref(parent, '/id');
		// Before: sent at once with `"parent":"steadfetch-ref-…"`.
		expect(await api.put('todos/1', { json: { done: true } }).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		expect(sent).toEqual(['POST /todos {}']);
	});

	it('a replay whose hook adds one: kept pending, not sent with it, delivered once the hook stops', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todoApi, ...inBody(() => current) });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		current = api.outbox.ref(parent, '/id');
		win.setOnline(true);
		await api.outbox.flush();
		// Before: sent as `POST /todos {"title":"a","parent":"steadfetch-ref-…"}`.
		expect([sent, await api.outbox.size(), (await api.outbox.deadLetters()).length]).toEqual([[], 1, 0]);
		current = undefined;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent).toEqual(['POST /todos {"title":"a"}']);
	});

	it('the call\'s own placeholder, copied by a hook that changes only the URL: replaced, as before', async () => {
		const api = h.make({ fetch: todoApi, hooks: { beforeRequest: [({ request }) => new Request(`${request.url}?v=2`, request)] } });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: { title: 'a' } }));
		const child = await queued(api.post('items', { json: { todo: api.outbox.ref(parent, '/id') } }));
		expect(typeof child).toBe('string');
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent).toEqual(['POST /todos {"title":"a"}', 'POST /items {"todo":100}']);
		// Delivered: a new call holding its placeholder goes out at once, its value in place.
		await api.post('items', { json: { todo: api.outbox.ref(parent, '/id') } });
		expect(sent.at(-1)).toBe('POST /items {"todo":100}');
	});
});

describe('a placeholder a ky init hook puts in the body', () => {
	it('a call of no placeholder of its own whose init hook sets json with one: InvalidRequestError, nothing stored or sent', async () => {
		let current: string | undefined;
		const api = h.make({ fetch: todoApi, hooks: { init: [(options: { json?: unknown }) => {
			if (current) {
				options.json = { parent: current };
			}
		}] } });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		current = api.outbox.ref(parent, '/id');
		// Before: queued (OutboxQueuedError), the init hook's JSON stored with the placeholder as written.
		expect(await api.patch('todos/1', { json: { done: true } }).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		expect(await api.outbox.size()).toBe(1);
		current = undefined;
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent).toEqual(['POST /todos {}']);
	});
});

describe('a placeholder the call gives in bytes it sends as written (types.ts ref(): a file\'s bytes are never read for one), a hook present', () => {
	const headerHook = { hooks: { beforeRequest: [({ request }: { request: Request }) => void request.headers.set('x-app', '1')] } };
	const bodies: Array<[string, (text: string) => BodyInit]> = [
		['a Blob', (text) => new Blob([text], { type: 'text/plain' })],
		['an ArrayBuffer', (text) => new TextEncoder().encode(text).buffer as ArrayBuffer],
	];

	it.each(bodies)('%s body, its URL holding a placeholder of an entry pending: queued, replayed byte-identical (a hook that only sets a header)', async (_, bodyOf) => {
		const api = h.make({ fetch: todoApi, ...headerHook });
		win.setOnline(false, false);
		const parent = await queued(api.post('todos', { json: {} }));
		const placeholder = api.outbox.ref(parent, '/id');
		const body = `photo bytes ${placeholder} end`;
		await queued(api.put(`todos/${placeholder}/photo`, { body: bodyOf(body) }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect([sent, (await api.outbox.deadLetters()).length]).toEqual([['POST /todos {}', `PUT /todos/100/photo ${body}`], 0]);
	});

	it('a FormData body whose file holds it, a hook that only sets a header: queued and replayed as given', async () => {
		const api = h.make({ fetch: todoApi, ...headerHook });
		const placeholder = api.outbox.ref('e1', '/id');
		const form = new FormData();
		form.set('note', 'n');
		form.set('file', new File([`photo bytes ${placeholder} end`], 'a.txt', { type: 'text/plain' }));
		win.setOnline(false, false);
		await queued(api.post('files', { body: form }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect([sent.length, sent[0]?.includes(`photo bytes ${placeholder} end`), (await api.outbox.deadLetters()).length]).toEqual([1, true, 0]);
	});

	it.each(bodies)('%s body holding it alone, the client\'s hook changing the URL: sent as given, at once and replayed', async (_, bodyOf) => {
		const api = h.make({ fetch: todoApi, hooks: { beforeRequest: [({ request }) => new Request(`${request.url}?v=2`, request)] } });
		const placeholder = api.outbox.ref('e1', '/id');
		const body = `photo bytes ${placeholder} end`;
		expect((await api.put('files/1', { body: bodyOf(body) })).status).toBe(200);
		win.setOnline(false, false);
		await queued(api.put('files/2', { body: bodyOf(body) }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect([sent, (await api.outbox.deadLetters()).length]).toEqual([[`PUT /files/1 ${body}`, `PUT /files/2 ${body}`], 0]);
	});
});
