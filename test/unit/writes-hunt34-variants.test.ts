/**
 * Defect hunt, thirty-fourth round (offline writes for real apps): a placeholder of `outbox.ref()` in a dependent's
 * `Idempotency-Key` header (API.md "Writes that depend on earlier writes": a placeholder is usable anywhere in a later
 * call's headers, its string in a header; "Outbox": the entry's `idempotencyKey` is sent as Idempotency-Key on every attempt),
 * and in a `json` body sent with another Content-Type (a whole JSON string value becomes the value itself).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { harnessEachTest, queued, throwIfOffline, until } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** What left the client: method, path and Idempotency-Key (the body too, in `bodies`). */
let sent: string[];
let bodies: string[];
let nextId: number;
/** A todo API: a POST answers `{ id, long, name }` (a fresh id each), anything else `{ ok: true }`; `fail(request)`: a 503 instead. */
const todoApi = (fail: (request: Request) => boolean = () => false) => async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const request = input as Request;
	sent.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('idempotency-key')}`);
	bodies.push(`${request.method} ${request.headers.get('content-type')} ${await request.clone().text()}`);
	if (fail(request)) {
		return Response.json({ error: 'busy' }, { status: 503 });
	}

	return request.method === 'POST' ? Response.json({ id: nextId++, long: 'x'.repeat(300), name: 'say "hi"' }, { status: 201 }) : Response.json({ ok: true });
};

beforeEach(() => {
	sent = [];
	bodies = [];
	nextId = 100;
});

describe('a placeholder in a dependent\'s Idempotency-Key header', () => {
	it('of a pending entry: its replay sends the key with the value, never the placeholder as written', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		await queued(api.patch('todos/archive', { headers: { 'idempotency-key': `archive-${api.outbox.ref(made, '/id')}` }, json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		// Before: 'PATCH /todos/archive archive-steadfetch-ref-<nonce>-0'.
		expect(sent.slice(1)).toEqual(['PATCH /todos/archive archive-100']);
	});

	it('of a delivered entry: a first attempt that fails is replayed under the key it was sent with', async () => {
		let busy = true;
		const api = h.make({ fetch: todoApi((request) => request.method === 'PATCH' && busy) });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const placeholder = api.outbox.ref(made, '/id');
		win.setOnline(true, false);
		await api.outbox.flush();
		await queued(api.patch('todos/archive', { headers: { 'idempotency-key': `archive-${placeholder}` }, json: {} }));
		busy = false;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		// Before: the replay went as 'archive-steadfetch-ref-<nonce>-0', another key than its first attempt's (applied twice).
		expect(sent.slice(1)).toEqual(['PATCH /todos/archive archive-100', 'PATCH /todos/archive archive-100']);
	});

	it('a value that makes no Idempotency-Key (over 255 characters): a \'parent\' dead letter, never sent', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const child = await queued(api.patch('todos/archive', { headers: { 'idempotency-key': api.outbox.ref(made, '/long') }, json: {} }));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.deadLetters()).length === 1);
		expect(await api.outbox.deadLetters()).toEqual([expect.objectContaining({ id: child, deadReason: 'parent', lastError: expect.objectContaining({ message: 'Not sent: Not an Idempotency-Key' }) })]);
		expect(sent).toHaveLength(1);
	});
});

describe('a placeholder in a dependent\'s idempotencyKey option (as in its header)', () => {
	it('of a pending entry: held behind it, its replay sends the key with the value', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const child = await queued(api.patch('todos/archive', { idempotencyKey: `archive-${api.outbox.ref(made, '/id')}`, json: {} }));
		// Before: no dependsOn (held only by its scope's order), replayed as 'archive-steadfetch-ref-<nonce>-0'.
		expect((await api.outbox.list()).find((entry) => entry.id === child)?.dependsOn).toEqual([made]);
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.slice(1)).toEqual(['PATCH /todos/archive archive-100']);
	});

	it('of a delivered entry: sent at once with the value, its replay under the same key', async () => {
		let busy = true;
		const api = h.make({ fetch: todoApi((request) => request.method === 'PATCH' && busy) });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		const placeholder = api.outbox.ref(made, '/id');
		win.setOnline(true, false);
		await api.outbox.flush();
		await queued(api.patch('todos/archive', { idempotencyKey: `archive-${placeholder}`, json: {} }));
		busy = false;
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		expect(sent.slice(1)).toEqual(['PATCH /todos/archive archive-100', 'PATCH /todos/archive archive-100']);
	});
});

describe('a placeholder in a json body sent as text/plain (a simple request: no CORS preflight)', () => {
	/** A PATCH whose `json` holds `made`'s id and name, sent with `Content-Type: text/plain`. */
	const patch = (api: ReturnType<typeof h.make>, made: string) =>
		api.patch('todos/x', { headers: { 'content-type': 'text/plain' }, json: { id: api.outbox.ref(made, '/id'), name: api.outbox.ref(made, '/name') } });

	it('of a pending entry: replayed with the JSON values (a number stays a number, a quote escaped)', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		await queued(patch(api, made));
		win.setOnline(true);
		await api.outbox.flush();
		await until(async () => (await api.outbox.size()) === 0);
		// Before: 'PATCH text/plain {"id":"100","name":"say "hi""}' (a string for the number, and no JSON).
		expect(bodies.slice(1)).toEqual(['PATCH text/plain {"id":100,"name":"say \\"hi\\""}']);
	});

	it('of a delivered entry: sent at once with the JSON values', async () => {
		const api = h.make({ fetch: todoApi() });
		win.setOnline(false, false);
		const made = await queued(api.post('todos', { json: { title: 'a' } }));
		api.outbox.ref(made, '/id');
		api.outbox.ref(made, '/name');
		win.setOnline(true, false);
		await api.outbox.flush();
		await (await patch(api, made)).text();
		expect(bodies.slice(1)).toEqual(['PATCH text/plain {"id":100,"name":"say \\"hi\\""}']);
	});
});
